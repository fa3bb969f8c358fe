"""imports --event on real handlers in real child interpreters: what the invocations import,
what init loads that they never use, the files they never load, and lazy imports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_imports_parser import real_python, row_text

from coldprof.cli import main
from coldprof.function import FunctionConfig, with_settings
from coldprof.imports.attribution import DEPENDENCY
from coldprof.imports.lazy import defers_imports, lazy_report
from coldprof.imports.profile import profile_imports
from coldprof.imports.unused import advice
from coldprof.render import render
from coldprof.render.report.charts import import_icicle
from coldprof.render.report.entries import Entry
from coldprof.results import load, loads
from coldprof.sandbox import InvokeResult
from coldprof.sandbox.usage import parse_usage

ROOT = Path(__file__).resolve().parent.parent
DEFERRED = ROOT / "fixtures" / "imports" / "deferred"
INIT_THREAD = ROOT / "fixtures" / "imports" / "init_thread"
INIT_THREAD_FINISHES = ROOT / "fixtures" / "imports" / "init_thread_finishes"
FIRST, SECOND = ("first", {}), ("second", {"kind": "second"})
SLEEPS_20_MS = "import time\n\ntime.sleep(0.020)\nNAME = 'late'\n"
DEPENDENCY_APP = '''"""jmespath at init (used by events with a query); idna in the handler."""

import jmespath


def handler(event, context):
    import idna

    found = jmespath.search(event["query"], {"a": 1}) if "query" in event else None
    return {"found": found, "host": idna.encode("bücher.example").decode()}
'''


def profile(target: Path, *events, **settings):
    """profile_imports() of app.handler in target, one round, with these events."""
    function = FunctionConfig(target=target, handler="app.handler", **settings)
    return profile_imports(function, repeat=1, events=events)


@pytest.fixture(scope="module")
def both_kinds():
    return profile(DEFERRED, FIRST, SECOND)


@pytest.fixture(scope="module")
def first_kind():
    return profile(DEFERRED, FIRST)


def candidates(result) -> dict:
    return {row.name: row for row in result.unused_at_init.modules}


def test_a_module_imported_inside_the_handler_is_deferred_to_the_first_invocation(both_kinds):
    deferred = {(row.invocation, row.depth, row.name): row for row in both_kinds.deferred}
    late = deferred[(1, 0, "late_module")]
    assert late.self_ms >= 40 and late.category == "function code"
    assert deferred[(1, 0, "difflib")].distribution == "(standard library)"
    assert "late_module" not in {module.name for module in both_kinds.modules}  # not at init
    first, second = both_kinds.invocations
    assert (first.event, second.event) == ("first", "second")
    assert first.import_ms.median >= late.cumulative_ms >= 40
    assert second.modules == 0 and second.import_ms.median == 0  # the second imports nothing
    assert first.error is None and first.runs == 1
    rollup = {row.name: row for row in both_kinds.deferred_distributions}
    assert rollup["(function code)"].self_ms >= 40
    assert sum(row.share for row in rollup.values()) == pytest.approx(1, abs=0.01)


def test_init_modules_no_event_used_are_candidates_ranked_by_cumulative_ms(both_kinds):
    unused = both_kinds.unused_at_init
    assert list(candidates(both_kinds)) == ["unused_at_init", "pth_loaded"]
    row = candidates(both_kinds)["unused_at_init"]
    assert row.cumulative_ms >= 30 and row.imported_by == "app" and row.modules == 1
    assert row.advice == "import-where-used"  # python3.11: no `lazy import`
    assert unused.events == 2 and unused.method == "setprofile"
    assert set(unused.unused) == {"unused_at_init", "pth_loaded"}
    # used: its code ran (used_at_init), its data was read (settings), its submodule ran (helpers)
    assert unused.used_modules == unused.init_modules - 2


def test_a_module_used_only_by_a_second_kind_of_event_gives_two_answers(first_kind, both_kinds):
    assert "only_second" in candidates(first_kind)
    assert "only_second" not in candidates(both_kinds)


def test_a_pth_loaded_module_is_measured_as_init_and_its_files_as_loaded(both_kinds):
    pth = candidates(both_kinds)["pth_loaded"]
    assert pth.imported_by == "" and pth.cumulative_ms >= 10
    unloaded = {row.path for row in both_kinds.unloaded_files}
    assert "pth_loaded.py" not in unloaded and "zz_hook.pth" not in unloaded


def test_files_never_loaded_are_exactly_the_untouched_data(both_kinds):
    assert [(row.path, row.bytes) for row in both_kinds.unloaded_files] == [
        ("data/unused.json", len('{"never": "read"}\n'))
    ]
    seen = both_kinds.files_seen
    assert seen.files - seen.loaded_files == 1 and seen.bytes - seen.loaded_bytes == 18
    (rollup,) = both_kinds.unloaded_distributions
    assert rollup.name == "(function code)" and rollup.share == pytest.approx(18 / seen.bytes)


def test_every_view_words_the_invocations(both_kinds):
    table = render(both_kinds, "table")
    assert "imports deferred to the first invocation" in table
    assert "unused_at_init (unused)" in table  # marked in the init tree
    assert "lazy-import candidates" in table and "not a proof" in table
    assert "Files never loaded" in table and "data/unused.json" in table
    markdown = render(both_kinds, "markdown")
    assert "| late_module" in markdown or "late_module" in markdown


@pytest.fixture(scope="module")
def with_dependencies(pip_target, tmp_path_factory):
    """A function with real pip-installed dependencies: jmespath at init, idna in the handler."""
    folder = tmp_path_factory.mktemp("dependencies")
    shutil.copytree(pip_target("jmespath", "idna"), folder, dirs_exist_ok=True)
    (folder / "app.py").write_text(DEPENDENCY_APP, encoding="utf-8")
    return folder


def test_a_real_dependency_no_event_used_is_advised_dropped(with_dependencies):
    result = profile(with_dependencies, FIRST)
    (distribution,) = [d for d in result.unused_at_init.distributions if d.name == "jmespath"]
    assert distribution.category == "dependency" and distribution.unzipped_bytes > 0
    row = candidates(result)["jmespath"]
    assert row.advice == "drop" and row.modules > 1 and row.unused_ms > 0
    deferred = {row.name: row for row in result.deferred}
    assert deferred["idna"].distribution == "idna" and deferred["idna"].category == "dependency"
    idna_files = [row for row in result.unloaded_files if row.distribution == "idna"]
    assert any(row.path == "idna/codec.py" for row in idna_files)  # never imported by encode()


def test_a_real_dependency_an_event_uses_is_no_candidate(with_dependencies):
    result = profile(with_dependencies, ("query", {"query": "a"}))
    assert "jmespath" not in candidates(result)
    assert not [d for d in result.unused_at_init.distributions if d.name == "jmespath"]


def test_threads_started_at_init_and_still_running_are_named():
    result = profile(INIT_THREAD, FIRST)
    (thread,) = result.left_running
    assert (thread.kind, thread.name, thread.seen_after) == ("thread", "refresher", 1)
    assert "app.py" in thread.where
    assert "refresher" in render(result, "table")
    (started,) = result.init_threads
    assert (started.name, started.seen_after, started.finished_during) == ("refresher", 0, None)
    assert started.started_at.endswith("init_thread/app.py:12 in <module>")


def test_init_threads_are_those_running_as_the_first_invocation_starts():
    result = profile(INIT_THREAD_FINISHES, FIRST)
    (warmer,) = result.init_threads  # not the handler's own `worker`
    assert (warmer.name, warmer.seen_after, warmer.finished_during) == ("warmer", 0, 1)
    assert warmer.started_at.endswith("init_thread_finishes/app.py:16 in <module>")
    assert [item.name for item in result.left_running] == ["worker"]
    assert loads(render(result, "json"), "imports").init_threads == result.init_threads
    assert "`warmer`" in render(result, "table")


def test_no_invoke_profiles_init_only():
    result = profile(DEFERRED)
    assert result.events == () and result.deferred == () and result.invocations == ()
    assert result.unused_at_init is None and result.files_seen is None
    assert [m.name for m in result.modules if m.depth == 1][-1] == "used_at_init"


def test_an_invocation_that_fails_is_reported_and_init_still_measured():
    result = profile(ROOT / "fixtures" / "handlers" / "raises_in_handler", FIRST)
    (invocation,) = result.invocations
    assert invocation.error is not None and result.error is None and result.init_ms.n == 1


def test_the_command_line_takes_several_events_and_refuses_no_invoke_with_them(tmp_path):
    runner = CliRunner()
    output = tmp_path / "imports.json"
    args = ["imports", str(DEFERRED), "--handler", "app.handler", "--repeat", "1"]
    done = runner.invoke(main, [*args, "--event", "{}", "--event", '{"kind": "second"}',
                                "--format", "json", "-o", str(output)])  # fmt: skip
    assert done.exit_code == 0, done.output
    result = load(output)
    assert result.events == ("{}", '{"kind": "second"}')
    assert json.loads(output.read_text())["unused_at_init"]["modules"][0]["name"] == (
        "unused_at_init"
    )
    refused = runner.invoke(main, [*args, "--no-invoke", "--event", "{}"])
    assert refused.exit_code == 2 and "--no-invoke and --event" in refused.output


def test_awslambdaric_says_what_it_cannot_measure():
    result = profile(DEFERRED, FIRST, runtime_client="awslambdaric")
    assert {row.name for row in result.deferred} >= {"late_module", "difflib"}
    assert result.unavailable == (
        "unused_at_init",
        "unloaded_files",
        "left_running",
        "init_threads",
    )
    assert result.unused_at_init is None and result.files_seen is None
    assert "Not available with --runtime-client awslambdaric" in render(result, "table")


def test_an_interpreter_that_accepts_lazy_imports_but_imports_eagerly_is_said_so():
    assert not defers_imports(real_python("3.11"), "all")
    assert not defers_imports(real_python("3.11"), "normal")
    result = profile(DEFERRED, FIRST, lazy_imports="all")
    assert result.lazy_imports.mode == "all" and result.lazy_imports.deferred is False
    assert "unused_at_init" in {m.name for m in result.modules}  # imported at init all the same
    assert "imported eagerly: nothing was deferred" in render(result, "table")


def test_python_315_defers_and_reports_what_each_lazy_import_cost(tmp_path):
    python = real_python("3.15")
    if python is None:
        pytest.skip("python3.15 is not installed")
    assert defers_imports(python, "all") and defers_imports(python, "normal")
    shutil.copytree(DEFERRED, tmp_path / "function")
    result = profile(tmp_path / "function", FIRST, python=python, lazy_imports="all")
    lazy = {row.name: row for row in result.lazy_imports.imports}
    assert lazy["used_at_init"].resolved_in == 1 and lazy["used_at_init"].cumulative_ms >= 20
    assert lazy["unused_at_init"].resolved_in is None  # never resolved: its 30 ms never paid
    assert "unused_at_init" not in {m.name for m in result.modules}


def test_an_invocation_that_ends_its_environment_leaves_the_usage_incomplete_and_says_so():
    result = profile(ROOT / "fixtures" / "runtime" / "crash_in_handler", FIRST)
    (invocation,) = result.invocations
    assert invocation.error.type == "Runtime.ExitError"
    (note,) = [note for note in result.notes if note.code == "usage-incomplete"]
    assert note.values["reported"] == 0 and note.values["events"] == 1
    assert result.unused_at_init is None  # nothing reported: nothing claimed unused


def test_on_python_312_sys_monitoring_watches_and_gives_the_same_answers(tmp_path):
    python = real_python("3.12") or real_python("3.13")
    if python is None:
        pytest.skip("neither python3.12 nor python3.13 is installed")
    shutil.copytree(DEFERRED, tmp_path / "function")
    result = profile(tmp_path / "function", FIRST, SECOND, python=python)
    assert result.unused_at_init.method == "sys.monitoring"
    assert list(candidates(result)) == ["unused_at_init", "pth_loaded"]
    assert "only_second" in candidates(profile(tmp_path / "function", FIRST, python=python))


HOLDS_EVERY_TOOL_ID = '''"""Takes every sys.monitoring tool id at init; no event uses never_used."""

import sys

import never_used

for tool in range(6):
    if sys.monitoring.get_tool(tool) is None:
        sys.monitoring.use_tool_id(tool, "the function's own")


def handler(event, context):
    return sorted(event)
'''

BREAKS_THE_WATCH = '''"""Its handler breaks gc.get_referents, which the usage watch reads."""

import gc


def broken(*objects):
    raise RuntimeError("no referents today")


def handler(event, context):
    gc.get_referents = broken
    return "ok"
'''


def test_a_function_holding_every_monitoring_tool_id_is_watched_by_a_profiling_hook(tmp_path):
    python = real_python("3.12") or real_python("3.13")
    if python is None:
        pytest.skip("neither python3.12 nor python3.13 is installed")
    (tmp_path / "app.py").write_text(HOLDS_EVERY_TOOL_ID, encoding="utf-8")
    (tmp_path / "never_used.py").write_text("VALUE = 1\n", encoding="utf-8")
    result = profile(tmp_path, FIRST, python=python)
    assert result.invocations[0].error is None
    assert result.unused_at_init.method == "setprofile"
    assert list(candidates(result)) == ["never_used"]


def test_a_handler_that_breaks_what_the_watch_reads_leaves_the_usage_incomplete(tmp_path):
    (tmp_path / "app.py").write_text(BREAKS_THE_WATCH, encoding="utf-8")
    result = profile(tmp_path, FIRST, SECOND)
    assert [invocation.error for invocation in result.invocations] == [None, None]
    (note,) = [note for note in result.notes if note.code == "usage-incomplete"]
    assert note.values == {"reported": 0, "events": 2, "error": ""}
    assert result.unused_at_init is None and result.files_seen is None
    assert "reported on 0 of 2 events" in render(result, "table")


LATER_IMPORT = '''"""Events of kind "second" import a module the first invocation did not."""


def handler(event, context):
    if event.get("kind") == "second":
        import second_late

        return second_late.NAME
    return "first"
'''


def test_a_later_invocation_that_imports_is_recorded_as_its_own(tmp_path):
    (tmp_path / "app.py").write_text(LATER_IMPORT, encoding="utf-8")
    (tmp_path / "second_late.py").write_text(SLEEPS_20_MS, encoding="utf-8")
    result = profile(tmp_path, FIRST, SECOND)
    assert [(row.invocation, row.name) for row in result.deferred] == [(2, "second_late")]
    assert result.deferred[0].self_ms >= 20
    first, second = result.invocations
    assert first.modules == 0 and second.modules == 1 and second.import_ms.median >= 20
    assert "imports deferred to later invocations (sum of medians)" in render(result, "table")


def test_without_an_event_the_command_invokes_once_with_an_empty_event(tmp_path):
    output = tmp_path / "imports.json"
    args = ["imports", str(DEFERRED), "--handler", "app.handler", "--repeat", "1"]
    done = CliRunner().invoke(main, [*args, "--format", "json", "-o", str(output)])
    assert done.exit_code == 0, done.output
    result = load(output)
    assert result.events == ("{}",) and len(result.invocations) == 1
    assert "late_module" in {row.name for row in result.deferred}
    done = CliRunner().invoke(main, [*args, "--no-invoke", "--format", "json", "-o", str(output)])
    assert done.exit_code == 0 and load(output).invocations == ()


def test_the_report_draws_the_init_tree_with_unused_marked_and_the_deferred_tree_beside(
    both_kinds,
):
    figure = import_icicle(Entry("imports.json", "imports", both_kinds))
    init, deferred = [trace for trace in figure.data if trace.type == "icicle"]
    assert "unused_at_init (unused)" in init.labels and "used_at_init" in init.labels
    assert "late_module" in deferred.labels and "invocation 1" in deferred.labels
    assert not any(label.endswith("(unused)") for label in deferred.labels)
    assert [a.text for a in figure.layout.annotations] == ["at init", "deferred to the invocations"]


def test_advice_drops_an_unused_dependency_and_lazy_imports_only_from_python_315():
    assert advice(DEPENDENCY, True, (3, 11)) == "drop"
    assert advice(DEPENDENCY, False, (3, 15)) == "lazy-import"
    assert advice("function code", True, (3, 15)) == "lazy-import"
    assert advice("function code", False, (3, 14)) == "import-where-used"


def test_the_python315_runtime_is_known_wherever_a_runtime_is_named(tmp_path):
    function = with_settings(FunctionConfig(target=DEFERRED), {"runtime": "python3.15"})
    assert function.runtime == "python3.15"
    done = CliRunner().invoke(main, ["imports", str(DEFERRED), "--handler", "app.handler",
                                     "--runtime", "python3.15", "--repeat", "1"])  # fmt: skip
    if real_python("3.15") is None:
        assert done.exit_code == 2 and "no working Python 3.15" in done.output
    else:
        assert done.exit_code == 0, done.output


IMPORTED_ANYWAY = {
    "app.py": "import helper\nimport heavy\n\n\ndef handler(event, context):\n"
    "    return helper.work()\n",
    "helper.py": "import heavy\n\n\ndef work():\n    return 'done'\n",
    "heavy.py": SLEEPS_20_MS,
}


def test_a_candidate_a_used_module_also_imports_says_it_is_imported_anyway(tmp_path):
    for name, text in IMPORTED_ANYWAY.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = profile(tmp_path, FIRST)
    row = candidates(result)["heavy"]
    assert row.imported_by == "helper" and row.also_imported_by == ("app",)
    table = render(result, "table")
    assert "imported anyway by app" in table
    for caveat in ("not a proof", "side effects", "imports it too", "Advisory", "own open()"):
        assert caveat in " ".join(table.split()), caveat


def invocation_with(usage: dict, importtime_lines: tuple[str, ...] = ()) -> InvokeResult:
    """An invocation of a usage run as the child reports it (its reply's "usage" object)."""
    return InvokeResult(ok=True, duration_ms=1.0, round_trip_ms=1.0, response=None, error=None,
                        log="", max_rss_mb=1.0, environment_ended=False,
                        importtime_lines=importtime_lines, usage=parse_usage(usage))  # fmt: skip


def test_lazy_imports_resolved_in_an_invocation_or_never_on_315_shaped_reports():
    """Python 3.15 is not installed here: the child's reports and -X importtime rows, as 3.15
    writes them, of an init that left json and csv lazy; the first invocation resolved json."""
    usage = {"method": "sys.monitoring", "used": ["app"], "files": [], "refs": {}}
    lazy_json, lazy_csv = ["app", "json", "json"], ["app", "csv", "csv"]
    first = invocation_with(
        {**usage, "lazy": [lazy_csv], "lazy_init": [lazy_json, lazy_csv]},
        (row_text(400, 400, 1, "json.decoder"), row_text(800, 1200, 0, "json")),
    )
    second = invocation_with({**usage, "lazy": [lazy_csv]})
    report = lazy_report("all", True, [first, second], [(first, second), (first, second)])
    found = {row.name: row for row in report.imports}
    assert (found["json"].resolved_in, found["json"].cumulative_ms) == (1, 1.2)
    assert (found["csv"].resolved_in, found["csv"].cumulative_ms) == (None, None)
    assert found["json"].declared_in == "app" and found["json"].binding == "json"
