"""One invocation in a pooled environment: start it if cold, invoke, give it back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coldprof.bench.invocation import Invocation
from coldprof.bench.report_line import ReportLine
from coldprof.sandbox import ErrorInfo, InitResult
from coldprof.serve.functions import Configuration, FunctionPool, Lease


@dataclass(frozen=True)
class Outcome:
    """One invocation of a served function, with the configuration it ran under."""

    invocation: Invocation
    configuration: Configuration

    @property
    def init(self) -> InitResult | None:
        """The init phase on a cold start (None when warm)."""
        return self.invocation.init

    @property
    def error(self) -> ErrorInfo | None:
        """The init or handler error, if any."""
        return self.invocation.error

    def payload(self) -> bytes:
        """The response body: the handler's return value, or Lambda's error payload."""
        return self.invocation.payload()

    def report(self) -> ReportLine:
        """The REPORT figures: Init Duration only on a cold start."""
        return self.invocation.report()

    def log(self) -> str:
        """The invocation's log as Lambda writes it, REPORT line last."""
        return self.invocation.log(self.configuration.log_format)


def run(
    pool: FunctionPool,
    lease: Lease,
    event: object,
    request_id: str,
    context: Mapping[str, Any] | None = None,
) -> Outcome:
    """Invoke in the leased environment (starting it first when cold), then give it back;
    `context` holds the invocation's own context fields (invoked_function_arn, client_context).

    An init that passes Lambda's 10 s limit is run again inside this invocation, under the
    function's timeout, as Lambda does; an init that fails answers with its error."""
    reusable = False
    configuration = lease.configuration
    function = configuration.function
    try:
        init = lease.environment.start() if lease.cold else None
        result = None
        if init is None or init.ok or init.retry:
            result = lease.environment.invoke(event, request_id, context)
            reusable = not result.environment_ended
        invocation = Invocation(
            request_id, function.memory_mb, function.timeout_s, init, result, configuration.version
        )
        return Outcome(invocation, configuration)
    finally:
        pool.release(lease, reusable)
