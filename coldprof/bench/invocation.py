"""One invocation as Lambda reports it: its payload, its REPORT line, INIT_REPORT lines when init
failed, timed out or ran again inside the invocation, and its whole log (text or JSON format).
Shared by `invoke` and `serve`, so both frame a log the same way."""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from coldprof.bench.report_line import ReportLine, format_report_line, local_report
from coldprof.sandbox import ErrorInfo, InitResult, InvokeResult
from coldprof.sandbox.faults import platform_payload, report_error_type
from coldprof.sandbox.spec import TIMED_OUT

VERSION = "$LATEST"
TAIL_BYTES = 4096
JSON_METRICS = (
    ("durationMs", "duration_ms"),
    ("billedDurationMs", "billed_duration_ms"),
    ("memorySizeMB", "memory_size_mb"),
    ("maxMemoryUsedMB", "max_memory_used_mb"),
    ("initDurationMs", "init_duration_ms"),
)


@dataclass(frozen=True)
class Invocation:
    """What one invocation gave: the init phase on a cold start, then the invocation (None when
    init failed and was not run again)."""

    request_id: str
    memory_mb: int
    timeout_s: float
    init: InitResult | None  # None on a warm start
    result: InvokeResult | None
    version: str = VERSION  # the function version that ran

    @property
    def error(self) -> ErrorInfo | None:
        """The init or handler error, if any."""
        if self.result is None:
            return self.init.error if self.init else None
        return self.result.error

    @property
    def ok(self) -> bool:
        """True when the handler answered without an error."""
        return self.error is None

    def payload(self) -> bytes:
        """The Invoke payload: the response or error exactly as the runtime returned it."""
        if self.result is not None:
            return self.result.payload
        if self.init is not None and self.init.payload:
            return self.init.payload
        return platform_payload(self.error) if self.error else b"null"

    def report(self) -> ReportLine:
        """The REPORT figures: Init Duration on a cold start whose init ran in the init phase."""
        init_ms = None
        if self.init is not None and not self.init.retry:
            init_ms = self.init.init_duration_ms
        stopped_ms = self.init.init_duration_ms if self.init and self.init.retry else 0.0
        duration_ms = self.result.duration_ms if self.result else 0.0
        rss = [r.max_rss_mb for r in (self.init, self.result) if r is not None]
        error_type = None
        if self.error is not None and self._environment_ended():
            error_type = report_error_type(self.error)
        report = local_report(
            self.request_id, duration_ms, self.memory_mb, max(rss, default=0.0), init_ms, error_type
        )
        billed = dataclasses.replace(
            report, billed_duration_ms=report.billed_duration_ms + round(stopped_ms)
        )
        if error_type == TIMED_OUT:
            return dataclasses.replace(billed, status="timeout", error_type=None)
        return billed

    def log(self, log_format: str = "Text") -> str:
        """The invocation's whole log as Lambda writes it, REPORT line last."""
        rid = self.request_id
        json_format = log_format == "JSON"
        parts = [self.init.log if self.init else ""]
        if self.init is not None and not self.init.ok:
            parts.append(_init_report(self.init, json_format))
        parts.append(
            _platform("platform.start", {"requestId": rid, "version": self.version}, json_format)
            or f"START RequestId: {rid} Version: {self.version}\n"
        )
        reinit = self.result.reinit if self.result else None
        if reinit is not None:
            parts += [reinit.log, _init_report(reinit, json_format)]
        parts.append(self.result.log if self.result else "")
        parts.append(self._platform_error_lines())
        status = self.report().status or "success"
        end = {"requestId": rid, "status": status}
        parts.append(
            _platform("platform.runtimeDone", end, json_format) or f"END RequestId: {rid}\n"
        )
        report = self.report()
        parts.append(
            _platform("platform.report", _json_report(report), json_format)
            or format_report_line(report) + "\n"
        )
        return "".join(part if not part or part.endswith("\n") else part + "\n" for part in parts)

    def _platform_error_lines(self) -> str:
        """What Lambda's platform itself logs for a timeout, a crash or an out-of-memory."""
        error = self.error
        if error is None or self.result is None or not self._environment_ended():
            return ""
        if error.type == TIMED_OUT:
            stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            return f"{stamp} {self.request_id} Task timed out after {self.timeout_s:.2f} seconds\n"
        return f"{error.message}\n{error.type}\n"

    def _environment_ended(self) -> bool:
        return self.result is None or self.result.environment_ended


def format_init_report(init: InitResult) -> str:
    """The INIT_REPORT line Lambda writes when init failed, timed out, or ran again inside the
    first invocation (Phase: invoke)."""
    fields = [
        f"INIT_REPORT Init Duration: {init.init_duration_ms:.2f} ms",
        f"Phase: {init.phase}",
        f"Status: {init.status}",
    ]
    if init.status == "error" and init.error is not None:
        fields.append(f"Error Type: {report_error_type(init.error)}")
    return "\t".join(fields)


def _init_report(init: InitResult, json_format: bool) -> str:
    record = {
        "initializationType": "on-demand",
        "phase": init.phase,
        "status": init.status,
        "metrics": {"durationMs": round(init.init_duration_ms, 3)},
    }
    if init.status == "error" and init.error is not None:
        record["errorType"] = report_error_type(init.error)
    return _platform("platform.initReport", record, json_format) or format_init_report(init) + "\n"


def _platform(event_type: str, record: dict, json_format: bool) -> str:
    """A platform event in the JSON log format ("" in the text format)."""
    if not json_format:
        return ""
    time = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({"time": time, "type": event_type, "record": record}) + "\n"


def _json_report(report: ReportLine) -> dict:
    metrics = {
        key: getattr(report, name)
        for key, name in JSON_METRICS
        if getattr(report, name) is not None
    }
    record = {
        "requestId": report.request_id,
        "metrics": metrics,
        "status": report.status or "success",
    }
    if report.error_type is not None:
        record["errorType"] = report.error_type
    return record


def tail_base64(log: str) -> str:
    """The last 4 KB of the log, base64 encoded, as Invoke's LogResult carries it."""
    return base64.b64encode(log.encode("utf-8", "replace")[-TAIL_BYTES:]).decode("ascii")
