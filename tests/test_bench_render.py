"""Every bench renderer on the same fixed results (a run with a comparison, a failed one,
an empty one), against golden output in fixtures/bench/golden/.

Set COLDPROF_UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate change.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
from pathlib import Path

import pytest

from coldprof.bench.compare import compare
from coldprof.bench.cost import billed_duration_ms
from coldprof.bench.driver import Measured
from coldprof.bench.result import BenchResult, Sample, SampleError
from coldprof.bench.run import BenchOptions, assemble, run_labels
from coldprof.function import FunctionConfig
from coldprof.render import formats_for, render
from coldprof.sandbox import InterpreterInfo

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "bench" / "golden"
PYTHON = InterpreterInfo("/usr/bin/python3.12", (3, 12))
OPTIONS = BenchOptions(cold=4, warm=2, warmup=1)


def function(target: str) -> FunctionConfig:
    return FunctionConfig(target=Path(target), handler="app.handler", memory_mb=256)


def sample(
    index: int,
    init_ms: float,
    first_ms: float,
    warm_ms: tuple[float, ...],
    failed_warm_ms: tuple[float, ...] = (),
) -> Sample:
    """A sample as the driver records it; every invocation billed, the failed ones too."""
    return Sample(
        index=index,
        init_ms=init_ms,
        first_invoke_ms=first_ms,
        total_ms=40.0 + init_ms + first_ms,
        first_round_trip_ms=first_ms + 0.25,
        invoke_ms=warm_ms,
        round_trip_ms=tuple(ms + 0.125 for ms in warm_ms),
        max_memory_used_mb=41.5 + index,
        ok=len(warm_ms) == 2,
        runtime_init_ms=40.0,
        billed_ms=billed_duration_ms(first_ms, 40.0 + init_ms),
        warm_billed_ms=tuple(billed_duration_ms(ms) for ms in warm_ms + failed_warm_ms),
    )


def measured_a() -> Measured:
    timeout = SampleError(
        sample=3,
        phase="warm_invoke",
        invocation=2,
        type="Sandbox.Timedout",
        message="Task timed out after 3.00 seconds",
        stack_trace=(),
        duration_ms=3000.0,
        environment_ended=True,
    )
    boom = SampleError(
        sample=2,
        phase="warm_invoke",
        invocation=1,
        type="ValueError",
        message="bad\x1b[2J input\nsecond line",
        stack_trace=("  File x",),
        duration_ms=0.5,
        environment_ended=False,
    )
    samples = (
        sample(0, 310.0, 2.5, (1.25, 1.5)),
        sample(1, 320.0, 2.0, (1.0, 1.5)),
        sample(2, 300.0, 3.0, (1.75,), failed_warm_ms=(0.5,)),
        sample(3, 330.0, 2.5, (1.25,), failed_warm_ms=(3000.0,)),
    )
    return Measured(samples, (boom, timeout), interrupted=False)


def measured_b() -> Measured:
    samples = tuple(sample(i, 200.0 + 10 * i, 2.0, (1.0, 1.25)) for i in range(4))
    return Measured(samples, (), interrupted=False)


def with_comparison() -> BenchResult:
    labels = run_labels([(Path("build/old"), "app.handler"), (Path("build/new"), "app.handler")])
    a = assemble(labels[0], function("build/old"), OPTIONS, PYTHON, measured_a())
    b = assemble(labels[1], function("build/new"), OPTIONS, PYTHON, measured_b())
    totals = [[s.total_ms for s in run.samples] for run in (a, b)]
    comparison = compare("cold start", a.label, totals[0], b.label, totals[1])
    return dataclasses.replace(a, compared=(b,), comparisons=(comparison,))


def failed_init() -> BenchResult:
    error = SampleError(
        sample=0,
        phase="init",
        invocation=0,
        type="Runtime.ImportModuleError",
        message="Unable to import module 'app': No module named 'requests'",
        stack_trace=(),
        duration_ms=12.5,
        environment_ended=True,
    )
    failed = Sample(
        index=0,
        init_ms=None,
        first_invoke_ms=None,
        total_ms=None,
        first_round_trip_ms=None,
        invoke_ms=(),
        round_trip_ms=(),
        max_memory_used_mb=9.75,
        ok=False,
        billed_ms=13,
    )
    measured = Measured((failed,), (error,), interrupted=False)
    return assemble("app", function("app"), OPTIONS, PYTHON, measured)


def empty() -> BenchResult:
    measured = Measured((), (), interrupted=True)
    return assemble("app", function("app"), OPTIONS, PYTHON, measured)


RESULTS = {"compared": with_comparison, "failed_init": failed_init, "empty": empty}
SUFFIX = {"table": "txt", "markdown": "md", "csv": "csv", "json": "json"}


def test_bench_results_render_in_every_format_a_user_can_ask_for():
    assert formats_for("bench") == ["json", "table", "markdown", "csv", "html"]


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json"])
@pytest.mark.parametrize("name", sorted(RESULTS))
def test_renderers_match_golden_output(name, fmt):
    text = render(RESULTS[name](), fmt)
    golden = GOLDEN / f"{name}.{SUFFIX[fmt]}"
    if os.environ.get("COLDPROF_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_the_table_shows_statistics_cost_errors_and_the_comparison():
    text = render(with_comparison(), "table")
    assert "cold start (runtime + init + first)    4  357.2 ms" in text
    assert "max memory used (peak resident; Lambda's MB are MiB)  44 MB of 256 MB" in text
    assert "Sandbox.Timedout" in text
    assert "build/new's cold start is 1.39 ± 0.09 times faster than build/old's (95% CI" in text


def test_user_text_cannot_drive_the_terminal():
    text = render(with_comparison(), "table") + render(with_comparison(), "markdown")
    assert "\x1b" not in text
    assert "bad\\x1b[2J input" in text


def test_csv_has_one_row_per_invocation_failed_ones_included():
    rows = list(csv.DictReader(io.StringIO(render(with_comparison(), "csv"))))
    old = [r for r in rows if r["run"] == "build/old"]
    assert len(old) == 4 * 3  # 4 samples: first invocation and 2 warm each
    assert len([r for r in rows if r["run"] == "build/new"]) == 12
    failed = [(r["sample"], r["invocation"], r["error_type"]) for r in old if r["ok"] == "False"]
    assert failed == [("2", "1", "ValueError"), ("3", "2", "Sandbox.Timedout")]
    sample_2 = [(r["invocation"], r["duration_ms"]) for r in old if r["sample"] == "2"]
    assert sample_2 == [("0", "3.0"), ("1", "0.5"), ("2", "1.75")]


def test_json_keeps_every_raw_sample_and_the_schema_fields():
    document = json.loads(render(with_comparison(), "json"))
    assert (document["kind"], document["schema_version"]) == ("bench", 2)
    assert document["cold"]["total_ms"]["n"] == 4
    assert document["cold"]["init_ms"]["median"] == 315.0
    assert document["cold"]["runtime_init_ms"]["median"] == 40.0
    assert [s["billed_ms"] for s in document["samples"]][:2] == [353, 362]
    assert document["warm"]["invoke_ms"]["n"] == 6
    assert [e["phase"] for e in document["errors"]] == ["warm_invoke", "warm_invoke"]
    assert [s["invoke_ms"] for s in document["samples"]][2] == [1.75]
    assert document["cost"]["per_million_usd"] > 0.2
    assert document["compared"][0]["label"] == "build/new"
    assert document["comparisons"][0]["faster"] == "build/new"
