"""The log of one invocation as Lambda writes it (text or JSON format), and its 4 KB tail."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from coldprof.bench.report_line import ReportLine, format_report_line
from coldprof.sandbox import ErrorInfo

TAIL_BYTES = 4096
JSON_METRICS = (
    ("durationMs", "duration_ms"),
    ("billedDurationMs", "billed_duration_ms"),
    ("memorySizeMB", "memory_size_mb"),
    ("maxMemoryUsedMB", "max_memory_used_mb"),
    ("initDurationMs", "init_duration_ms"),
)


def error_lines(error: ErrorInfo) -> str:
    """What the Python runtime logs for an error: `[ERROR] Type: message` and the traceback."""
    trace = "".join(error.stack_trace)
    lines = f"[ERROR] {error.type}: {error.message}\n"
    if trace:
        lines += "Traceback (most recent call last):\n" + trace.rstrip("\n") + "\n"
    return lines


def invocation_log(
    init_log: str,
    function_log: str,
    error: ErrorInfo | None,
    report: ReportLine,
    log_format: str,
    version: str = "$LATEST",
) -> str:
    """The whole log of one invocation: init output, START, the function's output, END, REPORT."""
    request_id = report.request_id
    if error is not None:
        function_log = _ended(function_log) + error_lines(error)
    if log_format == "JSON":
        start = _platform("platform.start", {"requestId": request_id, "version": version})
        end = _platform(
            "platform.runtimeDone", {"requestId": request_id, "status": _status(report)}
        )
        last = _platform("platform.report", _json_report(report))
    else:
        start = f"START RequestId: {request_id} Version: {version}"
        end = f"END RequestId: {request_id}"
        last = format_report_line(report)
    return f"{_ended(init_log)}{start}\n{_ended(function_log)}{end}\n{last}\n"


def tail_base64(log: str) -> str:
    """The last 4 KB of the log, base64 encoded, as Invoke's LogResult carries it."""
    return base64.b64encode(log.encode("utf-8", "replace")[-TAIL_BYTES:]).decode("ascii")


def _ended(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def _status(report: ReportLine) -> str:
    return report.status or "success"


def _platform(event_type: str, record: dict) -> str:
    time = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({"time": time, "type": event_type, "record": record})


def _json_report(report: ReportLine) -> dict:
    metrics = {
        key: getattr(report, name)
        for key, name in JSON_METRICS
        if getattr(report, name) is not None
    }
    record = {"requestId": report.request_id, "metrics": metrics, "status": _status(report)}
    if report.error_type is not None:
        record["errorType"] = report.error_type
    return record
