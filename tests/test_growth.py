"""Work that must grow with its input, not faster: metadata graphs, owner fallbacks, RECORD
rows, report lookups, the report's HTML and Markdown, captured -X importtime output and huge
folder files.

Time bounds are ratios of a small input and a 10x one measured side by side (the fastest of
three alternating runs), with a factor well above linear and well below what the quadratic
code took; benchmarks/input_growth.py measures the issue's full sizes.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from coldprof.analyze import analyze, scan
from coldprof.analyze.owners import MAX_RECORD_ROWS
from coldprof.analyze.report import distribution_rows
from coldprof.analyze.result import AnalyzeResult, Finding
from coldprof.analyze.runtime import runtime_named
from coldprof.cli import main
from coldprof.package.model import MAX_UNZIPPED_BYTES
from coldprof.render.report import render_report
from coldprof.render.report.tree import Colours
from coldprof.render.words import skipped_reason
from coldprof.sandbox.capture import (
    MAX_IMPORTTIME_BYTES,
    MAX_LINE_BYTES,
    BoundedLog,
    ImportTimeSplitter,
)
from helpers import bytes_read, peak_rss_mb

PY311 = runtime_named("python3.11")


def fastest_of_three(small: Callable[[], object], big: Callable[[], object]) -> float:
    """The big work's time over the small one's, each the fastest of 3 alternating runs."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(3):
        for index, work in enumerate((small, big)):
            start = time.perf_counter()
            work()
            times[index].append(time.perf_counter() - start)
    return min(times[1]) / min(times[0])


def distribution(root: Path, name: str, requires: list[str], record: bool = False) -> None:
    """NAME.py and its dist-info: METADATA with one Requires-Dist line per requirement."""
    (root / f"{name}.py").write_text("x = 1\n")
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    lines = [f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"]
    lines += [f"Requires-Dist: {other}\n" for other in requires]
    (info / "METADATA").write_text("".join(lines))
    if record:
        (info / "RECORD").write_text(f"{name}.py,,\n{info.name}/METADATA,,\n")


def ring(root: Path, size: int) -> Path:
    """dist0 requires dist1 ... requires dist0; no RECORD, so the fallbacks find the files."""
    root.mkdir()
    for n in range(size):
        distribution(root, f"dist{n}", [f"dist{(n + 1) % size}"])
    return root


def clique(root: Path, size: int) -> Path:
    """Every distribution requires every other one."""
    root.mkdir()
    names = [f"dist{n}" for n in range(size)]
    for name in names:
        distribution(root, name, [other for other in names if other != name], record=True)
    return root


def test_a_ring_of_dist_infos_is_analysed_in_linear_time(tmp_path):
    small, big = ring(tmp_path / "small", 200), ring(tmp_path / "big", 2000)
    result = analyze(big, runtime=PY311)
    rows = {row.name: row for row in result.distributions}
    assert rows["dist7"].ownership == "folder name"
    assert rows["dist7"].files == 2  # dist7.py and its METADATA
    assert rows["dist7"].required_by == ("dist6",)
    assert {row.removal_saves_bytes for row in rows.values()} == {result.totals.unzipped_bytes}
    ratio = fastest_of_three(
        lambda: analyze(small, runtime=PY311), lambda: analyze(big, runtime=PY311)
    )
    assert ratio < 30  # 10x the input; the quadratic fallbacks and graph took over 100x


def test_every_requires_every_costs_time_in_proportion_to_its_requirements(tmp_path):
    """30 and 150 distributions: 870 and 22,350 requirements (25.7x the metadata)."""
    small = scan(clique(tmp_path / "small", 30), runtime=PY311)
    big = scan(clique(tmp_path / "big", 150), runtime=PY311)
    rows = {row.name: row for row in distribution_rows(big)}
    assert len(rows["dist3"].required_by) == 149
    everything = sum(row.unzipped_bytes for row in rows.values())
    assert rows["dist3"].removal_saves_bytes == everything  # nothing outside needs them
    ratio = fastest_of_three(lambda: distribution_rows(small), lambda: distribution_rows(big))
    assert ratio < 70  # each key on its own took keys x (keys + requirements): 125x and more


def test_record_rows_past_the_bound_are_not_read(tmp_path):
    root = tmp_path / "fn"
    root.mkdir()
    distribution(root, "big", [], record=True)
    (root / "late.py").write_text("y = 2\n")
    filler = "".join(f"big/m{n}.py,,\n" for n in range(MAX_RECORD_ROWS))
    (root / "big-1.0.dist-info" / "RECORD").write_text(f"big.py,,\n{filler}late.py,,\n")
    context = scan(root, runtime=PY311)
    assert context.owners[("function", "big.py")] == "big"
    assert ("function", "late.py") not in context.owners  # row MAX_RECORD_ROWS + 2


def hostile_findings(distributions: int, findings: int) -> tuple[list[tuple[str, int]], list]:
    """Rows all naming one distribution (as if found in many layers), and findings all
    about it, none covering its bytes: an unindexed lookup walks every finding per row."""
    rows = [("dist0", 10**9 + n) for n in range(distributions)]
    found = [
        Finding(
            rule="tests-folder",
            severity="warning",
            distribution="dist0",
            paths=(f"dist0/tests{n}",),
            bytes=n,
            code="folders",
        )
        for n in range(findings)
    ]
    return rows, found


def colour_rows(rows: list[tuple[str, int]], findings: list) -> list:
    colours = Colours(tuple(findings))
    return [colours.of_distribution(name, size) for name, size in rows]


def test_report_lookups_are_indexed(tmp_path):
    small, big = hostile_findings(200, 120), hostile_findings(2000, 1200)
    ratio = fastest_of_three(lambda: colour_rows(*small), lambda: colour_rows(*big))
    assert ratio < 30  # 10x the rows and 10x the findings: 100x when every row walked them


def test_indexed_distribution_colour_is_the_most_severe_finding_covering_it():
    rng = random.Random(3)
    for _ in range(300):
        findings = [
            Finding(
                rule=f"rule{n}",
                severity=rng.choice(["error", "warning", "info"]),
                distribution=rng.choice(["a", "b", None]),
                paths=(),
                bytes=rng.randint(0, 100),
                code="any",
            )
            for n in range(rng.randint(0, 8))
        ]
        colours = Colours(tuple(findings))
        ranked = sorted(findings, key=lambda f: ["error", "warning", "info"].index(f.severity))
        for name in ("a", "b", "c"):
            size = rng.randint(0, 110)
            expected = next(
                (f.rule for f in ranked if f.distribution == name and f.bytes >= size > 0), None
            )
            assert colours.of_distribution(name, size) == expected


def test_captured_importtime_rows_are_bounded_in_bytes():
    splitter = ImportTimeSplitter(BoundedLog())
    huge_row = b"import time:       100 |        100 | " + b"x" * (100 * 1024) + b"\n"
    for _ in range(50):
        splitter.write(huge_row)
    wide_row = b"import time:       100 |        100 | " + b"y" * (MAX_LINE_BYTES - 64) + b"\n"
    for _ in range(2 * MAX_IMPORTTIME_BYTES // MAX_LINE_BYTES):
        splitter.write(wide_row)
    rows, dropped = splitter.take_rows()
    assert sum(len(row) for row in rows) <= MAX_IMPORTTIME_BYTES
    assert len(rows) == MAX_IMPORTTIME_BYTES // len(wide_row)
    assert dropped == 50 + 2 * MAX_IMPORTTIME_BYTES // MAX_LINE_BYTES - len(rows)


FLOODING_HANDLER = """
import sys
row = "import time:       100 |        100 | " + "x" * (100 * 1024) + "\\n"
for _ in range({rows}):
    sys.stderr.write(row)
sys.stderr.flush()

def handler(event, context):
    return 1
"""


def test_imports_of_a_handler_printing_100_kb_rows_keeps_its_memory(tmp_path):
    """1,000 rows of 100 KB per run (100 MB): the parent kept every row before."""
    flooding, quiet = tmp_path / "flooding", tmp_path / "quiet"
    for folder, rows in ((flooding, 1000), (quiet, 0)):
        folder.mkdir()
        (folder / "app.py").write_text(FLOODING_HANDLER.format(rows=rows))
    args = ["--handler", "app.handler", "--repeat", "1", "--format", "json"]
    status, flooding_mb, _ = peak_rss_mb("imports", str(flooding), *args)
    _, quiet_mb, _ = peak_rss_mb("imports", str(quiet), *args)
    assert status == 0
    assert flooding_mb < quiet_mb + 40


def test_a_folder_file_above_the_bound_is_never_read_and_over_every_limit(tmp_path):
    root = tmp_path / "fn"
    root.mkdir()
    (root / "app.py").write_text("def handler(event, context):\n    return 1\n")
    size = MAX_UNZIPPED_BYTES + 512 * 1024**2
    with (root / "model.bin").open("wb") as stream:
        stream.truncate(size)  # sparse: 4.5 GiB apparent, nothing on disk
    before = bytes_read()
    result = CliRunner().invoke(main, ["analyze", str(root), "--format", "json"])
    assert bytes_read() - before < 16 * 1024**2  # the file was not read
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [limit["ok"] for limit in document["limits"]] == [False, False]
    assert document["totals"]["unzipped_bytes"] > size
    assert document["totals"]["zipped_bytes"] > size
    (skipped,) = document["skipped"]
    assert skipped["path"] == "model.bin"
    assert (skipped["code"], skipped["values"]["bytes"]) == ("over-bound", size)
    assert "not read or deflated; counted at its full size" in skipped_reason(
        skipped["code"], skipped["values"]
    )


def many(result: AnalyzeResult, count: int) -> AnalyzeResult:
    """The analyze result with `count` findings, largest files and distributions, each distinct."""
    finding, file, row = result.findings[0], result.largest_files[0], result.distributions[0]
    return dataclasses.replace(
        result,
        findings=tuple(
            dataclasses.replace(finding, paths=(f"lib{n}/tests",), bytes=n + 1)
            for n in range(count)
        ),
        largest_files=tuple(
            dataclasses.replace(file, path=f"lib{n}/data.bin", unzipped_bytes=n + 1)
            for n in range(count)
        ),
        distributions=tuple(dataclasses.replace(row, name=f"dist{n}") for n in range(count)),
    )


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_the_report_grows_linearly_with_findings_and_files(real_results, fmt):
    if fmt == "html":
        pytest.importorskip("plotly")
    base = real_results["analyze"]
    results = {n: [("analyze.json", many(base, n))] for n in (0, 200, 2000)}
    sizes = {n: len(render_report(pairs, fmt)) for n, pairs in results.items()}
    growth = (sizes[2000] - sizes[0]) / (sizes[200] - sizes[0])
    assert 9 < growth < 11  # the same bytes per item, 10x the items
    ratio = fastest_of_three(
        lambda: render_report(results[200], fmt), lambda: render_report(results[2000], fmt)
    )
    assert ratio < 30  # 10x the items: 100x when each item walked the others
