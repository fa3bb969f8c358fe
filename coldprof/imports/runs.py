"""The runs of `coldprof imports`: fresh environments, each a cold start, some then invoked.

After one warm-up run that fills a bytecode cache outside the package (init and the events, so
that the modules the invocations import are cached too), one usage run (only when
there are events, and only with coldprof's light runtime) watches what the events use of init
and which package files are loaded; its hooks slow it, so none of its times is used. Then
`repeat` rounds of four variants, interleaved so that drift on the machine affects all alike:
init and warm init are only timed; profile and warm profile run under -X importtime and then
invoke the events in order, so each invocation's imports are recorded as init's are.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coldprof.data import lambda_facts
from coldprof.function import FunctionConfig, environment_spec, prepare
from coldprof.sandbox import Environment, EnvironmentSpec, ErrorInfo, InitResult, InvokeResult

Observer = Callable[[int, int], None]  # (runs done, runs in all)
USAGE_TIMEOUT_FACTOR = 10
MAX_TIMEOUT_S = float(lambda_facts()["limits"]["timeout_max_s"])
Event = tuple[str, Any]  # (its name as given, the event)

# (importtime, warm bytecode cache) of the four runs in each round
VARIANTS = {
    "init": (False, False),
    "profile": (True, False),
    "warm_init": (False, True),
    "warm_profile": (True, True),
}


@dataclass(frozen=True)
class Runs:
    """The init results of every run by variant, the invocations of the profiled ones, the usage
    run's invocations, and the first failure of an init if any."""

    by_variant: dict[str, list[InitResult]]
    error: ErrorInfo | None
    invoked: dict[str, list[tuple[InvokeResult, ...]]] = field(default_factory=dict)
    usage: tuple[InvokeResult, ...] | None = None  # None: no usage run


def start_once(spec: EnvironmentSpec) -> InitResult:
    """One cold start in a fresh child; the child is gone afterwards. An init that passes
    Lambda's 10 s limit is run again, as Lambda runs it inside the first invocation (a failed
    one is not: its second run would fail the same way and profile nothing more)."""
    return run_once(spec, ())[0]


def run_once(
    spec: EnvironmentSpec, events: Sequence[Event]
) -> tuple[InitResult, tuple[InvokeResult, ...]]:
    """One cold start, then the events in order in the same environment (until one ends it)."""
    with Environment(spec) as environment:
        result = environment.start()
        init = environment.retry_init() if result.status == "timeout" else result
        invoked: list[InvokeResult] = []
        for _, event in events if init.ok else ():
            invoked.append(environment.invoke(event))
            if invoked[-1].environment_ended:
                break
        return init, tuple(invoked)


def watches_usage(spec: EnvironmentSpec, events: Sequence[Event]) -> bool:
    """A usage run is made when there are events and the light runtime can watch them."""
    return bool(events) and spec.runtime_client == "coldprof"


def usage_spec(spec: EnvironmentSpec) -> EnvironmentSpec:
    """A usage run's environment: watched, and, since it is never timed, on the machine's whole
    CPU and with ten times the function's timeout (Lambda's most at most), so that its hooks'
    slowness does not end an invocation the function would finish."""
    timeout_s = min(MAX_TIMEOUT_S, spec.timeout_s * USAGE_TIMEOUT_FACTOR)
    return replace(
        spec, watch_usage=True, cpu_share="off", timeout_s=max(timeout_s, spec.timeout_s)
    )


def measure(
    function: FunctionConfig,
    cache_dir: Path,
    repeat: int,
    observer: Observer | None,
    events: Sequence[Event] = (),
) -> Runs:
    """A warm-up run, the usage run, then `repeat` rounds of the four variants."""
    report = observer or (lambda done, total: None)
    spec = environment_spec(function)
    usage_runs = 1 if watches_usage(spec, events) else 0
    total = 1 + usage_runs + repeat * len(VARIANTS)
    runs: dict[str, list[InitResult]] = {variant: [] for variant in VARIANTS}
    invoked: dict[str, list[tuple[InvokeResult, ...]]] = {"profile": [], "warm_profile": []}
    warm_up = run_once(replace(spec, pycache_prefix=cache_dir), events)[0]
    report(1, total)
    if not warm_up.ok:
        runs["init"].append(warm_up)
        return Runs(runs, warm_up.error, invoked)
    usage = None
    if usage_runs:
        usage = run_once(usage_spec(spec), events)[1]
        report(2, total)
    rounds = itertools.chain.from_iterable([VARIANTS.items()] * repeat)
    for done, (variant, (importtime, warm)) in enumerate(rounds, start=2 + usage_runs):
        cache = cache_dir if warm else None
        run_spec = replace(spec, importtime=importtime, pycache_prefix=cache)
        result, results = run_once(run_spec, events if importtime else ())
        runs[variant].append(result)
        if importtime and result.ok:
            invoked[variant].append(results)
        report(done, total)
        if not result.ok:
            return Runs(runs, result.error, invoked, usage)
    return Runs(runs, None, invoked, usage)


def run_all(
    function: FunctionConfig, repeat: int, observer: Observer | None, events: Sequence[Event] = ()
) -> Runs:
    """All the runs, in children whose task root and layers are safe, read-only copies of zips."""
    with ExitStack() as stack:
        prepared = prepare(stack, function)
        cache_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="coldprof-")))
        return measure(prepared, cache_dir, repeat, observer, events)


def usage_run(
    function: FunctionConfig, events: Sequence[Event]
) -> tuple[InitResult, tuple[InvokeResult, ...]]:
    """Only the usage run (for `slim --drop unused-files`): its init, the events' invocations."""
    with ExitStack() as stack:
        spec = environment_spec(prepare(stack, function))
        return run_once(usage_spec(spec), events)
