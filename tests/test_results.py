"""Result documents read back into their typed records: round trips, tolerance, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coldprof.analyze.result import AnalyzeResult
from coldprof.bench.result import BenchResult, Comparison
from coldprof.check.result import CheckResult
from coldprof.errors import TargetError, UsageError
from coldprof.imports.result import ImportsResult
from coldprof.render import formats_for, render
from coldprof.render.words import verdict, word
from coldprof.results import Note, load, loads, to_json
from coldprof.slim.result import SlimResult

V1 = Path(__file__).resolve().parent.parent / "fixtures" / "results" / "v1"
RECORDS = {
    "analyze": AnalyzeResult,
    "imports": ImportsResult,
    "bench": BenchResult,
    "check": CheckResult,
    "slim": SlimResult,
}


def test_every_real_result_loads_into_its_record_and_writes_back_the_same(real_documents):
    for name, text in real_documents.items():
        result = loads(text, name)
        assert isinstance(result, RECORDS[result.kind]), name
        assert to_json(result) == text, name
        assert to_json(loads(to_json(result), name)) == to_json(result)


def test_the_real_results_cover_what_the_records_can_hold(real_results):
    bench = real_results["bench-compared"]
    assert bench.compared and bench.comparisons and bench.samples
    assert all(isinstance(c, Comparison) for c in bench.comparisons)
    assert real_results["bench-failing"].errors and real_results["bench-failing"].warnings
    assert real_results["imports-failed"].error.stack_trace
    assert real_results["imports"].modules and real_results["imports"].init_ms.n == 2
    deferred = real_results["imports-deferred"]
    assert deferred.deferred and deferred.deferred_distributions and len(deferred.invocations) == 2
    assert deferred.unused_at_init.modules and deferred.unloaded_files and deferred.files_seen
    check = real_results["check"]
    assert {b.detail.code for b in check.budgets} >= {"forbidden", "growth", "median-of-runs"}
    assert real_results["analyze-layered"].layers and real_results["analyze"].findings
    slimmed = real_results["slim"]
    assert slimmed.ok and slimmed.output and slimmed.init and slimmed.records_rewritten == 1
    assert {s.step for s in slimmed.steps if s.files} >= {"tests", "docs", "type-stubs"}
    failed = real_results["slim-failed"]
    assert not failed.ok and failed.response.after_error and failed.output is None


def load_changed(path: str, change) -> object:
    """The v1 bench fixture with one change made to its document, read back."""
    document = json.loads((V1 / path).read_text(encoding="utf-8"))
    change(document)
    return loads(json.dumps(document), path)


def test_unknown_fields_are_ignored():
    def add(document: dict) -> None:
        document["added_in_a_newer_coldprof"] = {"anything": [1, 2]}
        document["cold"]["init_ms"]["p999"] = 12.0

    result = load_changed("bench.json", add)
    assert result.cold.init_ms.median == 315.0


def test_a_missing_field_that_may_be_null_reads_as_null_and_renders_as_not_measured():
    result = load_changed("imports.json", lambda document: document.pop("max_rss_mb"))
    assert result.max_rss_mb is None
    assert "peak memory after init (resident; Lambda's MB are MiB)  -" in render(result, "table")


def test_a_missing_field_with_a_default_takes_it():
    result = load_changed("imports.json", lambda document: document.pop("top"))
    assert result.top == 30


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["cold"]["init_ms"].pop("median"),
            "bench.json: cold.init_ms.median: missing",
        ),
        (
            lambda d: d.update(cold_runs=d.pop("cold_samples")),
            "bench.json: cold_samples: missing",
        ),
        (
            lambda d: d["samples"][3].update(init_ms="fast"),
            "bench.json: samples[3].init_ms: expected a number, not a string",
        ),
        (
            lambda d: d["compared"][0]["cost"].update(memory_mb=256.5),
            "bench.json: compared[0].cost.memory_mb: expected a whole number",
        ),
        (lambda d: d.update(errors={}), "bench.json: errors: expected a list, not an object"),
        (
            lambda d: d.update(interrupted=0),
            "bench.json: interrupted: expected true or false, not a number",
        ),
        (lambda d: d.update(label=None), "bench.json: label: expected a string, not null"),
    ],
)
def test_a_field_that_does_not_fit_is_one_line_naming_it(change, message):
    with pytest.raises(TargetError) as raised:
        load_changed("bench.json", change)
    assert str(raised.value) == message


def test_a_400_digit_number_is_an_error_naming_its_field(tmp_path):
    text = (V1 / "bench.json").read_text(encoding="utf-8")
    huge = text.replace('"memory_mb": 256,', '"memory_mb": 1' + "0" * 400 + ",", 1)
    with pytest.raises(
        TargetError, match=r"^x.json: memory_mb: number out of range \(401 digits\)$"
    ):
        loads(huge, "x.json")
    inf = text.replace('"timeout_s": 3.0,', '"timeout_s": 1' + "0" * 400 + ".5,", 1)
    with pytest.raises(
        TargetError, match=r"^x.json: timeout_s: number out of range \(not finite\)$"
    ):
        loads(inf, "x.json")
    beyond = text.replace('"memory_mb": 256,', '"memory_mb": 1' + "0" * 5000 + ",", 1)
    with pytest.raises(TargetError, match=r"^x.json is not a coldprof result \(Exceeds the limit"):
        loads(beyond, "x.json")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"kind": "flamegraph", "schema_version": 1}, "x.json: kind 'flamegraph'; coldprof reads"),
        ({"schema_version": 1}, "x.json: no kind; coldprof reads results of analyze, bench"),
        ({"kind": "bench", "schema_version": 3}, "x.json: bench schema version 3 is newer than"),
        ({"kind": "check", "schema_version": "2"}, "x.json: check result without a valid schema"),
        ([1, 2], "x.json: not a coldprof result (a JSON object was expected)"),
    ],
)
def test_a_wrong_kind_or_a_future_version_is_one_line(document, message):
    with pytest.raises(TargetError) as raised:
        loads(json.dumps(document), "x.json")
    assert str(raised.value).startswith(message)


def test_a_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such result file"):
        load(tmp_path / "none.json")


@pytest.mark.parametrize("name", ["analyze", "imports", "bench", "bench-remote", "check"])
def test_version_1_documents_still_load_and_render(name):
    result = load(V1 / f"{name}.json")
    assert (
        result.schema_version == RECORDS[result.kind].__dataclass_fields__["schema_version"].default
    )
    for fmt in ("table", "markdown"):
        assert render(result, fmt)
    assert to_json(loads(to_json(result), name)) == to_json(result)


def test_version_1_sentences_become_notes_worded_as_they_were():
    v1 = json.loads((V1 / "bench-remote.json").read_text(encoding="utf-8"))
    result = load(V1 / "bench-remote.json")
    assert [word(w) for w in result.warnings] == v1["warnings"]
    assert word(result.remote.restore) == v1["remote"]["restore_note"]
    (comparison,) = result.comparisons
    assert comparison.verdict == "within-noise" and comparison.difference_ms is None
    # a difference within the noise is no longer worded "N times faster" (issue 16)
    assert v1["comparisons"][0]["summary"].endswith("; the difference is within the noise")
    assert verdict(comparison) == (
        f"{comparison.faster}'s and {comparison.slower}'s {comparison.phase} differ by less than "
        f"the noise (95% CI of the ratio {comparison.ci_low:.2f} to {comparison.ci_high:.2f})"
    )
    check = load(V1 / "check.json")
    v1_check = json.loads((V1 / "check.json").read_text(encoding="utf-8"))
    assert [word(b.detail) for b in check.budgets] == [b["detail"] for b in v1_check["budgets"]]


def test_a_note_this_coldprof_cannot_word_is_shown_as_its_code_and_values():
    assert word(Note("made-up", {"count": 3})) == "made-up (count 3)"
    assert word(Note("outliers", {"phase": "x"})) == "outliers (phase x)"
    assert word(Note("text", {"text": "line\nbreak"})) == "line\\nbreak"


RESULT_NAMES = [
    "analyze",
    "analyze-layered",
    "analyze-empty",
    "imports",
    "imports-failed",
    "imports-empty",
    "bench-compared",
    "bench-failing",
    "bench-empty",
    "check",
    "check-empty",
    "slim",
    "slim-failed",
    "slim-empty",
]


@pytest.mark.parametrize("name", RESULT_NAMES)
def test_every_renderer_renders_every_result_including_empty_ones(real_results, name):
    result = real_results[name]
    for fmt in formats_for(result.kind):
        text = render(result, fmt)
        assert text.endswith("\n") and text.count("\x1b") == 0, (name, fmt)
    page = render(result, "html")
    assert page.startswith("<!DOCTYPE html>") and page.count("plotly.js v") <= 1
    assert loads(render(result, "json"), name) == result


def test_an_imports_document_from_before_the_invocations_loads_with_nothing_measured():
    result = load(V1 / "imports.json")
    assert result.events == () and result.deferred == () and result.invocations == ()
    assert result.unused_at_init is None and result.files_seen is None
    assert result.unloaded_files == () and result.lazy_imports is None
    assert result.unavailable == () and result.left_running == ()
    assert "deferred to the first invocation" not in render(result, "table")
