"""profile_imports() on real handlers in real child interpreters: known sleeps, known trees."""

from __future__ import annotations

import dataclasses
import math
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from test_imports_parser import real_python

from coldprof.errors import UsageError
from coldprof.function import FunctionConfig
from coldprof.imports.profile import profile_imports
from coldprof.imports.result import ImportsResult
from coldprof.render import render

ROOT = Path(__file__).resolve().parent.parent
KNOWN_TREE = ROOT / "fixtures" / "imports" / "known_tree"
LAYERED = ROOT / "fixtures" / "imports" / "layered"
HANDLERS = ROOT / "fixtures" / "handlers"
REPEAT = 3


def profile(target: Path, handler: str, repeat: int = 1, **settings):
    """profile_imports() of the handler in target, with the function's other settings."""
    function = FunctionConfig(target=target, handler=handler, **settings)
    return profile_imports(function, repeat=repeat)


@pytest.fixture(scope="module")
def known():
    return profile(KNOWN_TREE, "app.handler", repeat=REPEAT)


def modules_by_name(result) -> dict:
    return {module.name: module for module in result.modules}


def test_the_known_tree_is_reported_in_pre_order_with_depths(known):
    assert [(m.depth, m.name) for m in known.modules] == [
        (0, "app"),
        (1, "settings"),
        (1, "slow_a"),
        (2, "slow_b"),
    ]
    assert all(m.runs == REPEAT for m in known.modules)


def test_known_sleeps_show_as_self_times_in_the_right_modules(known):
    by_name = modules_by_name(known)
    app, slow_a, slow_b = by_name["app"], by_name["slow_a"], by_name["slow_b"]
    assert slow_b.self_ms >= 20
    assert slow_a.self_ms >= 50
    assert app.self_ms >= 30  # the module-level sleep after its imports
    assert slow_a.self_ms > slow_b.self_ms > by_name["settings"].self_ms
    # medians keep every per-run inequality (not sums): a parent costs at least its child
    assert slow_a.cumulative_ms >= max(70, slow_a.self_ms, slow_b.cumulative_ms)
    assert app.cumulative_ms >= max(100, slow_a.cumulative_ms, app.self_ms)
    assert app.body_ms >= 30  # module-level work that is not importing
    assert all(m.bytecode_saving_ms >= 0 for m in known.modules)
    # the spread over the runs is recorded: the sleeps vary a little, never by nothing at all
    assert all(m.bytecode_saving_noise_ms >= 0 for m in known.modules)
    assert app.bytecode_saving_noise_ms > 0


def test_init_and_import_statistics(known):
    assert known.init_ms.n == known.import_ms.n == known.warm_init_ms.n == REPEAT
    assert known.bare_start_ms.n == known.runtime_init_ms.n == REPEAT
    assert known.import_ms.median >= 100  # 50 + 20 + 30 ms of sleeps
    assert known.init_ms.median >= 100  # the function's part of init holds the sleeps...
    # ...and the runtime's start, which imports Lambda's runtime modules, is more than a bare start
    assert known.runtime_init_ms.median > known.bare_start_ms.median > 0
    assert known.runtime_client == "coldprof"
    assert known.read_only in ("mount-namespace", "audit-hook")
    assert known.init_ms.min <= known.init_ms.median <= known.init_ms.max
    assert known.init_minus_import_ms == pytest.approx(
        known.init_ms.median - known.import_ms.median
    )
    assert known.bytecode_saving_ms == pytest.approx(
        known.init_ms.median - known.warm_init_ms.median
    )
    assert 1 < known.max_rss_mb < 128  # within Lambda's default memory size
    assert known.error is None
    assert known.notes == ()


def test_the_rollup_per_distribution(known):
    rows = {row.name: row for row in known.distributions}
    assert {name: row.category for name, row in rows.items()} == {
        "slow-a": "dependency",
        "slow-b": "dependency",
        "(function code)": "function code",
    }
    assert known.distributions[0].name == "slow-a"  # costliest first
    by_name = modules_by_name(known)
    assert rows["slow-b"].self_ms == by_name["slow_b"].self_ms
    assert rows["(function code)"].modules == 2
    assert rows["slow-a"].share == pytest.approx(rows["slow-a"].self_ms / known.init_ms.median)
    slow_b_files = [KNOWN_TREE / "slow_b.py", *(KNOWN_TREE / "slow_b-1.0.dist-info").iterdir()]
    assert rows["slow-b"].unzipped_bytes == sum(f.stat().st_size for f in slow_b_files)
    summed = sum(row.self_ms for row in known.distributions)
    assert summed == pytest.approx(known.import_ms.median, rel=0.1)


def test_shipping_bytecode_would_save_the_compile_time_of_a_large_module(tmp_path):
    body = "def f{0}(x):\n    y = x * {0} + len(str(x))\n    return [y, {{'k': y}}]\n"
    (tmp_path / "generated.py").write_text("".join(body.format(i) for i in range(600)))
    (tmp_path / "app.py").write_text(
        "import generated\n\n\ndef handler(event, context):\n    pass\n"
    )
    result = profile(tmp_path, "app.handler", repeat=2)
    generated = modules_by_name(result)["generated"]
    assert generated.bytecode_saving_ms > generated.body_ms  # compiling dominates its self time
    assert generated.bytecode_saving_ms + generated.body_ms == pytest.approx(generated.self_ms)
    assert result.bytecode_saving_ms > 0
    assert result.warm_init_ms.median < result.init_ms.median
    assert not list(tmp_path.rglob("__pycache__"))


def test_progress_goes_to_the_observer():
    calls = []
    function = FunctionConfig(
        target=ROOT / "fixtures" / "imports" / "trivial", handler="app.handler"
    )
    profile_imports(function, repeat=2, observer=lambda *a: calls.append(a))
    # the warm-up, the usage run (one event by default: {}), then 2 rounds of 4 variants
    assert calls == [(done, 10) for done in range(1, 11)]
    calls.clear()
    profile_imports(function, repeat=2, observer=lambda *a: calls.append(a), events=())
    assert calls == [(done, 9) for done in range(1, 10)]


@pytest.mark.parametrize("version", ["3.12", "3.13", "3.14"])
def test_other_interpreter_versions(version):
    python = real_python(version)
    if python is None:
        pytest.skip(f"python{version} is not installed")
    result = profile(KNOWN_TREE, "app.handler", python=python, runtime=f"python{version}", repeat=1)
    assert result.python_version == version
    assert [m.name for m in result.modules] == ["app", "settings", "slow_a", "slow_b"]
    assert modules_by_name(result)["slow_a"].self_ms >= 50


def test_a_zip_target_gives_the_same_tree_and_exact_zipped_sizes(tmp_path):
    archive = tmp_path / "function.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(KNOWN_TREE.rglob("*")):
            if path.is_file():
                out.write(path, path.relative_to(KNOWN_TREE).as_posix())
    result = profile(archive, "app.handler", repeat=1)
    assert [(m.depth, m.name) for m in result.modules] == [
        (0, "app"),
        (1, "settings"),
        (1, "slow_a"),
        (2, "slow_b"),
    ]
    with zipfile.ZipFile(archive) as opened:
        slow_b_bytes = sum(
            info.file_size for info in opened.infolist() if info.filename.startswith("slow_b")
        )
    rows = {row.name: row for row in result.distributions}
    assert rows["slow-b"].unzipped_bytes == slow_b_bytes


def test_a_layer_module_is_attributed_to_the_layer():
    result = profile(LAYERED / "function", "app.handler", layers=(LAYERED / "layer",), repeat=1)
    layer_util = modules_by_name(result)["layer_util"]
    assert (layer_util.distribution, layer_util.category) == ("(layer 1 code)", "layer")
    assert layer_util.self_ms >= 10


def test_a_real_pip_installed_dependency(pip_target, tmp_path):
    function = tmp_path / "function"
    shutil.copytree(pip_target("requests"), function)
    (function / "app.py").write_text(
        "import requests\n\n\ndef handler(event, context):\n    pass\n"
    )
    result = profile(function, "app.handler", repeat=1)
    rows = {row.name: row for row in result.distributions}
    assert rows["requests"].category == "dependency"
    assert rows["urllib3"].self_ms > 0
    assert rows["urllib3"].unzipped_bytes > 100_000
    assert rows["(standard library)"].unzipped_bytes is None
    assert rows["(standard library)"].modules > 5
    by_name = modules_by_name(result)
    assert by_name["requests"].depth == 1
    assert by_name["requests.adapters"].distribution == "requests"
    assert by_name["http.client"].category == "standard library"


def test_a_dotted_handler_module_is_found_by_name():
    result = profile(HANDLERS / "dotted_module", "pkg.service.handler.main", repeat=1)
    assert result.modules[0].name == "pkg.service.handler"
    assert {m.name for m in result.modules} >= {"pkg", "pkg.service"}


def test_a_module_only_coldprof_has_is_not_importable(tmp_path):
    (tmp_path / "app.py").write_text("import click\n\n\ndef handler(event, context):\n    pass\n")
    result = profile(tmp_path, "app.handler", repeat=2)
    assert result.error.type == "Runtime.ImportModuleError"
    assert result.error.message == "Unable to import module 'app': No module named 'click'"
    assert result.init_ms is None
    assert result.modules == ()


def test_an_exception_at_import_keeps_the_users_traceback():
    result = profile(HANDLERS / "raises_at_import", "app.handler", repeat=2)
    assert (result.error.type, result.error.message) == ("ValueError", "missing setting TABLE_NAME")
    trace = "".join(result.error.stack_trace)
    assert "helper.py" in trace
    assert "sandbox/bootstrap.py" not in trace  # the runtime's own frames are left out
    assert '"<string>"' not in trace
    # as awslambdaric reports it: from importlib.import_module down (tests/test_runtime_oracle.py)
    assert "importlib/__init__.py" in result.error.stack_trace[0]


def test_an_init_that_never_ends_is_stopped_at_10_s_then_run_again_under_the_timeout():
    result = profile(HANDLERS / "hangs_at_import", "app.handler", repeat=2, timeout_s=1)
    assert result.error.type == "Sandbox.Timedout"
    # Lambda stops the init at 10 s, then runs it again inside the first invocation, under
    # the function's own timeout: that second run is what timed out here
    assert result.error.message == "Task timed out after 1.00 seconds"
    assert any(note.code == "init-run-again" for note in result.notes)


def test_memory_beyond_the_limit_at_init_is_an_out_of_memory_error(tmp_path):
    (tmp_path / "app.py").write_text(
        "kept = [b'x' * (8 * 1024 * 1024) for _ in range(40)]\n\n\n"
        "def handler(event, context):\n    pass\n"
    )
    result = profile(tmp_path, "app.handler", repeat=1, memory_mb=128)
    assert result.error.type == "Runtime.OutOfMemory"
    assert result.max_rss_mb > 100


def test_tens_of_mb_of_output_at_init_still_give_the_profile():
    result = profile(HANDLERS / "floods_output", "app.handler", repeat=1)
    assert result.error is None
    names = {m.name for m in result.modules}
    assert {"app", "email"} <= names
    assert "json" not in names  # Lambda's runtime imported it before the handler: no row


def test_usage_errors():
    with pytest.raises(UsageError, match="at least 1"):
        profile(KNOWN_TREE, "app.handler", repeat=0)
    with pytest.raises(UsageError, match="no such"):
        profile(KNOWN_TREE / "missing", "app.handler", repeat=1)
    with pytest.raises(UsageError, match="does not match"):
        profile(KNOWN_TREE, "app.handler", python=sys.executable, runtime="python3.9")


def _outside_imports_row(result: ImportsResult) -> str:
    table = render(result, "table")
    return next(line for line in table.splitlines() if "function init minus imports" in line)


def test_init_minus_imports_is_never_shown_as_a_bare_negative_time():
    """-X importtime's own cost can make the profiled import total longer than the unprofiled
    init: such a difference, or one within the spreads, is worded, not shown as -3 ms."""
    function = FunctionConfig(target=HANDLERS / "trivial", handler="app.handler")
    result = profile_imports(function, repeat=3)
    expected = math.hypot(result.init_ms.stdev, result.import_ms.stdev)
    assert result.init_minus_import_noise_ms == pytest.approx(expected)
    below = dataclasses.replace(result, init_minus_import_ms=-3.0, init_minus_import_noise_ms=1.0)
    assert "none measurable (-3.00 ms: -X importtime's own cost" in _outside_imports_row(below)
    noise = dataclasses.replace(result, init_minus_import_ms=-0.5, init_minus_import_noise_ms=1.0)
    assert "within the noise (-0.500 ms, spread ± 1.00 ms)" in _outside_imports_row(noise)
    above = dataclasses.replace(result, init_minus_import_ms=4.0, init_minus_import_noise_ms=1.0)
    assert _outside_imports_row(above).rstrip().endswith("4.00 ms")
    older = dataclasses.replace(below, init_minus_import_noise_ms=None)  # an older document
    assert "none measurable (-3.00 ms" in _outside_imports_row(older)
