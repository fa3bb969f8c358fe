"""Lambda's REPORT line: written for local runs, read back from text and JSON log formats."""

from __future__ import annotations

import json

from coldprof.bench.report_line import (
    format_report_line,
    local_report,
    parse_reports,
    parse_text_report,
)

COLD_LINE = (
    "REPORT RequestId: 3f1d6a1e-7b0c-4a51-9d4e-0c2b5b1e9a11\tDuration: 8.40 ms\t"
    "Billed Duration: 179 ms\tMemory Size: 128 MB\tMax Memory Used: 66 MB\t"
    "Init Duration: 170.13 ms\t"
)
WARM_LINE = (
    "REPORT RequestId: 8c5e2f0a-1111-2222-3333-444455556666\tDuration: 1.21 ms\t"
    "Billed Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 67 MB\t"
)
SNAPSTART_LINE = (
    "REPORT RequestId: a-b-c\tDuration: 2.49 ms\tBilled Duration: 3 ms\tMemory Size: 512 MB\t"
    "Max Memory Used: 94 MB\tRestore Duration: 474.16 ms\tBilled Restore Duration: 202 ms\t"
)
XRAY_LINE = (
    "XRAY TraceId: 1-5e1b4151-5ac6c58f5b4c6e4f5b3f0f8e\tSegmentId: 2b5c1f0a1b3c4d5e\t"
    "Sampled: true\t"
)


def json_report(metrics: dict, **record: object) -> str:
    event = {
        "time": "2026-11-23T10:00:00.000Z",
        "type": "platform.report",
        "record": {"requestId": "req-1", "metrics": metrics, "status": "success", **record},
    }
    return json.dumps(event)


def test_a_cold_text_line_gives_every_figure():
    (report,) = parse_reports(COLD_LINE)
    assert report.request_id == "3f1d6a1e-7b0c-4a51-9d4e-0c2b5b1e9a11"
    assert report.duration_ms == 8.40
    assert report.billed_duration_ms == 179
    assert report.memory_size_mb == 128
    assert report.max_memory_used_mb == 66
    assert report.init_duration_ms == 170.13
    assert report.cold


def test_a_warm_line_has_no_init_duration_and_is_not_cold():
    (report,) = parse_reports(WARM_LINE)
    assert report.init_duration_ms is None
    assert not report.cold


def test_snapstart_restore_duration_counts_as_cold():
    (report,) = parse_reports(SNAPSTART_LINE)
    assert report.restore_duration_ms == 474.16
    assert report.billed_restore_duration_ms == 202
    assert report.init_duration_ms is None
    assert report.cold


def test_an_xray_line_after_a_report_gives_its_trace_id():
    reports = parse_reports(f"START RequestId: x\n{COLD_LINE}\n{XRAY_LINE}\n{WARM_LINE}\n")
    assert [r.xray_trace_id for r in reports] == ["1-5e1b4151-5ac6c58f5b4c6e4f5b3f0f8e", None]


def test_spaces_instead_of_tabs_are_read_too():
    (report,) = parse_reports(COLD_LINE.replace("\t", " "))
    assert (report.duration_ms, report.billed_duration_ms, report.init_duration_ms) == (
        8.40,
        179,
        170.13,
    )


def test_a_failed_invocation_keeps_status_and_error_type():
    line = WARM_LINE + "Status: timeout\tError Type: Sandbox.Timedout\t"
    (report,) = parse_reports(line)
    assert (report.status, report.error_type) == ("timeout", "Sandbox.Timedout")


def test_json_log_format_platform_report():
    metrics = {
        "durationMs": 8.4,
        "billedDurationMs": 179.0,
        "memorySizeMB": 128.0,
        "maxMemoryUsedMB": 66.0,
        "initDurationMs": 170.13,
    }
    tracing = {"type": "X-Amzn-Trace-Id", "value": "Root=1-abc-def;Parent=123;Sampled=1"}
    (report,) = parse_reports(json_report(metrics, tracing=tracing))
    assert report.request_id == "req-1"
    assert (report.duration_ms, report.billed_duration_ms, report.max_memory_used_mb) == (
        8.4,
        179,
        66,
    )
    assert report.init_duration_ms == 170.13
    assert report.status is None
    assert report.xray_trace_id == "1-abc-def"


def test_json_and_text_reports_mixed_in_one_log_come_out_in_order():
    metrics = {"durationMs": 1, "billedDurationMs": 1, "memorySizeMB": 256, "maxMemoryUsedMB": 50}
    log = "\n".join([COLD_LINE, '{"type": "function", "record": "hello"}', json_report(metrics)])
    assert [r.memory_size_mb for r in parse_reports(log)] == [128, 256]


def test_incomplete_or_hostile_lines_are_skipped():
    log = "\n".join(
        [
            "REPORT RequestId: x\tDuration: 1.00 ms\t",  # no billed duration, no memory
            "REPORT RequestId: x\tDuration: nan ms\tBilled Duration: 1 ms\tMemory Size: 1 MB\t"
            "Max Memory Used: 1 MB\t",
            '{"type": "platform.report", "record": {"metrics": [1, 2]}}',
            '{"type": "platform.report", "record": ',
            '["platform.report"]',
            "REPORT RequestId: " + "x" * 100_000,
            XRAY_LINE,  # no report before it
        ]
    )
    assert parse_reports(log) == ()


def test_format_then_parse_gives_the_same_figures():
    report = local_report("req-9", 8.4, 128, 65.6, init_duration_ms=170.13)
    line = format_report_line(report)
    assert line == (
        "REPORT RequestId: req-9\tDuration: 8.40 ms\tBilled Duration: 179 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 66 MB\tInit Duration: 170.13 ms\t"
    )
    assert parse_text_report(line) == report


def test_a_local_warm_report_bills_the_duration_only():
    line = format_report_line(local_report("r", 0.04, 1024, 30.2))
    assert "Billed Duration: 1 ms\t" in line
    assert "Init Duration" not in line
    assert line.endswith("\t")


def test_a_local_error_report_names_the_error_type():
    line = format_report_line(local_report("r", 3.2, 128, 40, error_type="ValueError"))
    assert line.endswith("Status: error\tError Type: ValueError\t")
