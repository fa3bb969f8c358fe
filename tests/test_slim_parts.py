"""slim's parts on real files: the step table, the plan's guards, RECORD rows, the words."""

from __future__ import annotations

import dataclasses
import py_compile
import shutil
from pathlib import Path

import pytest

from coldprof.analyze import scan
from coldprof.analyze.pyc import cache_path
from coldprof.analyze.rules import run_rules
from coldprof.analyze.runtime import local_runtime
from coldprof.bench.compare import compare
from coldprof.errors import UsageError
from coldprof.render import layout
from coldprof.render.slim import failure_line, headline, sections
from coldprof.render.units import relative_change, size_pair
from coldprof.slim.proof import init_gain
from coldprof.slim.record import record_hash, rewritten
from coldprof.slim.result import Gain, Side
from coldprof.slim.steps import SAFE_STEPS, STEP_RULES, make_plan, parse_steps
from coldprof.stats import summarize
from rules_support import write_distribution

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slim"
MIB = 1024 * 1024


def test_steps_are_read_in_their_order_with_the_safe_set_as_an_alias():
    assert parse_steps("safe") == SAFE_STEPS
    assert parse_steps("debug-symbols, tests,safe") == (*SAFE_STEPS, "debug-symbols")
    assert parse_steps("none") == () == parse_steps("")
    with pytest.raises(UsageError, match="unknown step 'test'"):
        parse_steps("test")


def test_every_step_names_rules_analyze_has():
    found = {f.rule for f in run_rules(scan(FIXTURES / "function"))}
    named = {rule for rules in STEP_RULES.values() for rule in rules}
    expected = {"tests-folder", "docs-folder", "c-sources", "type-stubs", "macos-metadata"}
    assert expected <= found  # the fixture's .DS_Store is macOS metadata, slim's "clutter"
    assert found & named == expected


def _plan(folder: Path, steps: tuple[str, ...], unloaded=frozenset()):
    context = scan(folder)
    findings = run_rules(context)
    version = local_runtime().version
    return make_plan(context.packages[0], findings, steps, version, True, unloaded)


def test_the_plan_never_removes_metadata_pth_files_or_bytecode_the_runtime_uses(tmp_path):
    folder = tmp_path / "function"
    shutil.copytree(FIXTURES / "function", folder)
    (folder / "paths.pth").write_text("extra\n", encoding="utf-8")
    pyc = folder / cache_path("tinylib/core.py", local_runtime().version)
    pyc.parent.mkdir()
    py_compile.compile(str(folder / "tinylib/core.py"), str(pyc),
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)  # fmt: skip
    unloaded = frozenset(
        {"paths.pth", "tinylib-1.0.dist-info/RECORD", pyc.relative_to(folder).as_posix()}
    )
    plan = _plan(folder, (*SAFE_STEPS, "unused-files"), unloaded)
    removed = plan.removed_paths()
    assert "tinylib/tests/test_core.py" in removed and ".DS_Store" in removed
    assert not {"paths.pth", "tinylib-1.0.dist-info/RECORD"} & removed
    assert pyc.relative_to(folder).as_posix() not in removed
    assert plan.valid == ("tinylib/core.py",) and "tinylib/core.py" not in plan.compile
    assert "tinylib/tests/__init__.py" not in plan.compile and "app.py" in plan.compile


def test_a_record_keeps_what_is_left_and_lists_what_slim_wrote(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "tool").write_bytes(b"#!/bin/sh\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.py").write_bytes(b"A = 1\n")
    (tmp_path / "lib" / "__pycache__").mkdir()
    (tmp_path / "lib" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"compiled")
    text = (
        "lib/a.py,sha256=old,6\r\n"
        "lib/gone.py,sha256=x,3\r\n"
        "../../bin/tool,sha256=t,10\r\n"
        "lib-1.0.dist-info/RECORD,,\r\n"
    )
    present = frozenset({"bin/tool", "lib/a.py", "lib/__pycache__/a.cpython-311.pyc",
                         "lib-1.0.dist-info/RECORD"})  # fmt: skip
    pyc = "lib/__pycache__/a.cpython-311.pyc"
    out = rewritten(text, "lib-1.0.dist-info/RECORD", tmp_path, present, {pyc}, [pyc])
    assert out == (
        "lib/a.py,sha256=old,6\r\n"
        "../../bin/tool,sha256=t,10\r\n"
        f"{pyc},{record_hash(b'compiled')},8\r\n"
        "lib-1.0.dist-info/RECORD,,\r\n"
    )
    assert record_hash(b"") == "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"


def test_sizes_and_changes_read_as_one_line():
    assert size_pair(48.2 * MIB, 31.0 * MIB) == "48.2 → 31.0 MiB"
    assert size_pair(900, 3000) == "0.9 → 2.9 KiB" and size_pair(812, 640) == "812 → 640 B"
    assert relative_change(48.2, 31.0) == "−36%" and relative_change(100, 104) == "+4%"
    assert relative_change(0, 5) == "-"


def _side(zipped: float, median_ms: float) -> Side:
    samples = [median_ms - 1, median_ms, median_ms + 1]
    return Side(zipped_bytes=round(zipped), zipped_exact=True, unzipped_bytes=1, files=1,
                init_ms=summarize(samples), init_median_ci_ms=None)  # fmt: skip


def test_the_headline_is_worded_from_numbers(real_results):
    gain = Gain(times=2.0, ci_low=1.9, ci_high=2.1, beyond_noise=True)
    result = dataclasses.replace(
        real_results["slim"], before=_side(48.2 * MIB, 820), after=_side(31.0 * MIB, 410),
        init_gain=gain,
    )  # fmt: skip
    assert headline(result) == (
        "zipped 48.2 → 31.0 MiB (−36%), init 820.0 → 410.0 ms (2.00× faster, 95% CI 1.90–2.10)"
    )
    noise = Gain(times=1.05, ci_low=0.9, ci_high=1.2, beyond_noise=False)
    assert headline(dataclasses.replace(result, init_gain=noise)).endswith(
        "(no change beyond the noise: median ratio 1.05×, 95% CI 0.90–1.20)"
    )
    slower = Gain(times=0.8, ci_low=0.5, ci_high=0.9, beyond_noise=True)
    assert headline(dataclasses.replace(result, init_gain=slower)).endswith(
        "(1.25× slower, 95% CI 1.11–2.00)"
    )


def test_the_gain_is_the_ratio_of_the_medians_not_of_the_means():
    before = [100.0, 101.0, 102.0, 103.0, 900.0]  # one slow outlier pulls the mean, not the median
    after = [50.0, 51.0, 52.0, 53.0, 54.0]
    gain = init_gain(before, after)
    assert gain.times == pytest.approx(102.0 / 52.0)
    assert gain.ci_low <= gain.times <= gain.ci_high and gain.beyond_noise
    assert compare("init", "before", before, "after", after).times > 4  # the means' ratio
    assert not init_gain([100.0, 101.0, 99.0], [100.5, 99.5, 101.0]).beyond_noise
    assert not init_gain([200.0, 201.0], [100.0, 101.0]).beyond_noise  # too few runs


def test_a_handler_that_fails_before_slimming_is_said_first(real_results):
    failed = real_results["slim-failed"]
    error = failed.response.after_error
    response = dataclasses.replace(failed.response, before_error=error)
    broken = dataclasses.replace(
        failed, before=dataclasses.replace(failed.before, init_ms=None), response=response
    )
    assert failure_line(broken) == (
        "the original handler fails to initialise: ModuleNotFoundError: No module named "
        "'helperlib.tests'; fix that first"
    )


def test_the_runtime_sdk_step_keeps_what_a_bundled_distribution_needs(tmp_path):
    write_distribution(tmp_path, "jmespath", "1.0.1", {"jmespath/__init__.py": b"X = 1\n"})
    dateutil = write_distribution(tmp_path, "python-dateutil", "2.9.0", {"dateutil/x.py": b""})
    (dateutil / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: python-dateutil\nVersion: 2.9.0\n"
    )
    frames = write_distribution(tmp_path, "frames", "1.0", {"frames/__init__.py": b""}, ("frames",))
    (frames / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: frames\nVersion: 1.0\nRequires-Dist: python-dateutil\n"
    )
    removed = _plan(tmp_path, ("runtime-sdk",)).removed["runtime-sdk"]
    assert "jmespath/__init__.py" in removed  # nothing needs it: the runtime's copy serves
    assert not any(path.startswith(("dateutil/", "python_dateutil-")) for path in removed)


@pytest.mark.parametrize("width", [72, 80])
def test_slim_s_tables_fit_the_terminal_as_analyze_s_do(real_results, width):
    result = dataclasses.replace(real_results["slim"], target="build/" + "nested/" * 12)
    text = layout.terminal(None, sections(result), width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "init median" in text and "== Bytecode" in text
