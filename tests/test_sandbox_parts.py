"""The environment's parts: zip extraction, interpreters, bounded capture, the import profile."""

from __future__ import annotations

import dataclasses
import glob
import os
import shutil
import stat
import statistics
import sys
import zipfile
from pathlib import Path

import pytest

from coldprof.errors import TargetError, UsageError
from coldprof.sandbox import (
    Environment,
    bare_start_ms,
    check_runtime,
    find_interpreter,
    interpreter_info,
    materialize,
)
from coldprof.sandbox.capture import BoundedLog, ImportTimeSplitter
from coldprof.sandbox.usage import parse_usage
from helpers import sandbox_spec

HANDLERS = Path(__file__).resolve().parent.parent / "fixtures" / "handlers"


# --- materialize ---------------------------------------------------------------------------


def hostile_zip(path: Path) -> Path:
    """A function zip with a nested module, a symlink entry and an entry escaping with '..'."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(HANDLERS / "dotted_module" / "pkg" / "__init__.py", "pkg/__init__.py")
        archive.writestr("pkg/service/__init__.py", "")
        archive.write(HANDLERS / "dotted_module/pkg/service/handler.py", "pkg/service/handler.py")
        archive.writestr("../escaped.py", "print('outside')\n")
        link = zipfile.ZipInfo("pkg/link.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return path


def test_zip_is_extracted_read_only_without_skipped_entries_and_removed(tmp_path):
    archive = hostile_zip(tmp_path / "function.zip")
    with materialize(archive) as folder:
        files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        modes = {stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*")}
        with Environment(sandbox_spec(folder, "pkg.service.handler.main")) as environment:
            assert environment.start().ok
            response = environment.invoke({"x": 1}).response
    assert files == ["pkg/__init__.py", "pkg/service/__init__.py", "pkg/service/handler.py"]
    assert modes == {0o444, 0o555}
    assert response == {"module": "pkg.service.handler", "echo": {"x": 1}}
    assert not folder.exists()
    assert not (tmp_path / "escaped.py").exists() and not (folder.parent / "escaped.py").exists()


def test_folder_is_used_in_place():
    with materialize(HANDLERS / "trivial") as folder:
        assert folder == HANDLERS / "trivial"
    assert folder.exists()


def test_bad_targets_are_clear_errors(tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UsageError, match="no such file"), materialize(tmp_path / "missing.zip"):
        pass
    with pytest.raises(TargetError, match="not a readable zip"), materialize(broken):
        pass


# --- interpreters --------------------------------------------------------------------------


def test_this_interpreter_needs_no_probe():
    info = interpreter_info(None)
    assert info.executable == sys.executable
    assert info.version == sys.version_info[:2]
    assert info.runtime == f"python{sys.version_info[0]}.{sys.version_info[1]}"


def test_named_interpreter_is_asked_for_its_real_executable():
    info = interpreter_info(os.path.basename(sys.executable))
    assert Path(info.executable).is_absolute()
    assert info.version == sys.version_info[:2]


@pytest.mark.parametrize(
    ("python", "message"),
    [
        ("no-such-python-here", "no such interpreter"),
        ("/nonexistent/bin/python3", "no such interpreter"),
        ("/bin/true", "not a working Python interpreter"),
    ],
)
def test_missing_or_broken_interpreter_is_a_usage_error(python, message):
    with pytest.raises(UsageError, match=message):
        interpreter_info(python)


def test_a_failing_interpreter_is_named_by_its_first_line_not_its_last(tmp_path):
    shim = tmp_path / "python3.99"
    shim.write_text(
        "#!/bin/sh\necho 'pyenv: python3.99: command not found' >&2\necho >&2\n"
        "echo 'Note: see pyenv help global' >&2\nexit 127\n"
    )
    shim.chmod(0o755)
    with pytest.raises(UsageError) as caught:
        interpreter_info(str(shim))
    assert caught.value.message.endswith(
        "not a working Python interpreter: pyenv: python3.99: command not found"
    )


def test_a_python_error_is_named_by_its_last_line(tmp_path):
    broken = tmp_path / "python"
    broken.write_text(
        "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\n"
        "echo 'ModuleNotFoundError: No module named encodings' >&2\nexit 1\n"
    )
    broken.chmod(0o755)
    with pytest.raises(UsageError, match="interpreter: ModuleNotFoundError: No module named enc"):
        interpreter_info(str(broken))


@pytest.mark.parametrize(
    ("runtime", "message"),
    [
        ("python9", "unknown runtime 'python9'; Lambda's Python runtimes are python3.9, "),
        ("nodejs20.x", "unknown runtime 'nodejs20.x'"),
        ("python3.8", "unknown runtime 'python3.8'"),
    ],
)
def test_runtime_must_be_a_lambda_python_runtime(runtime, message):
    with pytest.raises(UsageError, match=message):
        check_runtime(interpreter_info(None), runtime)


def other_python(version: str) -> str | None:
    """The real executable of a working python3.X found as --runtime finds it, or None."""
    try:
        return find_interpreter(None, f"python{version}").executable
    except UsageError:
        return None


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_other_python_versions_run_the_bootstrap(version):
    python = other_python(version)
    if python is None:
        pytest.skip(f"no working python{version} here")
    spec = sandbox_spec(HANDLERS / "raises_in_handler", runtime=f"python{version}")
    assert spec.interpreter.executable == python
    with Environment(spec) as environment:
        assert environment.start().ok
        result = environment.invoke({})
    assert result.error.type == "KeyError"
    assert f"python{version}" in python
    with Environment(sandbox_spec(HANDLERS / "trivial", python=python)) as env:
        assert env.start().ok and env.invoke({}).response == {"ok": True}


def test_pyenv_shim_is_resolved_to_the_real_binary(monkeypatch):
    shim = shutil.which("python3.12")
    versions = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*")))
    if shim is None or "shims" not in shim or not versions:
        pytest.skip("no pyenv shim for python3.12 here")
    monkeypatch.setenv("PYENV_VERSION", os.path.basename(versions[-1]))
    info = interpreter_info("python3.12")
    assert info.executable != shim
    assert info.executable.startswith(versions[-1])
    assert info.runtime == "python3.12"


def test_bare_start_is_timed_per_run():
    times = bare_start_ms(None, 3)
    assert len(times) == 3
    assert all(0 < t < 10_000 for t in times)


# --- bounded capture -----------------------------------------------------------------------


def test_log_keeps_head_and_tail_and_says_how_much_it_left_out():
    log = BoundedLog(keep_bytes=10)
    for chunk in (b"0123456789abc", b"defghijklmnop", b"XYZ"):
        log.write(chunk)
    assert log.text() == "0123456789\n[coldprof: 9 bytes of output not kept]\njklmnopXYZ"
    log.clear()
    log.write(b"short")
    assert log.text() == "short"


def test_import_rows_are_split_from_the_log_even_glued_to_user_text():
    log = BoundedLog()
    splitter = ImportTimeSplitter(log, max_rows=2)
    splitter.write(b"loading...import time:        12 |         12 | a\nplain line\nimport ")
    splitter.write(b"time:         3 |          3 | b\nimport time:         1 |          1 | c\n")
    splitter.write(b"tail without newline")
    splitter.flush()
    rows, dropped = splitter.take_rows()
    assert rows == [
        "import time:        12 |         12 | a",
        "import time:         3 |          3 | b",
    ]
    assert dropped == 1
    assert log.text() == "loading...plain line\ntail without newline"


# --- the import profile --------------------------------------------------------------------


def test_the_runtimes_imports_come_before_the_handler_and_none_after():
    spec = sandbox_spec(HANDLERS / "sleep_init_300ms", importtime=True)
    with Environment(spec) as environment:
        result = environment.start()
    header, *rows = result.importtime_lines
    assert header == "import time: self [us] | cumulative | imported package"
    parsed = [row.split("|") for row in rows]
    names = [name[1:].rstrip() for *_, name in parsed]
    top_level = [name for name in names if not name.startswith(" ")]
    after_app = top_level[top_level.index("app") + 1 :]
    assert after_app == [], "the runtime imports nothing after the handler"
    assert "json" in top_level and top_level.index("json") < top_level.index("app")
    assert not any("coldprof" in name for name in names)
    assert int(parsed[names.index("app")][1]) >= 300_000
    assert result.init_ms >= 300


def test_warm_invocations_cost_little_more_than_the_handler():
    with Environment(sandbox_spec(HANDLERS / "sleep_50ms_per_invoke")) as env:
        env.start()
        results = [env.invoke({}) for _ in range(5)]
    durations = [r.duration_ms for r in results]
    assert all(50 <= d < r.round_trip_ms for d, r in zip(durations, results, strict=True))
    assert statistics.median(r.round_trip_ms - r.duration_ms for r in results) >= 0


def test_first_invocation_carries_its_own_cost():
    with Environment(sandbox_spec(HANDLERS / "first_invoke_200ms")) as env:
        env.start()
        first, second = env.invoke({}), env.invoke({})
    assert first.duration_ms >= 200 > second.duration_ms
    assert first.response == second.response == {"warm": True}


def test_a_usage_report_is_read_only_when_it_is_exactly_the_childs_shape():
    report = {
        "method": "sys.monitoring",
        "used": ["app", "settings"],
        "files": [[0, "app.py"], [1, "python/lib.py"]],
        "refs": {"unused": ["app"]},
        "lazy": [["app", "json", "json"]],
        "lazy_init": [],
    }
    usage = parse_usage(report)
    assert usage.used == ("app", "settings") and usage.files[1] == (1, "python/lib.py")
    assert usage.referrers == (("unused", ("app",)),) and usage.lazy[0].target == "json"
    assert usage.lazy_at_init == ()
    assert parse_usage({**report, "lazy_init": None}) is None
    assert parse_usage({**report, "used": ["x" * 5000]}) is None
    assert parse_usage({**report, "refs": {"m": ["a"] * 21}}) is None
    assert parse_usage({**report, "lazy": [["app", "json"]]}) is None
    assert parse_usage({**report, "files": [[-1, "app.py"]]}) is None
    assert parse_usage({key: value for key, value in report.items() if key != "lazy_init"})


def test_an_import_inside_the_handler_is_timed_apart_without_showing_in_its_errors():
    plain = sandbox_spec(HANDLERS / "raises_in_late_import")
    timed = dataclasses.replace(plain, import_clock=True)
    traces = []
    for spec in (plain, timed):
        with Environment(spec) as environment:
            assert environment.start().ok
            result = environment.invoke({})
        assert result.error.type == "ValueError" and not result.environment_ended
        assert (result.import_ms is None) == (spec is plain)
        traces.append(result.error.stack_trace)
    assert traces[0] == traces[1]  # the clock's own frame is never in the user's stack trace
    assert [line.split(",")[0] for line in traces[1]] == [
        f'  File "{(HANDLERS / "raises_in_late_import" / name).resolve()}"'
        for name in ("app.py", "broken_late.py")
    ]
