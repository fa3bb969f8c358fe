"""Lambda's REPORT line: written for local invocations, read from real Lambda logs.

Text log format (tab separated, trailing tab; Init Duration only on a cold start, Restore
Duration instead for SnapStart, an optional XRAY line after it) and JSON log format
(`"type": "platform.report"` with `record.metrics`) are both read.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from typing import Any

from coldprof.bench.cost import billed_duration_ms

# Lambda's labels; values hold no white space, so tabs or spaces may separate the fields.
TEXT_FIELD = re.compile(
    r"(RequestId|Billed Restore Duration|Billed Duration|Restore Duration|Init Duration"
    r"|Duration|Memory Size|Max Memory Used|Status|Error Type): (\S+)"
)
XRAY_TRACE = re.compile(r"XRAY TraceId: ([^\t\s]+)")
JSON_METRICS = {
    "durationMs": "Duration",
    "billedDurationMs": "Billed Duration",
    "memorySizeMB": "Memory Size",
    "maxMemoryUsedMB": "Max Memory Used",
    "initDurationMs": "Init Duration",
    "restoreDurationMs": "Restore Duration",
    "billedRestoreDurationMs": "Billed Restore Duration",
}
MAX_LINE_CHARS = 4096


@dataclass(frozen=True, kw_only=True)
class ReportLine:
    """The figures of one REPORT line."""

    request_id: str
    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None = None  # only on a cold start
    restore_duration_ms: float | None = None  # SnapStart, instead of init
    billed_restore_duration_ms: int | None = None
    status: str | None = None  # "error", "timeout" ... when the invocation failed
    error_type: str | None = None
    xray_trace_id: str | None = None

    @property
    def cold(self) -> bool:
        """True when the invocation started a new execution environment."""
        return self.init_duration_ms is not None or self.restore_duration_ms is not None


def local_report(
    request_id: str,
    duration_ms: float,
    memory_size_mb: int,
    max_memory_used_mb: float,
    init_duration_ms: float | None = None,
    error_type: str | None = None,
) -> ReportLine:
    """The REPORT figures of a local invocation, billed as Lambda bills on-demand functions."""
    return ReportLine(
        request_id=request_id,
        duration_ms=duration_ms,
        billed_duration_ms=billed_duration_ms(duration_ms, init_duration_ms),
        memory_size_mb=memory_size_mb,
        max_memory_used_mb=round(max_memory_used_mb),
        init_duration_ms=init_duration_ms,
        status="error" if error_type else None,
        error_type=error_type,
    )


def format_report_line(report: ReportLine) -> str:
    """The REPORT line as Lambda's text log format writes it (tab separated, trailing tab)."""
    fields = [
        f"REPORT RequestId: {report.request_id}",
        f"Duration: {report.duration_ms:.2f} ms",
        f"Billed Duration: {report.billed_duration_ms} ms",
        f"Memory Size: {report.memory_size_mb} MB",
        f"Max Memory Used: {report.max_memory_used_mb} MB",
    ]
    if report.restore_duration_ms is not None:
        fields.append(f"Restore Duration: {report.restore_duration_ms:.2f} ms")
        fields.append(f"Billed Restore Duration: {report.billed_restore_duration_ms} ms")
    if report.init_duration_ms is not None:
        fields.append(f"Init Duration: {report.init_duration_ms:.2f} ms")
    if report.status is not None:
        fields.append(f"Status: {report.status}")
    if report.error_type is not None:
        fields.append(f"Error Type: {report.error_type}")
    return "\t".join(fields) + "\t"


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _build(request_id: str, fields: dict[str, Any]) -> ReportLine | None:
    """A ReportLine from label -> value, or None when a required figure is missing."""
    numbers = {label: _number(value) for label, value in fields.items()}
    required = ("Duration", "Billed Duration", "Memory Size", "Max Memory Used")
    if any(numbers.get(label) is None for label in required):
        return None
    billed_restore = numbers.get("Billed Restore Duration")
    return ReportLine(
        request_id=request_id,
        duration_ms=numbers["Duration"],
        billed_duration_ms=round(numbers["Billed Duration"]),
        memory_size_mb=round(numbers["Memory Size"]),
        max_memory_used_mb=round(numbers["Max Memory Used"]),
        init_duration_ms=numbers.get("Init Duration"),
        restore_duration_ms=numbers.get("Restore Duration"),
        billed_restore_duration_ms=None if billed_restore is None else round(billed_restore),
        status=fields.get("Status") or None,
        error_type=fields.get("Error Type") or None,
    )


def parse_text_report(line: str) -> ReportLine | None:
    """The figures of a text-format REPORT line, or None when it is not a complete one."""
    start = line.find("REPORT RequestId:")
    if start < 0 or len(line) > MAX_LINE_CHARS:
        return None
    fields = {m.group(1): m.group(2) for m in TEXT_FIELD.finditer(line[start:])}
    return _build(fields.get("RequestId", ""), fields)


def parse_json_report(line: str) -> ReportLine | None:
    """The figures of a JSON-format `platform.report` event, or None when it is not one."""
    if '"platform.report"' not in line or len(line) > MAX_LINE_CHARS:
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    record = event.get("record") if isinstance(event, dict) else None
    metrics = record.get("metrics") if isinstance(record, dict) else None
    if not isinstance(metrics, dict) or event.get("type") != "platform.report":
        return None
    fields = {label: metrics.get(key) for key, label in JSON_METRICS.items() if key in metrics}
    status = record.get("status")
    fields["Status"] = status if isinstance(status, str) and status != "success" else None
    error_type = record.get("errorType")
    fields["Error Type"] = error_type if isinstance(error_type, str) else None
    report = _build(str(record.get("requestId", "")), fields)
    return report and dataclasses.replace(report, xray_trace_id=_json_trace_id(record))


def _json_trace_id(record: dict) -> str | None:
    tracing = record.get("tracing")
    value = tracing.get("value") if isinstance(tracing, dict) else None
    if not isinstance(value, str):
        return None
    parts = dict(part.split("=", 1) for part in value.split(";") if "=" in part)
    return parts.get("Root")


def parse_reports(log: str) -> tuple[ReportLine, ...]:
    """Every REPORT in a log, text or JSON format, with the X-Ray trace id when one follows."""
    reports: list[ReportLine] = []
    for line in log.splitlines():
        trace = XRAY_TRACE.match(line.strip())
        if trace and reports and reports[-1].xray_trace_id is None:
            reports[-1] = dataclasses.replace(reports[-1], xray_trace_id=trace.group(1))
            continue
        report = parse_text_report(line) or parse_json_report(line)
        if report is not None:
            reports.append(report)
    return tuple(reports)
