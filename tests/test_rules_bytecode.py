"""The bytecode audit on packages compiled by the real interpreter, as folders and zips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from coldprof.analyze.model import FUNCTION_CODE
from coldprof.analyze.rules.bytecode import bytecode
from helpers import zip_folder
from rules_support import by_rule, context_of, write_distribution

TAG = f"cpython-{sys.version_info[0]}{sys.version_info[1]}"
RUNTIME = f"python{sys.version_info[0]}.{sys.version_info[1]}"
MODULES = {
    "slowpkg/__init__.py": b"from slowpkg.core import VALUE\n",
    "slowpkg/core.py": b"VALUE = 42\n",
}


def function_folder(root: Path) -> Path:
    """A function package: a handler plus one installed distribution."""
    root.mkdir()
    (root / "app.py").write_text("import slowpkg\n\ndef handler(event, context):\n    return 1\n")
    write_distribution(root, "slowpkg", "1.0", MODULES, top_level=("slowpkg",))
    return root


def compileall(folder: Path, mode: str) -> None:
    """Compile a folder the way the advice says, with the real interpreter."""
    command = [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", mode, "."]
    subprocess.run(command, cwd=folder, check=True)


def pyc(source: str) -> str:
    folder, _, name = source.rpartition("/")
    prefix = f"{folder}/" if folder else ""
    return f"{prefix}__pycache__/{name.removesuffix('.py')}.{TAG}.pyc"


def test_modules_without_bytecode_are_listed_per_owner(tmp_path):
    root = function_folder(tmp_path / "fn")
    missing = by_rule(bytecode(context_of(root, RUNTIME)), "bytecode-missing")
    assert missing["slowpkg"].paths == ("slowpkg/__init__.py", "slowpkg/core.py")
    assert missing[FUNCTION_CODE].paths == ("app.py",)
    assert missing["slowpkg"].bytes == 0
    assert missing["slowpkg"].severity == "warning"
    assert "--invalidation-mode unchecked-hash" in missing["slowpkg"].message
    assert RUNTIME in missing["slowpkg"].message


def test_hash_based_bytecode_is_valid_and_to_be_kept(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    findings = bytecode(context_of(root, RUNTIME))
    assert {f.rule for f in findings} == {"bytecode-valid"}
    valid = by_rule(findings, "bytecode-valid")
    assert valid["slowpkg"].paths == tuple(MODULES)
    assert valid["slowpkg"].severity == "info"
    assert valid["slowpkg"].bytes == 0
    assert "keep" in valid["slowpkg"].message
    assert valid[FUNCTION_CODE].paths == ("app.py",)


def test_checked_hash_bytecode_is_valid_too(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "checked-hash")
    assert {f.rule for f in bytecode(context_of(root, RUNTIME))} == {"bytecode-valid"}


def test_timestamp_bytecode_is_fragile_and_stale_once_a_source_changes(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "timestamp")
    timestamp = by_rule(bytecode(context_of(root, RUNTIME)), "bytecode-timestamp")
    assert timestamp["slowpkg"].paths == tuple(MODULES)
    assert "re-zipping" in timestamp["slowpkg"].message
    info = (root / "slowpkg/core.py").stat()
    os.utime(root / "slowpkg/core.py", (info.st_atime, info.st_mtime + 10))
    findings = bytecode(context_of(root, RUNTIME))
    assert by_rule(findings, "bytecode-stale")["slowpkg"].paths == ("slowpkg/core.py",)
    assert by_rule(findings, "bytecode-timestamp")["slowpkg"].paths == ("slowpkg/__init__.py",)


def test_timestamp_bytecode_in_a_zip_is_fragile_and_a_changed_size_is_stale(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "timestamp")
    fragile = by_rule(
        bytecode(context_of(zip_folder(root, tmp_path / "a.zip"))), "bytecode-timestamp"
    )
    assert fragile["slowpkg"].paths == tuple(MODULES)
    with (root / "slowpkg/core.py").open("a") as source:
        source.write("OTHER = 1\n")
    findings = bytecode(context_of(zip_folder(root, tmp_path / "b.zip"), RUNTIME))
    assert by_rule(findings, "bytecode-stale")["slowpkg"].paths == ("slowpkg/core.py",)


def test_bytecode_for_another_python_or_for_dash_o_is_dead_weight(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    cache = root / "slowpkg" / "__pycache__"
    shutil.copy(cache / f"core.{TAG}.pyc", cache / "core.cpython-39.pyc")
    shutil.move(cache / f"__init__.{TAG}.pyc", cache / f"__init__.{TAG}.opt-1.pyc")
    findings = bytecode(context_of(root, RUNTIME))
    wrong = by_rule(findings, "bytecode-wrong-version")["slowpkg"]
    assert wrong.paths == (
        f"slowpkg/__pycache__/__init__.{TAG}.opt-1.pyc",
        "slowpkg/__pycache__/core.cpython-39.pyc",
    )
    assert wrong.bytes == sum((cache / Path(p).name).stat().st_size for p in wrong.paths)
    assert by_rule(findings, "bytecode-missing")["slowpkg"].paths == ("slowpkg/__init__.py",)


def test_bytecode_with_another_pythons_magic_is_stale(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    target = root / pyc("slowpkg/core.py")
    data = bytearray(target.read_bytes())
    data[0:2] = (3531 if sys.version_info[:2] != (3, 12) else 3495).to_bytes(2, "little")
    target.write_bytes(bytes(data))
    stale = by_rule(bytecode(context_of(root, RUNTIME)), "bytecode-stale")
    assert stale["slowpkg"].paths == ("slowpkg/core.py",)


def test_pycache_files_without_their_source_are_orphans(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    (root / "app.py").unlink()
    orphan = by_rule(bytecode(context_of(root, RUNTIME)), "bytecode-orphan")
    assert orphan[FUNCTION_CODE].paths == (pyc("app.py"),)
    assert orphan[FUNCTION_CODE].bytes == (root / pyc("app.py")).stat().st_size


def test_scripts_metadata_and_non_module_names_are_not_audited(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    (root / "bin").mkdir()
    (root / "bin" / "tool.py").write_text("print('hi')\n")
    (root / "build-helper.py").write_text("print('hi')\n")
    assert {f.rule for f in bytecode(context_of(root, RUNTIME))} == {"bytecode-valid"}


def test_layer_modules_are_audited_under_the_layer_import_root(tmp_path):
    layer = tmp_path / "layer"
    (layer / "python" / "helpers").mkdir(parents=True)
    (layer / "python" / "helpers" / "__init__.py").write_text("X = 1\n")
    (layer / "README.py").write_text("outside every import root\n")
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    findings = bytecode(context_of(root, RUNTIME, layers=(layer,)))
    missing = by_rule(findings, "bytecode-missing")
    assert set(missing) == {"(layer 1 code)"}
    assert missing["(layer 1 code)"].paths == ("python/helpers/__init__.py",)
    assert "in layer 1" in missing["(layer 1 code)"].message


def test_pip_installed_packages_ship_timestamp_bytecode(sdk_target):
    findings = bytecode(context_of(sdk_target, RUNTIME))
    timestamp = by_rule(findings, "bytecode-timestamp")
    assert len(timestamp["requests"].paths) >= 15
    assert all(path.endswith(".py") for path in timestamp["requests"].paths)
    assert "requests" not in by_rule(findings, "bytecode-missing")
