"""`coldprof report`: reading results, the Markdown summary, the HTML file and the CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from coldprof import analyze
from coldprof.bench.compare import compare
from coldprof.bench.cost import billed_duration_ms, estimate_cost
from coldprof.bench.result import BenchResult, ColdStats, Sample, WarmStats
from coldprof.check import budgets
from coldprof.check.result import CheckResult, Measurements
from coldprof.cli import main
from coldprof.cli.report import report
from coldprof.errors import TargetError, UsageError
from coldprof.imports.result import DistributionRow as ImportsDistribution
from coldprof.imports.result import ImportsResult, ModuleRow
from coldprof.render.report import render_report
from coldprof.render.report.charts import figures
from coldprof.render.report.entries import entries
from coldprof.render.report.tree import import_tree, size_tree
from coldprof.report import default_path, write_result_report
from coldprof.results import MAX_DOCUMENT_BYTES, from_document, to_json
from coldprof.stats import summarize

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo_function"
MIB = 1024 * 1024
V1_BENCH = (Path(__file__).resolve().parent.parent / "fixtures/results/v1/bench.json").read_bytes()
HOSTILE = "<img src=x onerror=\"console.error('injected')\"> | pipe"


def analyze_document() -> dict:
    """An analyze result in its documented shape (docs/json-schema-analyze.md)."""
    distributions = [
        ("botocore", "1.35.0", 24 * MIB, True),
        ("boto3", "1.35.0", MIB, True),
        ("idna", "3.7", 600_000, False),
        ("(function code)", None, 4_000, False),
    ]
    unzipped = sum(size for _, _, size, _ in distributions)
    return {
        "kind": "analyze",
        "schema_version": 1,
        "target": "build/",
        "layers": [],
        "runtime": "python3.12",
        "arch": "x86_64",
        "totals": {
            "files": 3_000,
            "unzipped_bytes": unzipped,
            "zipped_bytes": 9 * MIB,
            "zipped_exact": False,
            "layers_unzipped_bytes": 0,
        },
        "limits": [
            {
                "name": "zipped (direct upload)",
                "limit_bytes": 52_428_800,
                "actual_bytes": 9 * MIB,
                "headroom_bytes": 52_428_800 - 9 * MIB,
                "ok": True,
            },
            {
                "name": "unzipped (function + layers)",
                "limit_bytes": 262_144_000,
                "actual_bytes": unzipped,
                "headroom_bytes": 262_144_000 - unzipped,
                "ok": True,
            },
        ],
        "distributions": [
            {
                "name": name,
                "version": version,
                "package": "function",
                "files": 10,
                "unzipped_bytes": size,
                "zipped_bytes": size // 3,
                "removal_saves_bytes": size,
                "requires": [],
                "required_by": [],
                "runtime_provided": sdk,
                "ownership": "RECORD" if version else "no distribution",
            }
            for name, version, size, sdk in distributions
        ],
        "largest_folders": [
            size_row("botocore", 23 * MIB),
            size_row("botocore/data", 20 * MIB),
            size_row("idna", 500_000),
        ],
        "largest_files": [size_row("idna/uts46data.py", 200_000)],
        "findings": [
            {
                "rule": "runtime-sdk",
                "severity": "warning",
                "distribution": "botocore",
                "paths": ["botocore", "botocore-1.35.0.dist-info"],
                "bytes": 24 * MIB,
                "message": "botocore is provided by the runtime",
                "risk": "a newer version may be bundled on purpose",
            },
            {
                "rule": "tests-folder",
                "severity": "info",
                "distribution": "idna",
                "paths": ["idna/tests"],
                "bytes": 30_000,
                "message": HOSTILE,
                "risk": "none",
            },
        ],
        "skipped": [],
    }


def size_row(path: str, size: int) -> dict:
    return {
        "path": path,
        "package": "function",
        "files": 3,
        "unzipped_bytes": size,
        "zipped_bytes": size // 3,
        "distribution": path.split("/")[0],
    }


def module(
    name: str, distribution: str, depth: int, self_ms: float, category: str = "dependency"
) -> ModuleRow:
    return ModuleRow(
        name=name,
        distribution=distribution,
        category=category,
        self_ms=self_ms,
        cumulative_ms=self_ms,
        depth=depth,
        bytecode_saving_ms=self_ms / 2,
        body_ms=self_ms / 2,
        cached=False,
        runs=5,
    )


def imports_distribution(
    name: str, category: str, self_ms: float, size: int, modules: int
) -> ImportsDistribution:
    return ImportsDistribution(
        name=name,
        category=category,
        self_ms=self_ms,
        share=self_ms / 120,
        unzipped_bytes=size,
        zipped_bytes=size // 3,
        modules=modules,
    )


def imports_document(init_ms: float = 120.0) -> dict:
    """An imports result record (modules in tree order, parents first), as its JSON."""
    rng = random.Random(init_ms)
    modules = (
        module("app", "(function code)", 0, 1.0),
        module("boto3", "boto3", 1, 3.0),
        module("botocore", "botocore", 2, 5.0),
        module("botocore.session", "botocore", 3, 20.0),
        module("botocore.client", "botocore", 3, 30.0),
        module("idna", "idna", 1, 4.0),
        module("json", "(standard library)", 1, 4.0, "standard library"),
    )
    distributions = (
        imports_distribution("botocore", "runtime SDK", 55.0, 24 * MIB, 3),
        imports_distribution("boto3", "runtime SDK", 3.0, MIB, 1),
        imports_distribution("idna", "dependency", 4.0, 600_000, 1),
    )
    init = summarize([init_ms + rng.gauss(0, 4) for _ in range(5)])
    result = ImportsResult(
        target="build/",
        handler="app.handler",
        layers=(),
        python=sys.executable,
        python_version="3.12",
        repeat=5,
        init_ms=init,
        import_ms=summarize([init_ms * 0.7 + rng.gauss(0, 3) for _ in range(5)]),
        bare_start_ms=summarize([12 + rng.random() for _ in range(5)]),
        init_minus_import_ms=init_ms * 0.3,
        warm_init_ms=summarize([init_ms * 0.6 + rng.gauss(0, 3) for _ in range(5)]),
        bytecode_saving_ms=init_ms * 0.4,
        max_rss_mb=61.5,
        distributions=distributions,
        modules=modules,
        error=None,
        notes=(),
    )
    return json.loads(to_json(result))


def bench_run(label: str, cold_ms: float, memory_mb: int = 512) -> BenchResult:
    """A bench result record: 12 cold environments, 8 warm invocations each."""
    rng = random.Random(cold_ms)
    samples = []
    for index in range(12):
        init = cold_ms + rng.gauss(0, 6)
        first = 5 + rng.random() * 2
        warm = tuple(1 + rng.random() for _ in range(8))
        trips = tuple(w + 0.2 for w in warm)
        sample = Sample(
            index=index,
            init_ms=init,
            first_invoke_ms=first,
            total_ms=init + first,
            first_round_trip_ms=first + 0.3,
            invoke_ms=warm,
            round_trip_ms=trips,
            max_memory_used_mb=60,
            ok=True,
        )
        samples.append(sample)
    warm_ms = [w for s in samples for w in s.invoke_ms]
    cold_billed = [billed_duration_ms(s.first_invoke_ms, s.init_ms) for s in samples]
    warm_billed = [billed_duration_ms(w) for w in warm_ms]
    return BenchResult(
        label=label,
        target=f"{label}/",
        handler="app.handler",
        layers=(),
        python=sys.executable,
        python_version="3.12",
        memory_mb=memory_mb,
        timeout_s=3.0,
        arch="x86_64",
        region="us-east-1",
        cold_samples=12,
        warm_per_environment=8,
        warmup=1,
        cold=ColdStats(
            init_ms=summarize([s.init_ms for s in samples]),
            first_invoke_ms=summarize([s.first_invoke_ms for s in samples]),
            total_ms=summarize([s.total_ms for s in samples]),
        ),
        warm=WarmStats(
            invoke_ms=summarize(warm_ms),
            round_trip_ms=summarize([t for s in samples for t in s.round_trip_ms]),
        ),
        max_memory_used_mb=60,
        errors=(),
        samples=tuple(samples),
        cost=estimate_cost(cold_billed, warm_billed, memory_mb, "x86_64", "us-east-1", 0.01),
        warnings=(),
        interrupted=False,
        compared=(),
        comparisons=(),
    )


def bench_document(label: str, cold_ms: float) -> dict:
    """A bench result record as its JSON."""
    return json.loads(to_json(bench_run(label, cold_ms)))


def sweep_document() -> dict:
    """One function benched at 256 MB and compared with 512 and 1024 MB, as its JSON."""
    sizes = ((256, 300.0), (512, 160.0), (1024, 90.0))
    runs = [bench_run("my-api", cold_ms, mb) for mb, cold_ms in sizes]
    first = runs[0]
    ms_of = [[s.total_ms for s in run.samples] for run in runs]
    verdicts = tuple(
        compare("cold start", "256 MB", ms_of[0], f"{run.memory_mb} MB", ms_of[i])
        for i, run in enumerate(runs[1:], start=1)
    )
    sweep = dataclasses.replace(first, compared=tuple(runs[1:]), comparisons=verdicts)
    return json.loads(to_json(sweep))


def write_json(folder: Path, name: str, document: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def result_files(tmp_path: Path) -> list[Path]:
    """One result of each kind but check, and a second bench run to compare with."""
    return [
        write_json(tmp_path, "build.json", analyze_document()),
        write_json(tmp_path, "imports.json", imports_document()),
        write_json(tmp_path, "bench.json", bench_document("build", 180.0)),
        write_json(tmp_path, "bench-slim.json", bench_document("slim", 120.0)),
    ]


def run_report(*args: str) -> tuple[int, str, str]:
    """coldprof report in this process; exit status, stdout, stderr."""
    result = CliRunner().invoke(report, list(args))
    return result.exit_code, result.stdout, result.stderr


def cells(line: str) -> list[str]:
    """The cells of one Markdown table row (escaped pipes kept inside their cell)."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def markdown_tables(markdown: str) -> list[tuple[str, list[list[str]]]]:
    """Every GitHub table of a Markdown text with the heading above it, rows of cells."""
    found, title = [], ""
    for block in markdown.split("\n\n"):
        lines = block.splitlines()
        if block.startswith(("**", "#")):
            title = block.strip("*# ")
        elif len(lines) > 1 and re.fullmatch(r"\|[-|: ]+\|", lines[1]):
            found.append((title, [cells(line) for i, line in enumerate(lines) if i != 1]))
    return found


def test_markdown_summary_has_a_table_per_result(result_files):
    status, markdown, _ = run_report(*map(str, result_files), "--format", "markdown")
    assert status == 0
    tables = dict(markdown_tables(markdown))
    summary = tables["coldprof report"]
    assert summary[0] == ["result", "kind", "target", "summary"]
    assert [row[1] for row in summary[1:]] == ["analyze", "imports", "bench", "bench"]
    assert "9.00 MiB (9.44 MB) zipped" in summary[1][3]
    assert "within Lambda's limits" in summary[1][3]
    limits = tables["Lambda limits"]
    assert limits[1] == [
        "zipped (direct upload) (estimated: deflate-6 zip of the folder)",
        "9,437,184 B",
        "52,428,800 B",
        "41.00 MiB (42.99 MB)",
        "ok",
    ]
    latency = tables["Latency"]
    assert [row[0] for row in latency[1:]] == [
        "cold init",
        "first invocation",
        "cold start (runtime + init + first)",
        "warm invocation",
        "warm round trip",
    ]
    assert [row[1] for row in latency[1:]] == ["12", "12", "12", "96", "96"]


def test_markdown_findings_carry_bytes_and_ms_and_escape_hostile_text(result_files):
    _, markdown, _ = run_report(*map(str, result_files), "--format", "markdown")
    findings = dict(markdown_tables(markdown))["Findings"]
    assert findings[0] == [
        "source",
        "severity",
        "rule",
        "distribution",
        "saves bytes",
        "saves ms",
        "finding: advice",
    ]
    by_rule = {(row[2], row[3]): row for row in findings[1:]}
    assert by_rule[("runtime-sdk", "botocore")][4] == "24.00 MiB (25.17 MB)"
    assert by_rule[("bytecode", "botocore")][5] == "27.5 ms"  # half of 55 ms self time
    assert ("bytecode", "(standard library)") not in by_rule  # not the package's to ship
    hostile = by_rule[("tests-folder", "idna")][6]
    assert "<img" not in markdown and "&lt;img" in hostile and "\\| pipe" in hostile
    assert all(len(row) == 7 for row in findings)


def test_measured_ms_go_once_to_bytecode_that_compiles_at_cold_start(tmp_path):
    document = analyze_document()
    document["findings"] = [
        {
            "rule": rule,
            "severity": "warning",
            "distribution": "botocore",
            "paths": ["botocore/session.py"],
            "bytes": 0,
            "message": "compile it",
            "risk": "none",
        }
        for rule in ("bytecode-valid", "bytecode-stale", "bytecode-timestamp")
    ]
    files = [write_json(tmp_path, "a.json", document)]
    files.append(write_json(tmp_path, "i.json", imports_document()))
    _, markdown, _ = run_report(*map(str, files), "--format", "markdown")
    findings = dict(markdown_tables(markdown))["Findings"]
    saved_ms = {row[2]: row[5] for row in findings[1:] if row[3] == "botocore"}
    assert saved_ms == {
        "bytecode-valid": "-",
        "bytecode-stale": "27.5 ms",
        "bytecode-timestamp": "-",
    }


def test_comparison_gives_ratio_with_its_error(result_files):
    _, markdown, _ = run_report(*map(str, result_files), "--format", "markdown")
    compared = dict(markdown_tables(markdown))["bench: cold total"]
    first, second = compared[1], compared[2]
    assert first[4].startswith("1.00 ± ")
    value, error = (float(part) for part in second[4].split(" ± "))
    assert 0.6 < value < 0.72 and 0 < error < 0.1  # 120 ms against 180 ms


def test_import_tree_parents_come_from_depth():
    result = from_document(imports_document(), "imports.json")
    nodes = {node.label: node for node in import_tree(result)}
    by_id = {node.id: node.label for node in import_tree(result)}
    assert by_id[nodes["botocore.client"].parent] == "botocore"
    assert by_id[nodes["botocore.session"].parent] == "botocore"
    assert by_id[nodes["idna"].parent] == "app"
    assert nodes["app"].parent == "imports"
    assert nodes["botocore.client"].category == "botocore"


def test_size_tree_nests_folders_in_their_distribution_and_colours_findings():
    nodes = size_tree(from_document(analyze_document(), "build.json"))
    by_id = {node.id: node for node in nodes}
    data = next(n for n in nodes if n.label == "data")
    folder = by_id[data.parent]
    assert folder.label == "botocore" and by_id[folder.parent].label == "botocore"
    assert data.category == "runtime-sdk"
    tests = next(n for n in nodes if n.label == "tests")
    assert tests.category == "tests-folder" and tests.value == 30_000
    for node in nodes:
        children = [n.value for n in nodes if n.parent == node.id]
        assert sum(children) <= node.value


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (None, 2, "no such result file"),
        (b"{not json", 1, "is not JSON: Expecting property name"),
        (b"\xff\xfe\x00garbage", 1, "is not JSON (not UTF-8 text)"),
        (b"[1, 2]", 1, "not a coldprof result (a JSON object was expected)"),
        (b'{"kind": "flamegraph", "schema_version": 1}', 1, "kind 'flamegraph'; coldprof reads"),
        (b'{"schema_version": 1}', 1, "no kind; coldprof reads results of analyze"),
        (b'{"kind": ["bench"], "schema_version": 1}', 1, "kind \"['bench']\"; coldprof"),
        (b'{"kind": "bench", "schema_version": 7}', 1, "bench schema version 7 is newer"),
        (b'{"kind": "bench", "schema_version": "1"}', 1, "without a valid schema_version"),
        (b"[" * 100_000 + b"]" * 100_000, 1, "nested too deeply"),
        (
            V1_BENCH.replace(b'"memory_mb": 256,', b'"memory_mb": 1' + b"0" * 400 + b",", 1),
            1,
            "result.json: memory_mb: number out of range (401 digits)",
        ),
        (
            V1_BENCH.replace(b'"timeout_s": 3.0,', b'"timeout_s": 1e400,', 1),
            1,
            "result.json: timeout_s: number out of range (not finite)",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, content, status, message):
    path = tmp_path / "result.json"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "out.html"
    code, _, stderr = run_report(str(path), "-o", str(out))
    assert code == status
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr
    assert not out.exists()


def test_a_folder_or_a_fifo_given_as_a_result_is_a_usage_error(tmp_path):
    code, _, stderr = run_report(str(tmp_path))
    assert code == 2
    assert stderr.strip() == f"coldprof: error: {tmp_path} is not a file"
    fifo = tmp_path / "result.json"
    os.mkfifo(fifo)
    code, _, stderr = run_report(str(fifo))
    assert code == 2
    assert stderr.strip() == f"coldprof: error: {fifo} is not a file"


def test_a_huge_file_is_refused_before_parsing(tmp_path):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as stream:
        stream.truncate(MAX_DOCUMENT_BYTES + 1)
    code, _, stderr = run_report(str(huge), "--format", "markdown")
    assert code == 1
    assert stderr.strip() == (f"coldprof: error: {huge} is larger than 67,108,864 B: not a result")


def test_a_renamed_field_says_which_field_and_a_missing_nullable_one_renders_as_not_measured(
    tmp_path,
):
    renamed = analyze_document()
    renamed["totals"]["zip_bytes"] = renamed["totals"].pop("zipped_bytes")
    path = write_json(tmp_path, "build.json", renamed)
    code, markdown, stderr = run_report(str(path), "--format", "markdown")
    assert (code, markdown) == (1, "")
    assert stderr == f"coldprof: error: {path}: totals.zipped_bytes: missing\n"

    sparse = imports_document()
    del sparse["max_rss_mb"], sparse["init_ms"]
    path = write_json(tmp_path, "imports.json", sparse)
    code, markdown, stderr = run_report(str(path), "--format", "markdown")
    assert code == 0, stderr
    summary = dict(markdown_tables(markdown))["coldprof report"][1]
    assert summary[3].startswith("no init time; imports ")
    assert "peak memory" not in summary[3]
    init = dict(markdown_tables(markdown))["Init"]
    assert init[2] == ["function init (runtime ready to handler ready)", "-"]


def test_html_is_self_contained(result_files, tmp_path):
    out = tmp_path / "nested" / "report.html"
    code, _, stderr = run_report(*map(str, result_files), "-o", str(out))
    assert code == 0
    assert stderr.strip() == f"wrote {out}"
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert not re.search(r"<link[^>]*\bhref=", page)
    assert "Content-Security-Policy\" content=\"default-src 'none';" in page  # fetches nothing
    assert page.count("Plotly.newPlot(") == 7  # treemap, icicle, costs, 2 latency, compare, table
    assert page.count("plotly.js v") == 1  # the library inlined once


def test_html_goes_under_reports_named_after_the_inputs(result_files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, stderr = run_report(*map(str, result_files[:2]))
    assert code == 0
    assert stderr.strip() == "wrote reports/build+imports.html"
    assert (tmp_path / "reports" / "build+imports.html").stat().st_size > 1_000_000


def test_default_name_is_safe_and_bounded():
    names = ("a b.json", "../../etc.json", "c.json", "c.json", "d.json", "e.json")
    assert default_path([Path("..", "x", n) for n in names]) == Path(
        "reports/a_b+etc+c+2-more.html"
    )


def test_a_result_is_never_overwritten(tmp_path):
    result = write_json(tmp_path, "build.md", analyze_document())
    before = result.read_bytes()
    code, _, stderr = run_report(str(result), "-o", str(result))
    assert code == 2
    assert "is one of the results to read; write the report elsewhere" in stderr
    assert result.read_bytes() == before


def test_markdown_to_a_file_and_format_from_the_extension(result_files, tmp_path):
    out = tmp_path / "summary.md"
    code, stdout, _ = run_report(str(result_files[0]), "-o", str(out))
    assert code == 0 and stdout == ""
    assert out.read_text().startswith("# coldprof report\n")
    code, _, stderr = run_report(str(result_files[0]), "-o", str(tmp_path / "x.pdf"))
    assert code == 2
    assert "cannot tell the report format of 'x.pdf'; name it .html or .md" in stderr


def test_without_plotly_the_markdown_is_still_written(result_files, tmp_path):
    out = tmp_path / "report.html"
    script = (
        "import sys; sys.modules['plotly'] = None\n"
        "from coldprof.cli.report import report\n"
        f"report([{str(result_files[0])!r}, '-o', {str(out)!r}])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        'coldprof: error: the HTML report needs plotly (pip install "coldprof[report]"); '
        f"wrote the Markdown to {tmp_path / 'report.md'}"
    )
    assert not out.exists()
    assert "| limit " in (tmp_path / "report.md").read_text()


def test_plotly_is_not_imported_with_coldprof():
    script = "import coldprof.cli, coldprof.report, sys; print('plotly' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "False"


def test_report_helper_writes_a_result_record_straight_to_html_or_markdown(tmp_path):
    result = analyze(DEMO)
    page = write_result_report(result, tmp_path / "demo.html")
    assert page.read_text(encoding="utf-8").count("Plotly.newPlot(") == 2  # treemap, findings
    summary = write_result_report(result, tmp_path / "demo.md").read_text(encoding="utf-8")
    tables = dict(markdown_tables(summary))
    names = {row[0] for row in tables["Distributions"][1:]}
    assert names == {"idna", "jmespath", "six", "(function code)"}
    sdk = [row for row in tables["Findings"][1:] if row[2] == "runtime-sdk"]
    assert {row[3] for row in sdk} == {"jmespath", "six"}
    with pytest.raises(UsageError, match=r"name it \.html or \.md"):
        write_result_report(result, tmp_path / "demo.txt")


def test_memory_sweep_shows_cost_against_speed(tmp_path):
    path = write_json(tmp_path, "sweep.json", sweep_document())
    _, markdown, _ = run_report(str(path), "--format", "markdown")
    tables = dict(markdown_tables(markdown))
    sweep = tables["memory sweep"]
    assert [row[:2] for row in sweep[1:]] == [
        ["my-api at 256 MB", "256 MB"],
        ["my-api at 512 MB", "512 MB"],
        ["my-api at 1,024 MB", "1,024 MB"],
    ]
    medians = [float(row[2].removesuffix(" ms")) for row in sweep[1:]]
    assert medians == sorted(medians, reverse=True)
    costs = [row[4] for row in sweep[1:]]
    assert all(c.startswith("$") and c.endswith("(1.0% cold)") for c in costs)
    verdicts = tables["which is faster"]
    assert verdicts[1][1].startswith("512 MB's cold start is ")
    assert " times faster than 256 MB's (95% CI " in verdicts[1][1]
    assert verdicts[1][2] == "yes"
    page = tmp_path / "sweep.html"
    run_report(str(path), "-o", str(page))
    html = page.read_text(encoding="utf-8")
    assert "Memory sweep: cost against speed" in html
    assert html.count("Plotly.newPlot(") == 5  # a latency chart per run, compared, sweep


def test_treemap_of_a_real_package_nests_and_colours_what_analyze_found(sdk_target):
    result = analyze(sdk_target)
    rows = {row.name: row for row in result.distributions}
    nodes = size_tree(result)
    by_id = {node.id: node for node in nodes}
    botocore = next(n for n in nodes if n.label == "botocore" and n.parent == "function")
    assert botocore.category == "runtime-sdk"
    assert botocore.value == rows["botocore"].unzipped_bytes
    data = next(n for n in nodes if n.id.endswith("\nbotocore/data"))
    assert by_id[data.parent].label == "botocore" and by_id[by_id[data.parent].parent] == botocore
    assert data.category == "runtime-sdk"
    tests = next(n for n in nodes if n.id.endswith("\ncertifi/tests"))
    finding = next(f for f in result.findings if f.rule == "tests-folder")
    assert (tests.category, tests.value) == ("tests-folder", finding.bytes)
    assert next(n for n in nodes if n.label == "requests").category == "no finding"


ODD_VALUES = [None, "text", 10**400, [1, {}], {"n": []}]


def check_document() -> dict:
    """A check result with a timing budget and a count budget, as its JSON."""
    init = summarize([100.0, 140.0, 180.0, 120.0, 160.0])
    timing = budgets.init_time(init, 150.0)
    forbid = budgets.forbidden(from_document(analyze_document(), "a.json"), ("idna",))
    result = CheckResult(
        config="pyproject.toml",
        target="build/",
        layers=(),
        runtime="python3.12",
        arch="x86_64",
        measurements=Measurements(
            zipped_bytes=9 * MIB, zipped_exact=False, unzipped_bytes=26 * MIB, init_ms=init
        ),
        budgets=(timing, forbid),
        ok=False,
        baseline=None,
        baseline_written=False,
    )
    return json.loads(to_json(result))


def odd_documents() -> list[tuple[str, str, dict]]:
    """(field, source, document) of each kind with one field at a time holding an odd value."""
    documents = [analyze_document(), imports_document(), bench_document("a", 100.0)]
    documents.append(check_document())
    return [
        (field, f"{document['kind']}-{field}.json", {**document, field: odd})
        for document in documents
        for field in set(document) - {"kind", "schema_version"}
        for odd in ODD_VALUES
    ]


def test_any_field_holding_anything_renders_or_is_one_line_naming_the_field():
    rendered = refused = 0
    for field, source, document in odd_documents():
        try:
            result = from_document(document, source)
        except TargetError as error:
            assert str(error).startswith(f"{source}: {field}"), str(error)
            assert "\n" not in str(error)
            refused += 1
            continue
        pairs = [(source, result)]
        assert render_report(pairs, "markdown").startswith("# coldprof report\n\n| result ")
        assert all(figure.to_json() for _, figure in figures(entries(pairs)))
        rendered += 1
    assert rendered > 10 and refused > 100  # nulls where a field may be null; the rest refused


def test_two_builds_are_compared_by_size(tmp_path):
    slim = analyze_document()
    slim["totals"]["zipped_bytes"] = 2 * MIB
    paths = [
        write_json(tmp_path, "fat.json", analyze_document()),
        write_json(tmp_path, "slim.json", slim),
    ]
    _, markdown, _ = run_report(*map(str, paths), "--format", "markdown")
    compared = dict(markdown_tables(markdown))["package size"]
    assert compared[0] == ["result", "unzipped", "zipped", "zipped change vs first"]
    assert [row[2:] for row in compared[1:]] == [
        ["9.00 MiB (9.44 MB)", "+0 B"],
        ["2.00 MiB (2.10 MB)", "-7.00 MiB (7.34 MB)"],
    ]
    page = tmp_path / "builds.html"
    run_report(*map(str, paths), "-o", str(page))
    assert "Builds compared: package size" in page.read_text(encoding="utf-8")


def _numeric(values: object) -> bool:
    found = [v for v in values or () if v is not None]
    return bool(found) and all(isinstance(v, int | float) for v in found)


def test_every_numeric_axis_says_its_unit():
    raw = [analyze_document(), analyze_document(), imports_document(), imports_document(90.0)]
    raw += [bench_document("a", 180.0), sweep_document()]
    results = [(f"{i}.json", from_document(document, "x")) for i, document in enumerate(raw)]
    untitled = []
    for _, figure in figures(entries(results)):
        for trace in figure.data:
            if trace.type not in ("bar", "box", "scatter") or trace.x == (None,):
                continue
            for axis, values in (("x", trace.x), ("y", trace.y)):
                name = (getattr(trace, f"{axis}axis") or axis).replace(axis, f"{axis}axis")
                if _numeric(values) and not figure.layout[name].title.text:
                    untitled.append((figure.layout.title.text, name))
    assert untitled == []


def test_an_unwritable_output_is_one_line_naming_the_file(result_files, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    status, _, stderr = run_report(str(result_files[0]), "-o", str(blocker / "r.md"))
    assert status == 2
    assert stderr.startswith(f"coldprof: error: cannot write the report to {blocker / 'r.md'}: ")
    assert len(stderr.splitlines()) == 1


def test_a_timing_budget_shows_its_spread_like_check_does(tmp_path):
    path = write_json(tmp_path, "c.json", check_document())
    _, markdown, _ = run_report(str(path), "--format", "markdown")
    budget_rows = dict(markdown_tables(markdown))["Budgets"]
    assert budget_rows[1][:5] == [
        "init_ms",
        "140.0 ms ± 31.6 ms",
        "150.0 ms",
        "10.0 ms",
        "pass (noisy)",
    ]
    assert budget_rows[2][:2] == ["forbid", "1 distribution"]


def test_output_html_writes_the_report_of_the_commands_own_result(tmp_path):
    page = tmp_path / "build.html"
    result = CliRunner().invoke(main, ["analyze", str(DEMO), "--output", str(page)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("== coldprof analyze: ")
    assert page.read_text(encoding="utf-8").count("Plotly.newPlot(") == 2  # treemap, findings
