"""`coldprof invoke` as a library call: one invocation in a fresh environment."""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coldprof.bench.driver import request_id
from coldprof.bench.function import FunctionConfig, environment_spec
from coldprof.bench.report_line import ReportLine, format_report_line, local_report
from coldprof.sandbox import Environment, InitResult, interpreter_info


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


def _init_failed(rid: str, init: InitResult, config: FunctionConfig) -> InvokeOutcome:
    report = local_report(
        rid, 0.0, config.memory_mb, init.max_rss_mb, init.init_ms, error_type=init.error.type
    )
    payload = {**init.error.payload(), "requestId": rid}
    return InvokeOutcome(False, rid, payload, init.error.type, init.log, "", report)


def invoke_once(target: Path, handler: str, event: Any, config: FunctionConfig) -> InvokeOutcome:
    """Start a new environment for the handler and invoke it once with the event."""
    config = dataclasses.replace(config, python=interpreter_info(config.python).executable)
    rid = request_id()
    with ExitStack() as stack:
        environment = stack.enter_context(
            Environment(environment_spec(target, handler, config, stack))
        )
        init = environment.start()
        if not init.ok:
            return _init_failed(rid, init, config)
        result = environment.invoke(event, rid)
    error_type = result.error.type if result.error else None
    memory_mb = max(init.max_rss_mb, result.max_rss_mb)
    report = local_report(
        rid, result.duration_ms, config.memory_mb, memory_mb, init.init_ms, error_type
    )
    return InvokeOutcome(result.ok, rid, result.response, error_type, init.log, result.log, report)


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
