"""`coldprof invoke` as a library call: one invocation in a fresh environment."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from coldprof.bench.driver import request_id
from coldprof.bench.invocation import Invocation
from coldprof.function import FunctionConfig, environment_spec, prepare
from coldprof.sandbox import Environment


def invoke_once(function: FunctionConfig, event: Any) -> Invocation:
    """Start a new environment for the function and invoke it once with the event.

    An init that passes Lambda's 10 s limit runs again inside the invocation, as on Lambda."""
    rid = request_id()
    with ExitStack() as stack:
        spec = environment_spec(prepare(stack, function))
        environment = stack.enter_context(Environment(spec))
        init = environment.start()
        result = environment.invoke(event, rid) if init.ok or init.retry else None
    return Invocation(rid, function.memory_mb, function.timeout_s, init, result)
