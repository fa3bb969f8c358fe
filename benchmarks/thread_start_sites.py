"""What recording where threads start costs a function's init, measured side by side in one run.

The light runtime records each thread's start site (bootstrap.record_thread_starts: an audit
hook on Python 3.12+, threading's start function wrapped before) and lists what runs as init
ends (bootstrap.still_running). Both sit in init, so their cost is init's. Here fresh
interpreters, interleaved, load the bootstrap's functions, then time an init that imports a
set of standard-library modules (many audit events: open, import, exec, compile) and starts
one thread, on the main thread's CPU clock (less disturbed by a busy machine than the wall
clock): without the recording, and with it (plus the list at init's end). Budget: the
difference is within the noise, or under 0.2 ms (median).

Usage: python benchmarks/thread_start_sites.py [--runs 40] [--python PATH]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

BOOTSTRAP = Path(__file__).resolve().parent.parent / "coldprof" / "sandbox" / "bootstrap.py"
MODULES = "asyncio, decimal, email.mime.multipart, http.client, json, logging.handlers, "
MODULES += "urllib.request, xml.etree.ElementTree, zipfile"
CHILD = """
import sys, time
namespace = {"__name__": "coldprof_bootstrap"}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), namespace)
import threading
start_ns = time.thread_time_ns()
if sys.argv[2] == "with":
    namespace["record_thread_starts"]()
import MODULES
threading.Thread(target=time.sleep, args=(0.05,), name="t").start()
if sys.argv[2] == "with":
    namespace["still_running"]()
print(time.thread_time_ns() - start_ns)
""".replace("MODULES", MODULES)
PER_EVENT = """
import sys, time
namespace = {"__name__": "coldprof_bootstrap"}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), namespace)
events = []
sys.addaudithook(lambda event, args: events.append(event))
import MODULES
count = len(events)
events.clear()
def audit_ns(calls=200_000):
    start_ns = time.perf_counter_ns()
    for _ in range(calls):
        sys.audit("open", "x", "r", 0)
    return (time.perf_counter_ns() - start_ns) / calls
before = min(audit_ns() for _ in range(5))
namespace["record_thread_starts"]()
after = min(audit_ns() for _ in range(5))
start_ns = time.perf_counter_ns()
namespace["still_running"]()
print(count, after - before, time.perf_counter_ns() - start_ns)
""".replace("MODULES", MODULES)


def per_event(python: str) -> tuple[int, float, float]:
    """(audit events during that init, ns the hook adds to each, ns of the list at init's end),
    in one interpreter: sys.audit timed before and after the hook is added."""
    argv = [python, "-I", "-S", "-B", "-c", PER_EVENT, str(BOOTSTRAP)]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    count, added_ns, listed_ns = done.stdout.split()
    return int(count), float(added_ns), float(listed_ns)


def init_ms(python: str, variant: str) -> float:
    """One fresh interpreter's timed init, ms."""
    argv = [python, "-I", "-S", "-B", "-c", CHILD, str(BOOTSTRAP), variant]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return int(done.stdout) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(args.runs):
        for variant in samples:
            samples[variant].append(init_ms(args.python, variant))
    without, with_ = (statistics.median(samples[v]) for v in ("without", "with"))
    noise = statistics.stdev(samples["without"]) if args.runs > 1 else 0.0
    print(f"interpreter: {args.python}; runs: {args.runs} interleaved")
    print(f"init without start sites: median {without:.3f} ms (stdev {noise:.3f} ms)")
    print(f"init with start sites:    median {with_:.3f} ms")
    verdict = "within the noise" if abs(with_ - without) <= noise else "beyond the noise"
    print(f"difference: {with_ - without:+.3f} ms ({verdict})")
    count, added_ns, listed_ns = per_event(args.python)
    print(
        f"in one interpreter: {count} audit events in that init; the hook adds "
        f"{added_ns:.0f} ns to each (0 where threading's start function is wrapped instead): "
        f"{count * max(added_ns, 0) / 1e6:.3f} ms; the list at init's end {listed_ns / 1e6:.3f} ms"
    )


if __name__ == "__main__":
    main()
