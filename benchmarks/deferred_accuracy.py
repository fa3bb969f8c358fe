"""How accurate `coldprof imports --event` is on imports the invocations defer and on what init
loads that they never use, measured side by side in one run.

The fixture (written to a temporary folder): init imports `used_mod` (sleeps 100 ms; the handler
calls it) and `unused_mod` (sleeps 100 ms; nothing touches it); the handler imports `late_mod`
(sleeps 200 ms) inside the function, so that cost moves to the first invocation.

1. The unused module is a lazy-import candidate and the used one is not.
2. late_mod's cost appears under the first invocation within 5% of its sleep, and not at init;
   bench's import clock (no -X importtime) gives the first invocation's deferred imports too.
3. The usage run does not change the init medians: it is a run apart. `imports` with events (a
   usage run and invocations) against `imports --no-invoke` (neither), rounds interleaved; and
   what a usage run's own init costs, which the timed runs would show if it were one of them.

    .venv/bin/python benchmarks/deferred_accuracy.py [--repeat 10] [--rounds 3] [--python PATH]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

from coldprof.bench import BenchOptions, bench
from coldprof.function import FunctionConfig, environment_spec, prepare
from coldprof.imports.profile import profile_imports
from coldprof.imports.runs import run_once, usage_spec
from coldprof.stats import median_interval

SLEEP_MS = {"used_mod": 100, "unused_mod": 100, "late_mod": 200}
APP = """import unused_mod
import used_mod


def handler(event, context):
    import late_mod

    return {"used": used_mod.work(), "late": late_mod.NAME}
"""
MODULE = "import time\n\ntime.sleep({seconds})\nNAME = {name!r}\n\n\ndef work():\n    return NAME\n"


def write_fixture(folder: Path) -> None:
    (folder / "app.py").write_text(APP, encoding="utf-8")
    for name, sleep_ms in SLEEP_MS.items():
        text = MODULE.format(seconds=sleep_ms / 1000, name=name)
        (folder / f"{name}.py").write_text(text, encoding="utf-8")


def candidates_and_deferred(function: FunctionConfig, repeat: int) -> None:
    result = profile_imports(function, repeat=repeat, events=(("{}", {}),))
    names = [row.name for row in result.unused_at_init.modules]
    print("1. lazy-import candidates (usage run apart, seen by", result.unused_at_init.method + ")")
    print(f"   candidates: {names}")
    print(f"   unused_mod listed: {'unused_mod' in names}; used_mod listed: {'used_mod' in names}")
    late = next(row for row in result.deferred if row.name == "late_mod")
    init_names = {row.name for row in result.modules}
    first = result.invocations[0].import_ms
    print("2. late_mod, imported inside the handler (sleeps 200 ms)")
    print(
        f"   under invocation {late.invocation}: cumulative median {late.cumulative_ms:.1f} ms "
        f"(n={late.runs}); the first invocation's imports {first.median:.1f} ms"
    )
    print(f"   late_mod / 200 = {late.cumulative_ms / 200:.3f}  (goal: within 0.95..1.05)")
    print(f"   late_mod in the init tree: {'late_mod' in init_names} (goal: False)")


def bench_split(function: FunctionConfig, repeat: int) -> None:
    result = bench(function, BenchOptions(cold=repeat, warm=1, warmup=1))
    cold = result.cold
    imports, other = cold.first_invoke_import_ms, cold.first_invoke_other_ms
    print("   bench, the import clock in the child (no -X importtime):")
    print(
        f"   first invocation {cold.first_invoke_ms.median:.1f} ms = imports "
        f"{imports.median:.1f} ms + the rest {other.median:.2f} ms (medians, n={imports.n}); "
        f"init {cold.init_ms.median:.1f} ms"
    )
    print(f"   imports / 200 = {imports.median / 200:.3f}  (goal: within 0.95..1.05)")


def init_samples(function: FunctionConfig, repeat: int, rounds: int) -> tuple[list, list]:
    """Init medians of `imports` with events and with --no-invoke, rounds interleaved."""
    with_events, without = [], []
    for round_number in range(rounds):
        order = [True, False] if round_number % 2 == 0 else [False, True]
        for invoked in order:
            events = (("{}", {}),) if invoked else ()
            result = profile_imports(function, repeat=repeat, events=events)
            (with_events if invoked else without).append(result.init_ms.median)
    return with_events, without


def usage_run_cost(function: FunctionConfig, repeat: int) -> tuple[list, list]:
    """Init of plain environments against usage runs' inits, interleaved."""
    plain, watched = [], []
    with ExitStack() as stack:
        spec = environment_spec(prepare(stack, function))
        for _ in range(repeat):
            plain.append(run_once(spec, ())[0].init_ms)
            watched.append(run_once(usage_spec(spec), (("{}", {}),))[0].init_ms)
    return plain, watched


def noise_verdict(a: list[float], b: list[float]) -> str:
    """Whether two sets of round medians differ by more than their own spread."""
    overlap = max(a) >= min(b) and max(b) >= min(a)
    spread = max(max(a) - min(a), max(b) - min(b))
    difference = statistics.median(a) - statistics.median(b)
    verdict = "within the noise: ranges overlap" if overlap else "beyond the noise: apart"
    return f"difference {difference:+.1f} ms, rounds' spread up to {spread:.1f} ms: {verdict}"


def separate_runs(function: FunctionConfig, repeat: int, rounds: int) -> None:
    with_events, without = init_samples(function, repeat, rounds)
    a, b = statistics.median(with_events), statistics.median(without)
    print(f"3. init medians, {rounds} imports runs each (--repeat {repeat}), interleaved")
    print(f"   with an event (usage run + invocations): {[f'{x:.1f}' for x in with_events]} ms")
    print(f"   --no-invoke (neither):                   {[f'{x:.1f}' for x in without]} ms")
    print(
        f"   median of medians {a:.1f} against {b:.1f} ms: ratio {a / b:.3f} (goal: within noise)"
    )
    print(f"   {noise_verdict(with_events, without)}")
    plain, watched = usage_run_cost(function, repeat)
    low, high = median_interval(plain)
    print(
        f"   a usage run's own init {statistics.median(watched):.1f} ms against a plain init "
        f"{statistics.median(plain):.1f} ms (95% CI {low:.1f}..{high:.1f}): never in init_ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--python", help="the interpreter (3.12+: the usage run's sys.monitoring)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coldprof-deferred-") as folder:
        write_fixture(Path(folder))
        settings = {"python": options.python} if options.python else {}
        function = FunctionConfig(target=Path(folder), handler="app.handler", **settings)
        candidates_and_deferred(function, options.repeat)
        bench_split(function, options.repeat)
        separate_runs(function, options.repeat, options.rounds)


if __name__ == "__main__":
    main()
