"""Issue 3's speed and memory goal, measured side by side in one run.

Builds a numpy + pandas + pyarrow tree with pip (about 270 MB, 4,000+ files; cached in
benchmarks/.cache/), then alternates `zip -qr -6` over the tree and `coldprof analyze` of it,
each in a fresh process, and prints the median wall times, their ratio (goal: <= 0.6) and
coldprof's peak resident memory (goal: < 200 MB), read from os.wait4().

    python benchmarks/analyze_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache" / "numpy-pandas-pyarrow"
REQUIREMENTS = ["numpy", "pandas", "pyarrow"]


def build_tree() -> Path:
    """pip install --target the data stack once; reuse it afterwards."""
    if not (CACHE / "pyarrow").is_dir():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--target", str(CACHE), *REQUIREMENTS],
            check=True,
        )
    return CACHE


def timed(command: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one child process, from os.wait4."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed with status {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tree = build_tree()
    files = sum(len(f) for _, _, f in os.walk(tree))
    size = sum((Path(d) / n).stat().st_size for d, _, f in os.walk(tree) for n in f)
    print(f"tree: {tree} ({files:,} files, {size / 1e6:,.0f} MB)")
    zip_times, ours, peaks = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "tree.zip"
        for _ in range(args.runs):
            archive.unlink(missing_ok=True)
            zip_times.append(timed(["zip", "-qr", "-6", str(archive), "."], cwd=tree)[0])
            wall, peak = timed([sys.executable, "-m", "coldprof", "analyze", str(tree),
                                "--format", "json"])  # fmt: skip
            ours.append(wall)
            peaks.append(peak)
        zip_bytes = archive.stat().st_size
    zip_median, our_median = statistics.median(zip_times), statistics.median(ours)
    ratio = our_median / zip_median
    print(
        f"zip -qr -6:        median {zip_median:.2f} s  (runs: {_fmt(zip_times)}; {zip_bytes:,} B)"
    )
    print(f"coldprof analyze:  median {our_median:.2f} s  (runs: {_fmt(ours)})")
    print(f"ratio coldprof/zip: {ratio:.2f}  (goal <= 0.60)  {'PASS' if ratio <= 0.6 else 'FAIL'}")
    peak = max(peaks)
    print(f"coldprof peak RSS: {peak:.0f} MB  (goal < 200 MB)  {'PASS' if peak < 200 else 'FAIL'}")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
