"""One invocation in a pooled environment: start it if cold, invoke, give it back."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coldprof.bench.report_line import ReportLine, local_report
from coldprof.sandbox import ErrorInfo, InitResult, InvokeResult
from coldprof.serve.functions import Configuration, FunctionPool, Lease
from coldprof.serve.logs import invocation_log

TIMED_OUT = "Sandbox.Timedout"  # REPORT says `Status: timeout` for it, `Status: error` otherwise


@dataclass(frozen=True)
class Outcome:
    """What one invocation gave: init (on a cold start), the invocation, or the init failure."""

    request_id: str
    configuration: Configuration
    init: InitResult | None  # None on a warm start
    result: InvokeResult | None  # None when init failed

    @property
    def error(self) -> ErrorInfo | None:
        """The init or handler error, if any."""
        if self.result is None:
            return self.init.error if self.init else None
        return self.result.error

    def payload(self) -> bytes:
        """The response body: the handler's return value, or Lambda's error payload."""
        if self.result is None:
            return json.dumps(self.error.payload() if self.error else {}).encode()
        return json.dumps(self.result.response).encode()

    def report(self) -> ReportLine:
        """The REPORT figures: Init Duration only on a cold start."""
        init_ms = self.init.init_ms if self.init else None
        if self.result is None:
            duration_ms, max_rss_mb = 0.0, self.init.max_rss_mb if self.init else 0.0
        else:
            duration_ms, max_rss_mb = self.result.duration_ms, self.result.max_rss_mb
        error_type = self.error.type if self.error and self._environment_ended() else None
        report = local_report(
            self.request_id,
            duration_ms,
            self.configuration.function.memory_mb,
            max_rss_mb,
            init_ms,
            error_type,
        )
        timed_out = error_type == TIMED_OUT
        return dataclasses.replace(report, status="timeout") if timed_out else report

    def log(self) -> str:
        """The invocation's log as Lambda writes it, REPORT line last."""
        init_log = self.init.log if self.init else ""
        function_log = self.result.log if self.result else ""
        configuration = self.configuration
        return invocation_log(
            init_log,
            function_log,
            self.error,
            self.report(),
            configuration.log_format,
            configuration.version,
        )

    def _environment_ended(self) -> bool:
        return self.result is None or self.result.environment_ended


def run(
    pool: FunctionPool,
    lease: Lease,
    event: object,
    request_id: str,
    context: Mapping[str, Any] | None = None,
) -> Outcome:
    """Invoke in the leased environment (starting it first when cold), then give it back;
    `context` holds the invocation's own context fields (invoked_function_arn, client_context)."""
    reusable = False
    try:
        init = lease.environment.start() if lease.cold else None
        if init is not None and not init.ok:
            return Outcome(request_id, lease.configuration, init, None)
        result = lease.environment.invoke(event, request_id, context)
        reusable = not result.environment_ended
        return Outcome(request_id, lease.configuration, init, result)
    finally:
        pool.release(lease, reusable)
