"""coldprof slim on real pip-installed packages: the same answer, bytecode the runtime reads,
RECORD files that describe what is left, a reproducible zip, and a target left untouched."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from coldprof.analyze.elf import read_elf
from coldprof.analyze.pyc import cache_path, parse_cache_path, read_header
from coldprof.cli import main
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig
from coldprof.render.words import word
from coldprof.results import loads
from coldprof.sandbox import find_interpreter
from coldprof.slim import SlimOptions, slim
from coldprof.slim import strip as strip_module
from helpers import tree_snapshot, zip_folder

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slim"
APP = """import frozenlist
import jsonschema
import requests
import simplejson


def handler(event, context):
    jsonschema.validate(event, {"type": "object", "properties": {"n": {"type": "integer"}}})
    items = frozenlist.FrozenList(range(event["n"]))
    items.freeze()
    request = requests.Request("GET", "https://example.com/", params=event).prepare()
    return {"body": simplejson.dumps({"items": list(items)}), "url": request.url}
"""
EVENT = '{"n": 3}'
FULL = "safe,debug-symbols"


def run(*args: str):
    """The slim command's (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, ["slim", *args])
    return result.exit_code, result.stdout, result.stderr


def slim_json(*args: str, exit_code: int = 0):
    """The result record of a slim run printed as JSON."""
    code, stdout, stderr = run(*args, "--format", "json")
    assert code == exit_code, stderr
    return loads(stdout, "slim")


@pytest.fixture(scope="module")
def package(pip_target, tmp_path_factory) -> Path:
    """A function built the usual way: pip install --target --no-compile, plus its handler."""
    installed = pip_target(
        "simplejson", "jsonschema", "frozenlist", "requests", extra=("--no-compile",)
    )
    folder = tmp_path_factory.mktemp("function") / "build"
    shutil.copytree(installed, folder)
    (folder / "app.py").write_text(APP, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def slimmed(package, tmp_path_factory):
    """One slim run to a zip: (result, zip path, the target's snapshot before it)."""
    before = tree_snapshot(package)
    out = tmp_path_factory.mktemp("out") / "function.zip"
    result = slim_json(str(package), "--handler", "app.handler", "-o", str(out),
                       "--drop", FULL, "--event", EVENT, "--repeat", "2")  # fmt: skip
    return result, out, before


def members(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as opened:
        return {info.filename: opened.read(info) for info in opened.infolist()}


def test_the_slimmed_zip_answers_the_event_as_the_original(slimmed, package):
    result, out, _ = slimmed
    assert result.ok and result.response.equal and result.output == str(out)
    assert result.response.before_error is None and result.response.after_error is None
    answers = []
    for target in (package, out):
        invoked = CliRunner().invoke(
            main, ["invoke", str(target), "--handler", "app.handler", "--event", EVENT]
        )
        assert invoked.exit_code == 0, invoked.stderr
        answers.append(json.loads(invoked.stdout))
    assert answers[0] == answers[1]
    assert answers[1]["url"] == "https://example.com/?n=3"


def test_both_sides_are_measured_in_the_same_run(slimmed):
    result, out, _ = slimmed
    before, after = result.before, result.after
    assert before.init_ms.n == after.init_ms.n == 2 and result.repeat == 2
    assert before.init_ms.min > 0 and after.init_ms.min > 0
    interval = after.init_median_ci_ms
    assert interval.low <= after.init_ms.median <= interval.high
    assert after.zipped_exact and after.zipped_bytes == out.stat().st_size
    assert not before.zipped_exact  # a folder: analyze's deflate-6 estimate
    assert result.init.phase == "init" and {result.init.faster, result.init.slower} == {
        "before",
        "after",
    }


def test_every_module_gets_bytecode_the_runtime_reads(slimmed):
    result, out, _ = slimmed
    files = members(out)
    sources = [p for p in files if p.endswith(".py") and not p.startswith("bin/")]
    assert len(sources) > 100
    for source in sources:
        pyc = files[cache_path(source, sys.version_info[:2])]
        header = read_header(pyc[:16])
        assert pyc[:4] == importlib.util.MAGIC_NUMBER, source
        assert header.flags == 0b01 and header.invalidation == "unchecked-hash", source
    assert result.bytecode.compiled == len(sources) and result.bytecode.failed == ()
    assert result.bytecode.python_version == f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_the_steps_take_out_what_analyze_found_and_keep_the_metadata(slimmed, package, tmp_path):
    result, out, _ = slimmed
    names = set(members(out))
    assert not any("/tests/" in name for name in names)
    assert not any(name.endswith((".pyi", ".pyx")) for name in names)
    steps = {row.step: row for row in result.steps}
    assert "jsonschema/tests" in steps["tests"].paths and steps["tests"].files > 20
    assert steps["tests"].rules == ("tests-folder", "own-tests")
    with zipfile.ZipFile(out) as opened:
        opened.extractall(tmp_path)
    original = {
        d.metadata["Name"]: d.version for d in importlib.metadata.distributions(path=[str(package)])
    }
    slimmed_versions = {
        d.metadata["Name"]: d.version
        for d in importlib.metadata.distributions(path=[str(tmp_path)])
    }
    assert slimmed_versions == original and "jsonschema" in original


def _record_rows(files: dict[str, bytes], record: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(files[record].decode("utf-8"))))


def test_record_files_describe_what_is_left(slimmed):
    result, out, _ = slimmed
    files = members(out)
    records = [name for name in files if name.endswith(".dist-info/RECORD")]
    assert result.records_rewritten == len(records) > 5
    for record in records:
        rows = _record_rows(files, record)
        assert rows[-1] == [record, "", ""]
        for path, digest, size in rows[:-1]:
            stored = path if path in files else path.replace("../../", "")
            data = files[stored]
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode() and int(size) == len(data), path
    rows = _record_rows(files, next(r for r in records if r.startswith("simplejson-")))
    listed = {row[0] for row in rows}
    tag = f"cpython-{sys.version_info[0]}{sys.version_info[1]}"
    assert f"simplejson/__pycache__/decoder.{tag}.pyc" in listed
    assert not any("/tests/" in path for path in listed)


def test_stripped_extensions_still_import_and_carry_no_debug_sections(slimmed, package):
    result, out, _ = slimmed
    assert result.stripped and all(s.check == "imports" for s in result.stripped)
    files = members(out)
    for stripped in result.stripped:
        data = files[stripped.path]
        assert len(data) == stripped.after_bytes < stripped.before_bytes
        assert (package / stripped.path).stat().st_size == stripped.before_bytes
        assert read_elf(io.BytesIO(data), len(data)).debug_bytes == 0
    steps = {row.step: row for row in result.steps}
    saved = sum(s.before_bytes - s.after_bytes for s in result.stripped)
    assert steps["debug-symbols"].unzipped_bytes == saved


def test_the_zip_is_reproducible_and_lambda_can_read_it(slimmed, package, tmp_path):
    _, out, _ = slimmed
    again = tmp_path / "again.zip"
    slim_json(str(package), "--handler", "app.handler", "-o", str(again),
              "--drop", FULL, "--event", EVENT, "--repeat", "1")  # fmt: skip
    assert again.read_bytes() == out.read_bytes()
    with zipfile.ZipFile(out) as opened:
        infos = opened.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names, key=lambda n: n.encode())
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {info.filename: info.external_attr >> 16 for info in infos}
    assert {mode & 0o777 for name, mode in modes.items() if name.endswith("/")} == {0o755}
    assert {mode & 0o777 for name, mode in modes.items() if not name.endswith("/")} <= {
        0o644,
        0o755,
    }


def test_the_target_is_byte_identical_afterwards(slimmed, package):
    _, _, before = slimmed
    assert tree_snapshot(package) == before


def test_check_measures_and_writes_nothing(package, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out = tmp_path / "never.zip"
    result = slim_json(str(package), "--handler", "app.handler", "-o", str(out), "--check",
                       "--repeat", "1", "--event", EVENT)  # fmt: skip
    assert result.ok and result.check and result.output is None
    assert result.after.zipped_bytes < result.before.zipped_bytes * 2
    assert not out.exists() and list(scratch.iterdir()) == []


def test_a_wrong_runtime_interpreter_is_refused_in_one_line(package, tmp_path):
    here = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    other = "python3.12" if here != "python3.12" else "python3.11"
    code, _, stderr = run(str(package), "--handler", "app.handler", "-o", str(tmp_path / "x.zip"),
                          "--runtime", other, "--python", sys.executable)  # fmt: skip
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert f"--runtime {other} does not match" in stderr and "pass --python with a" in stderr
    assert not (tmp_path / "x.zip").exists()


def test_a_runtime_without_its_interpreter_is_refused_naming_it(tmp_path):
    try:
        find_interpreter(None, "python3.14")
        pytest.skip("python3.14 is installed here")
    except UsageError:
        pass
    code, _, stderr = run(str(FIXTURES / "function"), "--handler", "app.handler", "--check",
                          "--runtime", "python3.14")  # fmt: skip
    assert code == 2 and len(stderr.strip().splitlines()) == 1
    assert "no working Python 3.14" in stderr


def test_bytecode_comes_from_the_runtime_s_own_interpreter(tmp_path):
    try:
        info = find_interpreter(None, "python3.12")
    except UsageError:
        pytest.skip("no python3.12 here")
    out = tmp_path / "out.zip"
    result = slim_json(str(FIXTURES / "function"), "--handler", "app.handler", "-o", str(out),
                       "--runtime", "python3.12", "--repeat", "1")  # fmt: skip
    assert result.python == info.executable and result.bytecode.python_version == "3.12"
    files = members(out)
    pycs = [name for name in files if name.endswith(".pyc")]
    assert pycs and all(parse_cache_path(name).tag == "cpython-312" for name in pycs)
    assert {read_header(files[name][:16]).python for name in pycs} == {(3, 12)}


def test_an_answer_that_changes_fails_the_run_and_nothing_is_written(tmp_path):
    out = tmp_path / "out.zip"
    code, stdout, stderr = run(str(FIXTURES / "imports_its_tests"), "--handler", "app.handler",
                               "-o", str(out), "--repeat", "1", "--format", "json")  # fmt: skip
    result = loads(stdout, "slim")
    assert code == 1 and not out.exists() and not result.ok and result.output is None
    assert result.response.after_error.type == "ModuleNotFoundError"
    assert stderr.strip().splitlines()[-1] == (
        "coldprof: slim failed: the slimmed handler fails where the original did not: "
        "ModuleNotFoundError: No module named 'helperlib.tests'; nothing written"
    )


def test_valid_bytecode_is_kept_and_never_deleted(slimmed, tmp_path):
    _, out, _ = slimmed
    folder = tmp_path / "again"
    result = slim_json(str(out), "--handler", "app.handler", "-o", str(folder),
                       "--event", EVENT, "--repeat", "1")  # fmt: skip
    assert result.bytecode.compiled == 0 and result.bytecode.kept > 100
    files = members(out)
    for name, data in files.items():
        if name.endswith(".pyc"):
            assert (folder / name).read_bytes() == data, name
    kept = slim_json(str(out), "--handler", "app.handler", "--check", "--bytecode", "none",
                     "--repeat", "1", "--event", EVENT)  # fmt: skip
    assert kept.after.files == result.after.files == result.before.files


def test_a_folder_output_from_a_zip_target_with_checked_hash_bytecode(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(FIXTURES / "function", source)
    (source / "tinylib" / "tool.sh").write_text("#!/bin/sh\necho tinylib\n", encoding="utf-8")
    (source / "tinylib" / "tool.sh").chmod(0o755)
    archive = zip_folder(source, tmp_path / "function.zip")
    out = tmp_path / "slim"
    result = slim_json(str(archive), "--handler", "app.handler", "-o", f"{out}/",
                       "--bytecode", "checked-hash", "--repeat", "1")  # fmt: skip
    assert result.ok and result.before.zipped_exact and result.output == str(out)
    pyc = (
        out
        / "tinylib"
        / "__pycache__"
        / f"core.cpython-{sys.version_info[0]}{sys.version_info[1]}.pyc"
    )
    assert read_header(pyc.read_bytes()[:16]).invalidation == "checked-hash"
    assert (out / "tinylib" / "tool.sh").stat().st_mode & 0o777 == 0o755
    assert (out / "app.py").stat().st_mode & 0o777 == 0o644
    assert {p.stat().st_mtime for p in out.rglob("*")} == {315532800}
    assert not (out / "tinylib" / "tests").exists() and not (out / ".DS_Store").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{target}"], "slim never writes over or inside what it reads"),
        (["-o", "{target}/inside.zip"], "slim never writes over or inside what it reads"),
        (["-o", "{full}"], "exists and is not an empty folder"),
        ([], "name the output: -o OUT.zip or -o OUT/ (or pass --check)"),
        (
            ["--check", "--drop", "unused-files", "--runtime-client", "awslambdaric"],
            "--drop unused-files watches which files the handler loads",
        ),
        (["--check", "--drop", "runtime-sdk"], "--drop runtime-sdk needs --runtime-sdk FOLDER"),
        (["--check", "--drop", "tests,nothing"], "--drop: unknown step 'nothing'"),
    ],
)
def test_what_slim_refuses_in_one_line(tmp_path, args, message):
    target = tmp_path / "target"
    shutil.copytree(FIXTURES / "function", target)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine", encoding="utf-8")
    before = tree_snapshot(tmp_path)
    shown = [a.format(target=target, full=full) for a in args]
    code, _, stderr = run(str(target), "--handler", "app.handler", *shown)
    assert code == 2 and len(stderr.strip().splitlines()) == 1 and message in stderr
    assert tree_snapshot(tmp_path) == before


def test_the_unused_files_step_takes_the_files_it_is_given(tmp_path):
    function = FunctionConfig(target=FIXTURES / "function", handler="app.handler")
    unloaded = frozenset({"tinylib/docs/guide.md", "tinylib-1.0.dist-info/METADATA", "nope"})
    options = SlimOptions(drop=("unused-files",), check=True, repeat=1, unloaded_files=unloaded)
    result = slim(function, options)
    (row,) = result.steps
    assert row.step == "unused-files" and row.files == 1 and row.paths == ("tinylib/docs/guide.md",)
    assert result.ok  # METADATA is kept: importlib.metadata.version() still answers


def test_unused_files_measures_what_the_event_loads_and_states_the_risk(tmp_path):
    target = FIXTURES.parent / "imports" / "deferred"
    before = tree_snapshot(target)
    out = tmp_path / "slim.zip"
    result = slim_json(str(target), "--handler", "app.handler", "-o", str(out), "--repeat", "1",
                       "--drop", "unused-files", "--event", '{"kind": "second"}')  # fmt: skip
    (row,) = result.steps
    assert row.step == "unused-files" and row.paths == ("data/unused.json",)
    assert result.ok and result.response.equal
    assert [note.code for note in result.notes] == ["unused-files-risk"]
    assert "test the slimmed package with every kind of event" in word(result.notes[0])
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
    assert "data/table.json" in names and "data/unused.json" not in names
    assert "zz_hook.pth" in names and "pth_loaded.py" in names
    assert tree_snapshot(target) == before


def test_a_strip_that_breaks_the_file_gives_the_original_back(slimmed, package, monkeypatch):
    monkeypatch.setattr(strip_module, "TOOLS", (("truncate", "--size=100"),))
    result = slim(
        FunctionConfig(target=package, handler="app.handler"),
        SlimOptions(drop=("debug-symbols",), check=True, repeat=1, event=json.loads(EVENT)),
    )
    assert result.ok and result.stripped
    for stripped in result.stripped:
        assert stripped.check == "not-loadable" and stripped.after_bytes == stripped.before_bytes
    assert {row.step: row.files for row in result.steps} == {"debug-symbols": 0}


def test_no_strip_tool_is_said_once_when_there_is_something_to_strip(package, monkeypatch):
    monkeypatch.setattr(strip_module, "TOOLS", (("no-such-strip-tool", "--strip-unneeded"),))
    result = slim(
        FunctionConfig(target=package, handler="app.handler"),
        SlimOptions(drop=("debug-symbols",), check=True, repeat=1, event=json.loads(EVENT)),
    )
    (note,) = result.notes
    assert note.code == "no-strip-tool" and note.values["files"] >= 2 and result.stripped == ()


def test_a_handler_that_fails_before_slimming_is_said_and_nothing_is_written(tmp_path):
    handlers = FIXTURES.parent / "handlers"
    out = tmp_path / "out.zip"
    code, _, stderr = run(str(handlers / "raises_at_import"), "--handler", "app.handler",
                          "-o", str(out), "--repeat", "1")  # fmt: skip
    assert code == 1 and not out.exists()
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith("coldprof: slim failed: the original handler fails to initialise: ")
    )


def test_what_the_target_holds_that_slim_does_not_copy_is_a_note(tmp_path):
    target = tmp_path / "target"
    shutil.copytree(FIXTURES / "function", target)
    os.mkfifo(target / "pipe")
    out = tmp_path / "out.zip"
    result = slim_json(str(target), "--handler", "app.handler", "-o", str(out), "--repeat", "1")
    (note,) = result.notes
    assert note.code == "not-copied" and note.values["entries"] == 1
    assert (note.values["first"], note.values["code"]) == ("pipe", "fifo")
    assert "pipe" not in members(out)
    table = run(str(target), "--handler", "app.handler", "--check", "--repeat", "1")[1]
    assert "first: pipe, FIFO (named pipe): never opened" in table
    assert "1 run a side: too few to compare" in table


def _slim_under_umask(umask: int, target: Path, out: Path) -> None:
    old = os.umask(umask)
    try:
        slim_json(str(target), "--handler", "app.handler", "-o", str(out), "--repeat", "1")
    finally:
        os.umask(old)


def test_modes_are_lambda_s_whatever_the_umask(tmp_path):
    zips, folders = [], []
    for umask in (0o022, 0o077):
        zips.append(tmp_path / f"out{umask:o}.zip")
        folders.append(tmp_path / f"out{umask:o}")
        _slim_under_umask(umask, FIXTURES / "function", zips[-1])
        _slim_under_umask(umask, FIXTURES / "function", folders[-1])
    assert zips[0].read_bytes() == zips[1].read_bytes()
    with zipfile.ZipFile(zips[1]) as opened:
        modes = {info.filename: info.external_attr >> 16 & 0o777 for info in opened.infolist()}
    pycs = [name for name in modes if name.endswith(".pyc")]
    assert pycs and {modes[name] for name in pycs} == {0o644}
    assert {mode for name, mode in modes.items() if not name.endswith("/")} == {0o644}
    for folder in folders:
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert {p.stat().st_mode & 0o777 for p in files} == {0o644}, folder
        assert {p.stat().st_mode & 0o777 for p in folder.rglob("*") if p.is_dir()} == {0o755}


def test_secret_files_are_refused_naming_them_unless_kept(tmp_path):
    target = tmp_path / "target"
    shutil.copytree(FIXTURES / "function", target)
    (target / ".env").write_text("DB_PASSWORD=hunter2\n", encoding="utf-8")
    out = tmp_path / "out.zip"
    code, stdout, stderr = run(str(target), "--handler", "app.handler", "-o", str(out))
    assert code == 1 and not out.exists()
    assert len(stderr.strip().splitlines()) == 1
    assert "holds what looks like secrets (.env)" in stderr and "--keep-secrets" in stderr
    assert "hunter2" not in stdout + stderr
    result = slim_json(str(target), "--handler", "app.handler", "-o", str(out), "--repeat", "1",
                       "--keep-secrets")  # fmt: skip
    assert ".env" in members(out)
    (note,) = [n for n in result.notes if n.code == "secrets-kept"]
    assert note.values == {"paths": [".env"]}


def test_links_inside_the_package_are_copied_as_the_files_they_hold(tmp_path):
    target = tmp_path / "target"
    shutil.copytree(FIXTURES / "function", target)
    (target / "tinylib" / "alias.py").symlink_to("core.py")
    (target / "libalias").symlink_to("tinylib")
    for out in (tmp_path / "out.zip", tmp_path / "out"):
        result = slim_json(str(target), "--handler", "app.handler", "-o", str(out), "--repeat", "1")
        assert result.ok and [n.code for n in result.notes] == []
        files = (
            members(out)
            if out.suffix
            else {
                p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
            }
        )
        core = (target / "tinylib" / "core.py").read_bytes()
        assert files["tinylib/alias.py"] == core and files["libalias/core.py"] == core
        assert files["libalias/alias.py"] == core  # the link inside the linked folder, too
        assert "libalias/tests/test_core.py" not in files  # the tests step took tests out
        assert not any(Path(out, name).is_symlink() for name in files if not out.suffix)


@pytest.mark.parametrize(
    ("name", "points_to", "why"),
    [("outside", "/etc/hostname", "outside"), ("gone", "nothing-here", "broken"),
     ("loop", ".", "loop")],
)  # fmt: skip
def test_links_that_leave_the_package_are_refused_in_one_line(tmp_path, name, points_to, why):
    target = tmp_path / "target"
    shutil.copytree(FIXTURES / "function", target)
    (target / name).symlink_to(points_to)
    out = tmp_path / "out.zip"
    code, _, stderr = run(str(target), "--handler", "app.handler", "-o", str(out))
    assert code == 1 and not out.exists() and len(stderr.strip().splitlines()) == 1
    assert f"1 symbolic link(s) slim cannot copy: {name} ({why})" in stderr
