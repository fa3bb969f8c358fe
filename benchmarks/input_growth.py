"""Issue 12's growth goal: each hostile input at 10x the size finishes within 10x the time.

Builds every input twice, small and at 10x, and times both side by side in one run
(alternating, --runs times each), then prints the ratios of the median times (goal: each
<= 10x) and of the fastest ones:

1. ring: N dist-infos, each requiring the next, the last the first (no RECORD: the owner
   fallbacks find their files); `analyze` of the folder. N = 500 and 5,000.
2. clique: every distribution requires every other one, so the metadata is N*(N-1)
   requirement lines; `analyze`. N = 50 and 158 (2,450 and 24,806 lines).
3. record: one dist-info whose RECORD lists N rows, nearly all naming files not there;
   `analyze`. N = 50,000 and 500,000 (rows past 200,000 are not read).
4. report: an analyze result of D distribution rows (one distribution found in D layers)
   and F findings all about it, read back and rendered by `report` as Markdown and as HTML
   (with plotly). D x F = 500 x 300 and 5,000 x 3,000.
5. importtime: a handler printing N `import time:` rows of 100 KB each to stderr;
   `imports --repeat 1` in a fresh process, whose peak resident memory is printed too.
   N = 200 and 2,000 rows per run (5 runs each: 0.1 GB and 1 GB in all).
6. sparse: a folder holding one sparse file of 4.5 GiB and of 45 GiB apparent size, above
   the 4 GiB bound; `analyze`, which must not deflate it.

    python benchmarks/input_growth.py [--runs 5] [--only ring,report]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from coldprof.analyze import analyze
from coldprof.analyze.runtime import runtime_named
from coldprof.render.report import plotly_installed, render_report
from coldprof.report import load_all
from coldprof.results import to_dict

RUNTIME = runtime_named("python3.11")
GOAL_RATIO = 10.0
ROW_BYTES = 100 * 1024
GIB = 1024**3


def distribution(root: Path, name: str, requires: list[str], record: bool = False) -> None:
    """A module NAME.py and its dist-info (METADATA with Requires-Dist lines)."""
    (root / f"{name}.py").write_text("x = 1\n")
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    lines = [f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"]
    lines += [f"Requires-Dist: {other}\n" for other in requires]
    (info / "METADATA").write_text("".join(lines))
    if record:
        (info / "RECORD").write_text(f"{name}.py,,\n{info.name}/METADATA,,\n")


def ring(root: Path, size: int) -> Path:
    names = [f"dist{n}" for n in range(size)]
    for n, name in enumerate(names):
        distribution(root, name, [names[(n + 1) % size]])
    return root


def clique(root: Path, size: int) -> Path:
    names = [f"dist{n}" for n in range(size)]
    for name in names:
        distribution(root, name, [other for other in names if other != name], record=True)
    return root


def record(root: Path, size: int) -> Path:
    distribution(root, "big", [], record=True)
    rows = "".join(f"big/missing_{n}.py,sha256=x,1\n" for n in range(size))
    (root / "big-1.0.dist-info" / "RECORD").write_text(f"big.py,,\n{rows}")
    return root


def sparse(root: Path, size_bytes: int) -> Path:
    (root / "app.py").write_text("def handler(event, context):\n    return 1\n")
    with (root / "model.bin").open("wb") as stream:
        stream.truncate(size_bytes)
    return root


def report_input(folder: Path, distributions: int, findings: int) -> Path:
    """An analyze result document whose distribution rows all share one name (one
    distribution in many layers) and whose findings all name it, none covering its bytes:
    the lookups a report makes per row see every finding unless they are indexed."""
    result = to_dict(analyze(ring(_fresh(folder, "ring"), 2), runtime=RUNTIME))
    row, finding = result["distributions"][0], _finding()
    result["distributions"] = [
        {**row, "name": "dist0", "package": f"layer {n}", "unzipped_bytes": 10**9 + n}
        for n in range(distributions)
    ]
    result["findings"] = [
        {**finding, "paths": [f"dist0/tests{n}"], "bytes": n} for n in range(findings)
    ]
    document = folder / "analyze.json"
    document.write_text(json.dumps(result))
    return document


def _finding() -> dict:
    return {
        "rule": "tests-folder",
        "severity": "warning",
        "distribution": "dist0",
        "paths": ["dist0/tests"],
        "bytes": 1,
        "code": "folders",
        "values": {"folders": 1},
    }


IMPORTTIME_HANDLER = """
import sys
row = "import time:       100 |        100 | " + "x" * {width} + "\\n"
for _ in range({rows}):
    sys.stderr.write(row)
sys.stderr.flush()

def handler(event, context):
    return 1
"""


def importtime(root: Path, rows: int) -> Path:
    (root / "app.py").write_text(IMPORTTIME_HANDLER.format(width=ROW_BYTES - 40, rows=rows))
    return root


PEAK_SCRIPT = """
import atexit, sys
def peak():
    hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))
    sys.stderr.write('PEAK_KB ' + hwm.split()[1] + '\\n')
atexit.register(peak)
from coldprof.cli import main
main(sys.argv[1:], prog_name='coldprof')
"""


def run_imports(target: Path) -> float:
    """Peak resident MB of `coldprof imports --repeat 1` in a fresh process (its own VmHWM)."""
    command = [sys.executable, "-c", PEAK_SCRIPT, "imports", str(target)]
    command += ["--handler", "app.handler", "--repeat", "1", "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"imports failed: {done.stderr[-500:]}")
    return int(done.stderr.rsplit("PEAK_KB ", 1)[1].split()[0]) / 1024


def side_by_side(small: Callable[[], object], big: Callable[[], object], runs: int):
    """(median, fastest) wall seconds of each of two works run alternately; each one's last
    value."""
    times: tuple[list[float], list[float]] = ([], [])
    values: list[object] = [None, None]
    for _ in range(runs):
        for index, work in enumerate((small, big)):
            start = time.perf_counter()
            values[index] = work()
            times[index].append(time.perf_counter() - start)
    return [(statistics.median(t), min(t)) for t in times], values


def calls(work: Callable[[], object]) -> int:
    """Python function calls one run of `work` makes: the work done, whatever the machine."""
    profile = cProfile.Profile()
    profile.runcall(work)
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined]


# size, (median, fastest) seconds, function calls (None when the work runs in a child), note
Row = tuple[object, tuple[float, float], int | None, str]


def case_analyze(build: Callable[[Path, int], Path], small: int, big: int):
    def measure(scratch: Path, runs: int) -> list[Row]:
        folders = [build(_fresh(scratch, f"{build.__name__}-{n}"), n) for n in (small, big)]
        works = [lambda f=folder: analyze(f, runtime=RUNTIME) for folder in folders]
        seconds, _ = side_by_side(*works, runs)
        counted = [calls(work) for work in works]
        return [(n, t, c, "") for n, t, c in zip((small, big), seconds, counted, strict=True)]

    return measure


def case_report(scratch: Path, runs: int) -> list[Row]:
    formats = ["markdown", *(["html"] if plotly_installed() else [])]
    sizes = ((500, 300), (5000, 3000))
    documents = [report_input(_fresh(scratch, f"report-{d}"), d, f) for d, f in sizes]

    def work(path: Path) -> None:
        results = load_all([path])
        for fmt in formats:
            render_report(results, fmt)

    works = [lambda p=path: work(p) for path in documents]
    seconds, _ = side_by_side(*works, runs)
    counted = [calls(w) for w in works]
    note = "+".join(formats)
    return [
        (f"{d:,} x {f:,}", t, c, note) for (d, f), t, c in zip(sizes, seconds, counted, strict=True)
    ]


def case_importtime(scratch: Path, runs: int) -> list[Row]:
    sizes = (200, 2000)
    targets = [importtime(_fresh(scratch, f"importtime-{n}"), n) for n in sizes]
    seconds, peaks = side_by_side(*(lambda t=target: run_imports(t) for target in targets), runs)
    return [
        (n, t, None, f"peak {peak:,.0f} MB")
        for n, t, peak in zip(sizes, seconds, peaks, strict=True)
    ]


def _fresh(scratch: Path, name: str) -> Path:
    folder = scratch / name
    folder.mkdir(parents=True)
    return folder


CASES = {
    "ring": case_analyze(ring, 500, 5000),
    "clique": case_analyze(clique, 50, 158),
    "record": case_analyze(record, 50_000, 500_000),
    "report": case_report,
    "importtime": case_importtime,
    "sparse": case_analyze(sparse, int(4.5 * GIB), 45 * GIB),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default=",".join(CASES), help="comma-separated cases")
    args = parser.parse_args()
    print(
        f"{'input':<11} {'small':>15} {'10x':>15} {'s small':>8} {'s 10x':>8} {'ratio':>6} "
        f"{'fastest':>7} {'calls':>6}"
    )
    failed = False
    with tempfile.TemporaryDirectory(prefix="coldprof-growth-") as scratch:
        for name in args.only.split(","):
            small, big = CASES[name](Path(scratch), args.runs)
            ratio, fastest = big[1][0] / small[1][0], big[1][1] / small[1][1]
            work = f"{big[2] / small[2]:>5.1f}x" if small[2] and big[2] else f"{'-':>6}"
            failed |= ratio > GOAL_RATIO
            verdict = "PASS" if ratio <= GOAL_RATIO else "FAIL"
            print(
                f"{name:<11} {_size(small[0]):>15} {_size(big[0]):>15} {small[1][0]:>8.3f} "
                f"{big[1][0]:>8.3f} {ratio:>5.1f}x {fastest:>6.1f}x {work} {verdict}  "
                f"{small[3]} | {big[3]}".rstrip(" |")
            )
    print(
        f"seconds: median of {args.runs} alternating runs; ratio: of the medians (goal: <= "
        f"{GOAL_RATIO:.0f}x); fastest: of the fastest runs; calls: of the Python function "
        "calls one run makes (the work, whatever the machine's caches and load)"
    )
    sys.exit(1 if failed else 0)


def _size(value: object) -> str:
    if isinstance(value, int) and value >= GIB:
        return f"{value / GIB:,.1f} GiB"
    return f"{value:,}" if isinstance(value, int) else str(value)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
