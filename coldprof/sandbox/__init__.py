"""The execution environment: a child interpreter set up like a Lambda Python runtime."""

from coldprof.sandbox.environment import Environment
from coldprof.sandbox.interpreter import (
    InterpreterInfo,
    bare_start_ms,
    check_runtime,
    find_interpreter,
    interpreter_info,
)
from coldprof.sandbox.materialize import materialize, materialize_all
from coldprof.sandbox.spec import EnvironmentSpec, ErrorInfo, InitResult, InvokeResult

__all__ = [
    "Environment",
    "EnvironmentSpec",
    "ErrorInfo",
    "InitResult",
    "InterpreterInfo",
    "InvokeResult",
    "bare_start_ms",
    "check_runtime",
    "find_interpreter",
    "interpreter_info",
    "materialize",
    "materialize_all",
]
