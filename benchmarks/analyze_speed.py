"""Issue 13's speed and memory goals, measured side by side in one run.

Builds a numpy + pandas + pyarrow tree with pip (about 330 MB, 6,000 files; cached in
benchmarks/.cache/), then, per round, in fresh processes: `zip -qr -6` over the tree, a first
`coldprof analyze` with an empty size cache (every file deflated), and a second one with the
cache the first left (every file only hashed). Prints the median wall and CPU times, the
ratios to zip's (goals: first <= 0.55, second <= 0.10) and coldprof's peak resident memory
(goal: < 200 MB), from os.wait4(). On a shared machine the CPU ratios are the steadier ones.

    python benchmarks/analyze_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache" / "numpy-pandas-pyarrow"
REQUIREMENTS = ["numpy", "pandas", "pyarrow"]
GOALS = {"first": 0.55, "second": 0.10}
MEMORY_GOAL_MB = 200


@dataclass(frozen=True)
class Run:
    """One child process: wall and CPU seconds, peak resident MB."""

    wall_s: float
    cpu_s: float
    peak_mb: float


def build_tree() -> Path:
    """pip install --target the data stack once; reuse it afterwards."""
    if not (CACHE / "pyarrow").is_dir():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--target", str(CACHE), *REQUIREMENTS],
            check=True,
        )
    return CACHE


def timed(command: list[str], cwd: Path | None = None, env: dict | None = None) -> Run:
    """Wall time, CPU time and peak RSS of one child process, from os.wait4."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[0]} failed with status {os.waitstatus_to_exitcode(status)}")
    return Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def one_round(tree: Path, scratch: Path) -> dict[str, Run]:
    """zip, then coldprof with an empty cache, then with the cache the first run left."""
    archive = scratch / "tree.zip"
    archive.unlink(missing_ok=True)
    cache_home = scratch / "xdg-cache"
    shutil.rmtree(cache_home, ignore_errors=True)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    analyze = [sys.executable, "-m", "coldprof", "analyze", str(tree), "--format", "json"]
    return {
        "zip": timed(["zip", "-qr", "-6", str(archive), "."], cwd=tree),
        "first": timed(analyze, env=env),
        "second": timed(analyze, env=env),
    }


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def report(rounds: list[dict[str, Run]]) -> None:
    """Medians, ratios against zip and the verdicts."""
    median = {
        name: (
            statistics.median(r[name].wall_s for r in rounds),
            statistics.median(r[name].cpu_s for r in rounds),
        )
        for name in ("zip", "first", "second")
    }
    for name, (wall, cpu) in median.items():
        walls = _fmt([r[name].wall_s for r in rounds])
        print(f"{name:>7}: median wall {wall:6.2f} s, CPU {cpu:6.2f} s  (wall runs: {walls})")
    zip_wall, zip_cpu = median["zip"]
    for name, goal in GOALS.items():
        wall, cpu = median[name]
        verdict = "PASS" if wall / zip_wall <= goal else "FAIL"
        print(
            f"{name} run / zip: wall {wall / zip_wall:.3f}, CPU {cpu / zip_cpu:.3f} "
            f"(goal <= {goal:.2f} wall)  {verdict}"
        )
    peak = max(r[name].peak_mb for r in rounds for name in GOALS)
    verdict = "PASS" if peak < MEMORY_GOAL_MB else "FAIL"
    print(f"coldprof peak RSS: {peak:.0f} MB  (goal < {MEMORY_GOAL_MB} MB)  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tree = build_tree()
    files = sum(len(f) for _, _, f in os.walk(tree))
    size = sum((Path(d) / n).stat().st_size for d, _, f in os.walk(tree) for n in f)
    print(f"tree: {tree} ({files:,} files, {size / 1e6:,.0f} MB); load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as scratch:
        rounds = [one_round(tree, Path(scratch)) for _ in range(args.runs)]
    report(rounds)


if __name__ == "__main__":
    main()
