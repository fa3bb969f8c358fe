"""CPU share by memory size, and the freeze between invocations, measured side by side in one run.

For each way of holding the share this machine offers (a cgroup quota where coldprof may make
one; the duty cycle it drives itself, forced with COLDPROF_CGROUPS=off), environments of every
size are interleaved, round after round:

1. A CPU-bound handler (SHA-256 over 1 MiB, --rounds times, one thread): warm median at
   128 MB, 1,769 MB, 3,538 MB and with --cpu-share off (today's bare machine).
   Goals: 128 MB over 1,769 MB within 15% of 13.8; 3,538 MB no faster than 1,769 MB (within
   10%); at 1,769 MB, the same as --cpu-share off (the overhead of today).
2. The same handler in two threads: 3,538 MB against 1,769 MB (faster where the machine has
   two CPUs: multi-threaded code gets more than one vCPU above 1,769 MB).
3. The trivial handler's warm overhead (round trip minus duration), frozen between invocations
   (as now) against not frozen (before). Goal: under 0.5 ms median.

The machine's load (`uptime`) is printed before and after: the figures are only as quiet as it.
The ratios are flagged INVALID when the 1,769 MB run held less than MIN_FULL_VCPUS of its one
vCPU (CPU time / wall time): on a busy machine the full share is not had, so the ratios measure
the machine's load, not the share.

Usage: python benchmarks/cpu_share.py [--rounds 50] [--repeat 3] [--warm 5] [--invokes 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coldprof.function import FunctionConfig, environment_spec
from coldprof.sandbox import Environment
from coldprof.sandbox.cgroup import bases

HANDLERS = Path(__file__).resolve().parent.parent / "fixtures" / "handlers"
CPU_BOUND = HANDLERS / "cpu_bound"
TRIVIAL = HANDLERS / "trivial"
LAMBDA_RATIO = 1769 / 128  # 13.8
SIZES = {"128 MB": (128, "memory"), "1769 MB": (1769, "memory"), "3538 MB": (3538, "memory")}
SIZES["off"] = (1769, "off")
MIN_FULL_VCPUS = 0.95  # what the 1,769 MB run must hold of its one vCPU (the round trip's own
# time and the quota's rounding take about 1%)


@contextmanager
def method(name: str) -> Iterator[None]:
    """Environments made in this block use cgroups ("cgroup") or the duty cycle ("duty-cycle")."""
    previous = os.environ.get("COLDPROF_CGROUPS")
    if name == "duty-cycle":
        os.environ["COLDPROF_CGROUPS"] = "off"
    bases.cache_clear()
    try:
        yield
    finally:
        os.environ.pop("COLDPROF_CGROUPS", None)
        if previous is not None:
            os.environ["COLDPROF_CGROUPS"] = previous
        bases.cache_clear()


def warm(memory_mb: int, cpu_share: str, event: dict, count: int) -> tuple[list, str]:
    """Warm invocations (after one) of a new environment; the method that held its share."""
    function = FunctionConfig(
        target=CPU_BOUND, handler="app.handler", memory_mb=memory_mb, cpu_share=cpu_share
    )
    with Environment(environment_spec(function.resolved(), importtime=False)) as environment:
        init = environment.start()
        assert init.ok, init.error
        environment.invoke(event)
        return [environment.invoke(event) for _ in range(count)], init.emulation.cpu_method


def overheads(frozen: bool, invokes: int) -> list[float]:
    """Round trip minus duration of the trivial handler's warm invocations, ms."""
    function = FunctionConfig(target=TRIVIAL, handler="app.handler", memory_mb=1769)
    environment = Environment(environment_spec(function.resolved()))
    if not frozen:  # as before the freeze existed
        environment._freeze = lambda: None
    with environment:
        environment.start()
        for _ in range(50):
            environment.invoke({})
        results = [environment.invoke({}) for _ in range(invokes)]
    return [r.round_trip_ms - r.duration_ms for r in results]


def measure_shares(name: str, args: argparse.Namespace) -> dict[str, list]:
    """Every size's warm invocations, single- and multi-threaded, interleaved round by round."""
    found: dict[str, list] = {}
    single, double = {"rounds": args.rounds}, {"rounds": args.rounds, "threads": 2}
    with method(name):
        for _ in range(args.repeat):
            for label, (memory_mb, share) in SIZES.items():
                results, used = warm(memory_mb, share, single, args.warm)
                found.setdefault(label, []).extend(results)
                found.setdefault("method", [used])
            for label in ("1769 MB", "3538 MB"):
                results, _ = warm(SIZES[label][0], "memory", double, args.warm)
                found.setdefault(f"{label}, 2 threads", []).extend(results)
    return found


def median_ms(results: list) -> float:
    return statistics.median(r.duration_ms for r in results)


def held_vcpus(results: list) -> float:
    """The CPUs the invocations held on average: CPU time / wall time."""
    return sum(r.cpu_ms for r in results) / sum(r.round_trip_ms for r in results)


def validity(full_held: float) -> str:
    """Whether the ratios measure the share: the 1,769 MB run must have held its one vCPU."""
    if full_held >= MIN_FULL_VCPUS:
        return ""
    return (
        f"  INVALID: the 1769 MB run held {full_held:.3f} vCPU, less than {MIN_FULL_VCPUS} of its"
        " one vCPU: the machine is too busy, the ratios below measure its load, not the share"
    )


def report_shares(name: str, found: dict[str, list]) -> None:
    """The figures of one method and how they compare with the goals."""
    medians = {label: median_ms(results) for label, results in found.items() if label != "method"}
    print(f"\n== {name} (method reported: {found['method'][0]})")
    for label, value in medians.items():
        held = held_vcpus(found[label])
        print(f"  {label:<20} warm median {value:9.2f} ms   held {held:6.3f} vCPU")
    invalid = validity(held_vcpus(found["1769 MB"]))
    if invalid:
        print(invalid)
    ratio = medians["128 MB"] / medians["1769 MB"]
    print(f"  128 MB / 1769 MB:          {ratio:6.2f}  (Lambda {LAMBDA_RATIO:.1f}; goal within 15%:"
          f" {abs(ratio / LAMBDA_RATIO - 1):.1%})")  # fmt: skip
    print(f"  3538 MB / 1769 MB:         {medians['3538 MB'] / medians['1769 MB']:6.3f}  "
          "(goal: no faster, within 10%: >= 0.90)")  # fmt: skip
    print(f"  1769 MB / off:             {medians['1769 MB'] / medians['off']:6.3f}  "
          "(goal: the same as today, 1.00)")  # fmt: skip
    two = medians["3538 MB, 2 threads"] / medians["1769 MB, 2 threads"]
    print(f"  2 threads, 3538 / 1769 MB: {two:6.3f}  (below 1: more than one vCPU is given)")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50, help="SHA-256 rounds per invocation")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of every size")
    parser.add_argument("--warm", type=int, default=5, help="warm invocations per environment")
    parser.add_argument("--invokes", type=int, default=1000, help="for the freeze overhead")
    args = parser.parse_args()
    print(f"load before: {uptime()}")
    methods = ["cgroup", "duty-cycle"] if (bases().v2 or bases().v1) else ["duty-cycle"]
    found = {name: measure_shares(name, args) for name in methods}
    overhead: dict[str, list[float]] = {}
    for _ in range(2):
        for name in methods:
            with method(name):
                overhead.setdefault(f"frozen ({name})", []).extend(overheads(True, args.invokes))
        overhead.setdefault("not frozen (before)", []).extend(overheads(False, args.invokes))
    for name in methods:
        report_shares(name, found[name])
    print("\n== warm overhead of the trivial handler (round trip - duration), 1769 MB")
    for label, values in overhead.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"  {label:<26} median {statistics.median(values):.3f} ms, p90 {p90:.3f} ms")
    print(f"\nload after: {uptime()}")


if __name__ == "__main__":
    main()
