"""`coldprof invoke` as a library call: one invocation in a fresh environment."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from coldprof.bench.driver import request_id
from coldprof.bench.report_line import ReportLine, format_report_line, local_report
from coldprof.function import FunctionConfig, environment_spec, prepare
from coldprof.sandbox import Emulation, Environment, InitResult, LeftRunning


@dataclass(frozen=True)
class InvokeOutcome:
    """What one cold invocation gave: the response or Lambda's error payload, logs, REPORT."""

    ok: bool
    request_id: str
    response: Any  # the handler's return value, or {"errorMessage", "errorType", "stackTrace"}
    error_type: str | None
    init_log: str  # the function's output during init
    log: str  # the function's output during the invocation
    report: ReportLine
    emulation: Emulation | None = None  # how the environment lived here
    cpu_ms: float = 0.0  # CPU time of the environment during the invocation
    round_trip_ms: float = 0.0  # parent clock around the invocation
    ephemeral_peak_mb: float = 0.0  # the most its /tmp held (MiB, sampled)
    left_running: tuple[LeftRunning, ...] = ()  # work still running when the handler returned


def _init_failed(rid: str, init: InitResult, function: FunctionConfig) -> InvokeOutcome:
    report = local_report(
        rid, 0.0, function.memory_mb, init.max_rss_mb, init.init_ms, error_type=init.error.type
    )
    payload = {**init.error.payload(), "requestId": rid}
    return InvokeOutcome(
        False, rid, payload, init.error.type, init.log, "", report, emulation=init.emulation
    )


def invoke_once(function: FunctionConfig, event: Any) -> InvokeOutcome:
    """Start a new environment for the function and invoke it once with the event."""
    rid = request_id()
    with ExitStack() as stack:
        spec = environment_spec(prepare(stack, function))
        environment = stack.enter_context(Environment(spec))
        init = environment.start()
        if not init.ok:
            return _init_failed(rid, init, function)
        result = environment.invoke(event, rid)
        left_running = environment.left_running()
    error_type = result.error.type if result.error else None
    memory_mb = max(init.max_rss_mb, result.max_rss_mb)
    report = local_report(
        rid, result.duration_ms, function.memory_mb, memory_mb, init.init_ms, error_type
    )
    return InvokeOutcome(
        result.ok,
        rid,
        result.response,
        error_type,
        init.log,
        result.log,
        report,
        emulation=init.emulation,
        cpu_ms=result.cpu_ms,
        round_trip_ms=result.round_trip_ms,
        ephemeral_peak_mb=result.ephemeral_peak_mb,
        left_running=left_running,
    )


def lambda_log(outcome: InvokeOutcome) -> str:
    """The function's log framed as Lambda writes it: START, output, END, REPORT."""
    rid = outcome.request_id
    parts = [
        outcome.init_log,
        f"START RequestId: {rid} Version: $LATEST\n",
        outcome.log,
        f"END RequestId: {rid}\n",
        format_report_line(outcome.report) + "\n",
    ]
    return "".join(part if not part or part.endswith("\n") else part + "\n" for part in parts)
