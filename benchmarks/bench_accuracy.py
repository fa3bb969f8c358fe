"""Issue 5's accuracy and overhead goals for `coldprof bench`, side by side in one run.

Each round measures every case once, so drift on the machine hits all of them alike; the
figures are medians over all rounds.

1. sleep_init_300ms: cold init minus the trivial handler's, within 5% of 300 ms.
2. first_invoke_200ms: first invocation minus warm, within 5% of 200 ms; warm median < 2 ms.
3. sleep_50ms_per_invoke: warm median within 3 ms of 50 ms.
4. trivial: per-invocation overhead of a warm invocation (round trip) < 0.5 ms median.
5. trivial: cold samples per second >= 80% of the rate of a plain interpreter doing the same
   work, `python -I -S -c "import <the runtime's modules>"` (one cold sample and one plain start
   alternated, medians compared): Lambda's runtime imports those modules before every handler,
   and so does coldprof's light runtime. The bare `-c pass` rate is printed beside it.

Usage: python benchmarks/bench_accuracy.py [--rounds 3] [--cold 10]
Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from coldprof.bench import BenchOptions, BenchResult, bench
from coldprof.bench.driver import cold_sample
from coldprof.function import FunctionConfig, environment_spec, prepare
from coldprof.sandbox import interpreter_info
from coldprof.sandbox.runtime_start import runtime_modules

HANDLERS = Path(__file__).resolve().parent.parent / "fixtures" / "handlers"


def run(name: str, cold: int, warm: int) -> BenchResult:
    """One bench of a fixture handler (no warm-up: the rounds warm each other)."""
    function = FunctionConfig(target=HANDLERS / name, handler="app.handler", memory_mb=512)
    result = bench(function, BenchOptions(cold=cold, warm=warm, warmup=0))
    if result.errors:
        raise SystemExit(f"{name}: {result.errors[0].type}: {result.errors[0].message}")
    return result


def values(result: BenchResult, field: str) -> list[float]:
    """Every successful figure of a sample field (warm lists flattened)."""
    found: list[float] = []
    for sample in result.samples:
        value = getattr(sample, field)
        found += value if isinstance(value, tuple) else [value]
    return found


def seconds(action: Callable[[], object]) -> float:
    """Wall time of one call."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def sample_times(executable: str, runs: int) -> tuple[list[float], list[float], list[float]]:
    """Seconds per cold sample of the trivial handler (what `bench` does for each: a new
    environment, init, one invocation, teardown), per plain interpreter importing the runtime's
    modules, and per `python -I -S -c pass`, alternated."""
    function = FunctionConfig(
        target=HANDLERS / "trivial", handler="app.handler", python=executable, memory_mb=512
    )
    bare = [executable, "-I", "-S", "-c", "pass"]
    modules = runtime_modules(interpreter_info(executable).version)
    same_work = [executable, "-I", "-S", "-c", "".join(f"__import__({m!r})\n" for m in modules)]
    cold_s, same_s, bare_s = [], [], []
    with ExitStack() as stack:
        spec = environment_spec(prepare(stack, function))
        for index in range(runs):
            cold_s.append(seconds(lambda: cold_sample(spec, {}, 0, index)))  # noqa: B023
            same_s.append(seconds(lambda: subprocess.run(same_work, check=True)))
            bare_s.append(seconds(lambda: subprocess.run(bare, check=True)))
    return cold_s, same_s, bare_s


def one_round(samples: dict[str, list[float]], cold: int, executable: str) -> None:
    """Every case once, appending its raw figures."""
    trivial = run("trivial", cold, 20)
    samples["trivial init"] += values(trivial, "init_ms")
    samples["trivial round trip"] += values(trivial, "round_trip_ms")
    samples["sleep_init init"] += values(run("sleep_init_300ms", cold, 0), "init_ms")
    first = run("first_invoke_200ms", cold, 5)
    samples["first_invoke first"] += values(first, "first_invoke_ms")
    samples["first_invoke warm"] += values(first, "invoke_ms")
    samples["sleep_50 warm"] += values(run("sleep_50ms_per_invoke", 2, 10), "invoke_ms")
    cold_s, same_s, bare_s = sample_times(executable, cold * 2)
    samples["cold sample s"] += cold_s
    samples["same work s"] += same_s
    samples["bare start s"] += bare_s


def verdict(name: str, figure: str, ok: bool) -> bool:
    """Print one goal's figure and PASS/FAIL."""
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {figure}")
    return ok


def report(samples: dict[str, list[float]]) -> bool:
    """Print every figure against its goal; True when all pass."""
    m = {name: statistics.median(found) for name, found in samples.items()}
    init_delta = m["sleep_init init"] - m["trivial init"]
    first_delta = m["first_invoke first"] - m["first_invoke warm"]
    cold_rate, same_rate = 1 / m["cold sample s"], 1 / m["same work s"]
    bare_rate = 1 / m["bare start s"]
    checks = [
        verdict(
            "init sleep 300 ms",
            f"{init_delta:.1f} ms (goal 285-315; {m['sleep_init init']:.1f} - "
            f"{m['trivial init']:.1f})",
            abs(init_delta - 300) <= 15,
        ),
        verdict(
            "first invocation 200 ms",
            f"{first_delta:.1f} ms (goal 190-210)",
            abs(first_delta - 200) <= 10,
        ),
        verdict(
            "first_invoke_200ms warm median",
            f"{m['first_invoke warm']:.3f} ms (goal < 2)",
            m["first_invoke warm"] < 2,
        ),
        verdict(
            "sleep 50 ms warm median",
            f"{m['sleep_50 warm']:.2f} ms (goal 47-53)",
            abs(m["sleep_50 warm"] - 50) <= 3,
        ),
        verdict(
            "warm invocation overhead (trivial round trip)",
            f"{m['trivial round trip']:.3f} ms (goal < 0.5)",
            m["trivial round trip"] < 0.5,
        ),
        verdict(
            "cold samples per second",
            f"{cold_rate:.1f}/s against {same_rate:.1f}/s plain starts doing the same work = "
            f"{cold_rate / same_rate:.0%} (goal >= 80%; bare -c pass: {bare_rate:.1f}/s)",
            cold_rate / same_rate >= 0.8,
        ),
    ]
    return all(checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold", type=int, default=10)
    args = parser.parse_args()
    executable = interpreter_info(None).executable
    samples: dict[str, list[float]] = defaultdict(list)
    for number in range(1, args.rounds + 1):
        print(f"round {number}/{args.rounds}", flush=True)
        one_round(samples, args.cold, executable)
    raise SystemExit(0 if report(samples) else 1)


if __name__ == "__main__":
    main()
