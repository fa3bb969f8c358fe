"""What the execution environment adds, measured side by side in one run.

1. Init of the trivial handler through the light runtime (spawn -> ready: the runtime's start
   plus the function's init, Lambda's Init Duration) against a plain interpreter doing the same
   work, `python -I -S -B -u -c "import <the runtime's modules>; import app"` in the same folder
   (spawn -> a byte written after the import, and spawn -> exit), runs interleaved. Budget:
   coldprof's own glue adds <= 5 ms (median). The bare `-c pass` and `-c "import app"` starts
   are printed too: the difference is the runtime's start that Lambda's Init Duration includes.
2. Warm invocation overhead of the trivial handler: round trip minus the handler's own
   duration. Budget: < 0.5 ms (median).
3. Cold samples per second (start, one invocation, close) of the trivial handler against a
   loop of the same plain interpreter importing the runtime's modules. Budget (issue 5): at
   least 80% of that rate.

Usage: python benchmarks/sandbox_overhead.py [--runs 40] [--invokes 2000] [--python PATH]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from coldprof.function import FunctionConfig, environment_spec
from coldprof.sandbox import Environment, EnvironmentSpec, bare_start_ms, interpreter_info
from coldprof.sandbox.process import Child
from coldprof.sandbox.runtime_start import runtime_modules

TRIVIAL = Path(__file__).resolve().parent.parent / "fixtures" / "handlers" / "trivial"


def import_only_ms(executable: str, modules: tuple[str, ...] = ()) -> tuple[float, float]:
    """(spawn -> import done, spawn -> exit) of `python -I -S -B -u -c "import app"`, ms,
    after importing `modules` (the runtime's, in its order) when given."""
    runtime = "".join(f"__import__({name!r}); " for name in modules)
    code = f"import sys; {runtime}sys.path.insert(0, {str(TRIVIAL)!r}); import app; "
    code += "sys.stdout.write('.')"
    first_output_ns: list[int] = []

    def on_stdout(data: bytes) -> None:
        first_output_ns.append(time.perf_counter_ns())

    child = Child(
        [executable, "-I", "-S", "-B", "-u", "-c", code], {}, str(TRIVIAL), on_stdout, print
    )
    try:
        child.wait_exit(child.spawn_ns + 30 * 10**9)
    finally:
        child.close()
    return (first_output_ns[0] - child.spawn_ns) / 1e6, (
        child.exit.reaped_ns - child.spawn_ns
    ) / 1e6


def bootstrap_init_ms(spec: EnvironmentSpec) -> float:
    """Spawn -> ready of the trivial handler through the light runtime (Init Duration), ms."""
    with Environment(spec) as environment:
        result = environment.start()
        assert result.ok, result.error
        return result.init_duration_ms


def invoke_overhead_ms(spec: EnvironmentSpec, invokes: int) -> list[float]:
    """Round trip minus duration of warm invocations, ms."""
    with Environment(spec) as environment:
        environment.start()
        for _ in range(50):
            environment.invoke({})
        results = [environment.invoke({"n": n}) for n in range(invokes)]
    return [r.round_trip_ms - r.duration_ms for r in results]


def cold_sample(spec: EnvironmentSpec) -> None:
    """One cold sample: a new environment, one invocation, closed."""
    with Environment(spec) as environment:
        environment.start()
        environment.invoke({})


def seconds_each(action) -> float:
    """Wall time of one call of `action()`."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def rates(first, second, runs: int) -> tuple[float, float]:
    """Calls per second of two actions, alternated so that drift hits both (median times)."""
    a, b = [], []
    for _ in range(runs):
        a.append(seconds_each(first))
        b.append(seconds_each(second))
    return 1 / statistics.median(a), 1 / statistics.median(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--invokes", type=int, default=2000)
    parser.add_argument("--python", default=None)
    args = parser.parse_args()
    info = interpreter_info(args.python)
    function = FunctionConfig(target=TRIVIAL, handler="app.handler", python=args.python)
    spec = environment_spec(function)
    modules = runtime_modules(info.version)
    bootstrap_init_ms(spec)  # warm-up: the bootstrap compiled once, caches filled
    init, ready, same_work, exited, bare = [], [], [], [], []
    for _ in range(args.runs):
        init.append(bootstrap_init_ms(spec))
        ready.append(import_only_ms(info.executable)[0])
        to_ready, to_exit = import_only_ms(info.executable, modules)
        same_work.append(to_ready)
        exited.append(to_exit)
        bare.extend(bare_start_ms(args.python, 1))
    overhead = invoke_overhead_ms(spec, args.invokes)
    cold_rate, same_rate = rates(
        lambda: cold_sample(spec), lambda: import_only_ms(info.executable, modules), args.runs
    )
    median = statistics.median
    print(f"interpreter: {info.executable} (Python {info.version[0]}.{info.version[1]})")
    print(f"runs: {args.runs} interleaved; warm invocations: {args.invokes}")
    print(f"bare start  python -I -S -B -u -c pass, spawn->exit:        {median(bare):7.2f} ms")
    print(f"import only python ... -c 'import app', spawn->imported:    {median(ready):7.2f} ms")
    print(
        f"same work   ... runtime's modules + app, spawn->imported:   {median(same_work):7.2f} ms"
    )
    print(f"same work   ... runtime's modules + app, spawn->exit:       {median(exited):7.2f} ms")
    print(f"light runtime, spawn->ready (runtime start + function init):{median(init):7.2f} ms")
    added = median(init) - median(same_work)
    print(f"coldprof's glue adds (vs the same work, spawn->imported):   {added:+7.2f} ms")
    print(
        f"cold samples per second: {cold_rate:.1f} against {same_rate:.1f} plain starts doing "
        f"the same work ({cold_rate / same_rate:.0%})"
    )
    print(
        f"warm invoke overhead, round trip - duration: median {median(overhead):.3f} ms, "
        f"p90 {statistics.quantiles(overhead, n=10)[-1]:.3f} ms"
    )


if __name__ == "__main__":
    main()
