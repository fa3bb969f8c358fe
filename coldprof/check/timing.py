"""Init time over fresh execution environments, for the init_ms budget."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from coldprof.function import FunctionConfig, environment_spec, prepare
from coldprof.sandbox import Environment, EnvironmentSpec, InitResult
from coldprof.stats import Stats, summarize

Observer = Callable[[str], None]


@dataclass(frozen=True)
class InitTiming:
    """The init samples' statistics, or why the handler could not be made ready."""

    init_ms: Stats | None
    error: str | None  # "Runtime.ImportModuleError: Unable to import module 'app': ..."
    read_only: str = ""  # how the package was kept read-only: mount-namespace | audit-hook
    stopped_runs: int = 0  # timed runs whose init passed Lambda's 10 s limit (then run again)


def init_once(spec: EnvironmentSpec) -> InitResult:
    """One init in a fresh environment; one that passes Lambda's init limit is run again, as
    Lambda runs it inside the first invocation (a failed one would fail the same way)."""
    with Environment(spec) as environment:
        result = environment.start()
        return environment.retry_init() if result.status == "timeout" else result


def time_init(function: FunctionConfig, runs: int, observer: Observer | None = None) -> InitTiming:
    """Init (the runtime ready to the handler ready) in a warm-up run and then `runs` fresh
    environments."""
    samples: list[float] = []
    stopped = 0
    with ExitStack() as stack:
        spec = environment_spec(prepare(stack, function))
        for run in range(runs + 1):
            if observer is not None:
                observer(f"timing init: run {run} of {runs}" if run else "warming up")
            result = init_once(spec)
            if not result.ok:
                error = result.error
                message = f"{error.type}: {error.message}" if error else "failed"
                return InitTiming(None, message, result.read_only)
            samples.append(result.init_ms)
            stopped += run > 0 and result.phase == "invoke"
    return InitTiming(summarize(samples[1:]), None, result.read_only, stopped)
