"""The function under test: one record (FunctionConfig) with Lambda's defaults, the settings a
user writes for it (command line, [tool.coldprof], `serve --function`), and the execution
environment built from it.

    function = FunctionConfig(target=Path("build"), handler="app.handler", memory_mb=512)
    with ExitStack() as stack:
        spec = environment_spec(prepare(stack, function))   # for coldprof.sandbox.Environment
"""

from coldprof.function.environment import environment_spec, init_limit_s, prepare
from coldprof.function.record import KEYS, SETTINGS, FunctionConfig, with_settings

__all__ = [
    "KEYS",
    "SETTINGS",
    "FunctionConfig",
    "environment_spec",
    "init_limit_s",
    "prepare",
    "with_settings",
]
