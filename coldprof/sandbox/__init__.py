"""The execution environment: a child interpreter set up like a Lambda Python runtime."""

from coldprof.sandbox.environment import Environment, EnvironmentStopped
from coldprof.sandbox.interpreter import (
    InterpreterInfo,
    bare_start_ms,
    check_runtime,
    find_interpreter,
    interpreter_info,
)
from coldprof.sandbox.left_running import LeftRunning
from coldprof.sandbox.materialize import materialize, materialize_all
from coldprof.sandbox.spec import Emulation, EnvironmentSpec, ErrorInfo, InitResult, InvokeResult

__all__ = [
    "Emulation",
    "Environment",
    "EnvironmentSpec",
    "EnvironmentStopped",
    "ErrorInfo",
    "InitResult",
    "InterpreterInfo",
    "InvokeResult",
    "LeftRunning",
    "bare_start_ms",
    "check_runtime",
    "find_interpreter",
    "interpreter_info",
    "materialize",
    "materialize_all",
]
