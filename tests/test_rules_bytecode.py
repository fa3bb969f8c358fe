"""The bytecode audit on packages compiled by the real interpreter, as folders and zips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from importlib._bootstrap_external import _validate_timestamp_pyc
from pathlib import Path

import pytest

from coldprof.analyze.model import FUNCTION_CODE
from coldprof.analyze.rules.bytecode import bytecode
from coldprof.render import finding_words
from rules_support import context_of, one, rules_of, write_distribution

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


def test_modules_without_bytecode_are_one_finding_naming_each_distribution(tmp_path):
    root = function_folder(tmp_path / "fn")
    missing = one(bytecode(context_of(root, RUNTIME)), "bytecode-missing")
    assert missing.paths == ("app.py", "slowpkg/__init__.py", "slowpkg/core.py")
    assert missing.distribution is None
    assert missing.distributions == (FUNCTION_CODE, "slowpkg")
    assert missing.values["owners"] == [
        {"name": "slowpkg", "modules": 2},
        {"name": FUNCTION_CODE, "modules": 1},
    ]
    assert "slowpkg 2, (function code) 1" in finding_words.found(missing)
    assert missing.bytes == 0
    assert missing.severity == "warning"
    assert "--invalidation-mode unchecked-hash" in finding_words.advice(missing)
    assert RUNTIME in finding_words.found(missing)
    assert missing.ms is not None and missing.ms > 0
    assert missing.values["timed_modules"] == missing.values["modules"] == 3
    said = finding_words.found(missing)
    assert "compiling them takes" in said and "timed all of them" in said


def test_hash_based_bytecode_is_valid_and_to_be_kept(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    findings = bytecode(context_of(root, RUNTIME))
    assert rules_of(findings) == {"bytecode-valid"}
    valid = one(findings, "bytecode-valid")
    assert valid.paths == ("app.py", *MODULES)
    assert valid.severity == "info"
    assert valid.bytes == 0
    assert valid.ms is None
    assert "keep" in finding_words.advice(valid)


def test_checked_hash_bytecode_is_valid_too(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "checked-hash")
    assert rules_of(bytecode(context_of(root, RUNTIME))) == {"bytecode-valid"}


def test_timestamp_bytecode_is_fragile_and_stale_once_a_source_changes(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "timestamp")
    timestamp = one(bytecode(context_of(root, RUNTIME)), "bytecode-timestamp")
    assert timestamp.paths == ("app.py", *MODULES)
    assert "odd-second" in finding_words.found(timestamp)
    info = (root / "slowpkg/core.py").stat()
    os.utime(root / "slowpkg/core.py", (info.st_atime, info.st_mtime + 10))
    findings = bytecode(context_of(root, RUNTIME))
    stale = one(findings, "bytecode-stale")
    assert stale.paths == ("slowpkg/core.py",)
    assert "source mtime differs" in finding_words.found(stale)
    assert stale.ms is not None and stale.ms > 0
    assert one(findings, "bytecode-timestamp").paths == ("app.py", "slowpkg/__init__.py")


def test_bytecode_for_another_python_or_for_dash_o_is_dead_weight(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    cache = root / "slowpkg" / "__pycache__"
    shutil.copy(cache / f"core.{TAG}.pyc", cache / "core.cpython-39.pyc")
    shutil.move(cache / f"__init__.{TAG}.pyc", cache / f"__init__.{TAG}.opt-1.pyc")
    findings = bytecode(context_of(root, RUNTIME))
    wrong = one(findings, "bytecode-wrong-version")
    assert wrong.paths == (
        f"slowpkg/__pycache__/__init__.{TAG}.opt-1.pyc",
        "slowpkg/__pycache__/core.cpython-39.pyc",
    )
    assert wrong.bytes == sum((cache / Path(p).name).stat().st_size for p in wrong.paths)
    assert one(findings, "bytecode-missing").paths == ("slowpkg/__init__.py",)


def test_bytecode_with_another_pythons_magic_is_stale(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    target = root / pyc("slowpkg/core.py")
    data = bytearray(target.read_bytes())
    data[0:2] = (3531 if sys.version_info[:2] != (3, 12) else 3495).to_bytes(2, "little")
    target.write_bytes(bytes(data))
    stale = one(bytecode(context_of(root, RUNTIME)), "bytecode-stale")
    assert stale.paths == ("slowpkg/core.py",)
    assert "compiled by another Python" in finding_words.found(stale)


def test_pycache_files_without_their_source_are_orphans(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    (root / "app.py").unlink()
    orphan = one(bytecode(context_of(root, RUNTIME)), "bytecode-orphan")
    assert orphan.paths == (pyc("app.py"),)
    assert orphan.bytes == (root / pyc("app.py")).stat().st_size


def test_scripts_metadata_and_non_module_names_are_not_audited(tmp_path):
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    (root / "bin").mkdir()
    (root / "bin" / "tool.py").write_text("print('hi')\n")
    (root / "build-helper.py").write_text("print('hi')\n")
    assert rules_of(bytecode(context_of(root, RUNTIME))) == {"bytecode-valid"}


def test_layer_modules_are_audited_under_the_layer_import_root(tmp_path):
    layer = tmp_path / "layer"
    (layer / "python" / "helpers").mkdir(parents=True)
    (layer / "python" / "helpers" / "__init__.py").write_text("X = 1\n")
    (layer / "README.py").write_text("outside every import root\n")
    root = function_folder(tmp_path / "fn")
    compileall(root, "unchecked-hash")
    findings = bytecode(context_of(root, RUNTIME, layers=(layer,)))
    missing = one(findings, "bytecode-missing", "layer 1")
    assert missing.paths == ("python/helpers/__init__.py",)
    assert missing.distributions == ("(layer 1 code)",)
    assert "in layer 1" in finding_words.found(missing)
    assert [f.package for f in findings if f.rule == "bytecode-missing"] == ["layer 1"]


def test_pip_installed_packages_ship_timestamp_bytecode_one_finding_for_all(sdk_target):
    findings = bytecode(context_of(sdk_target, RUNTIME))
    timestamp = one(findings, "bytecode-timestamp")
    assert {"requests", "boto3", "botocore", "urllib3"} <= set(timestamp.distributions)
    requests = [p for p in timestamp.paths if p.startswith("requests/")]
    assert len(requests) >= 15 and all(p.endswith(".py") for p in requests)
    assert len([f for f in findings if f.rule == "bytecode-timestamp"]) == 1
    assert not any(f.rule == "bytecode-missing" for f in findings)


# Zips: what the .pyc meet once Lambda extracts the archive, checked against CPython's own
# validation of the same .pyc after Info-ZIP's unzip extracted it in UTC.
EVEN_MTIME_S = 1_700_000_000  # 2023-11-14 22:13:20 UTC
ODD_MTIME_S = EVEN_MTIME_S + 1


def compiled_folder(root: Path, mtime_s: int) -> Path:
    """The function folder with every source dated `mtime_s`, then compiled (timestamp)."""
    function_folder(root)
    for source in root.rglob("*.py"):
        os.utime(source, (mtime_s, mtime_s))
    compileall(root, "timestamp")
    return root


def zip_dated(folder: Path, archive: Path, date_time: Callable[[Path], tuple]) -> Path:
    """Zip with Python's zipfile, each entry's DOS date given by `date_time(file)`."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time(path))
                info.external_attr = 0o644 << 16
                out.writestr(info, path.read_bytes())
    return archive


def cpython_accepts(folder: Path, source: str) -> bool:
    """Whether CPython's own timestamp check (as SourceLoader calls it) accepts its .pyc."""
    data = (folder / pyc(source)).read_bytes()
    info = (folder / source).stat()
    try:
        _validate_timestamp_pyc(data, int(info.st_mtime), info.st_size, source, {})
    except ImportError:
        return False
    return True


def extracted(archive: Path, into: Path) -> Path:
    """The archive extracted by Info-ZIP's unzip in UTC, as a Linux extractor sets dates."""
    environment = {**os.environ, "TZ": "UTC"}
    subprocess.run(["unzip", "-q", str(archive), "-d", str(into)], check=True, env=environment)
    return into


def predicted_stale(archive: Path) -> set[str]:
    findings = bytecode(context_of(archive, RUNTIME))
    return {p for f in findings if f.rule == "bytecode-stale" for p in f.paths}


def test_a_sam_style_zip_dated_1980_makes_every_timestamp_pyc_stale(tmp_path):
    root = compiled_folder(tmp_path / "fn", EVEN_MTIME_S)
    archive = zip_dated(root, tmp_path / "sam.zip", lambda _: (1980, 1, 1, 0, 0, 0))
    stale = one(bytecode(context_of(archive, RUNTIME)), "bytecode-stale")
    assert stale.paths == ("app.py", *MODULES)
    assert stale.values["reasons"] == [{"reason": "sam-1980", "modules": 3}]
    assert "3: zip entries dated 1980-01-01 (as SAM writes them)" in finding_words.found(stale)
    assert stale.ms is not None and stale.ms > 0
    unzipped = extracted(archive, tmp_path / "out")
    assert not any(cpython_accepts(unzipped, source) for source in stale.paths)


def test_zipfile_rounds_odd_second_mtimes_down_and_the_pyc_goes_stale(tmp_path):
    root = compiled_folder(tmp_path / "fn", ODD_MTIME_S)
    utc = lambda path: time.gmtime(path.stat().st_mtime)[:6]  # noqa: E731
    archive = zip_dated(root, tmp_path / "odd.zip", utc)
    stale = one(bytecode(context_of(archive, RUNTIME)), "bytecode-stale")
    assert stale.paths == ("app.py", *MODULES)
    assert stale.values["reasons"] == [{"reason": "two-second", "modules": 3}]
    assert "2-second DOS dates" in finding_words.found(stale)
    unzipped = extracted(archive, tmp_path / "out")
    assert not any(cpython_accepts(unzipped, source) for source in stale.paths)


def test_a_folder_s_timestamp_bytecode_counts_what_each_packager_makes_stale(tmp_path):
    root = compiled_folder(tmp_path / "fn", EVEN_MTIME_S)
    os.utime(root / "app.py", (ODD_MTIME_S, ODD_MTIME_S))
    compileall(root, "timestamp")  # app.py's .pyc records its odd-second mtime
    timestamp = one(bytecode(context_of(root, RUNTIME)), "bytecode-timestamp")
    assert timestamp.code == "in-folder"
    assert timestamp.values["stale_in_sam_zip"] == 3  # SAM's 1980 dates: every one
    assert timestamp.values["stale_in_zipfile_zip"] == 1  # zipfile: the odd-second source
    said = finding_words.found(timestamp)
    assert "1980-01-01 dates (as SAM writes them) all 3 would be stale" in said
    sam = zip_dated(root, tmp_path / "sam.zip", lambda _: (1980, 1, 1, 0, 0, 0))
    assert len(predicted_stale(sam)) == 3
    utc = zip_dated(root, tmp_path / "utc.zip", lambda p: time.gmtime(p.stat().st_mtime)[:6])
    assert predicted_stale(utc) == {"app.py"}


def test_even_second_mtimes_in_a_utc_zip_arrive_valid(tmp_path):
    root = compiled_folder(tmp_path / "fn", EVEN_MTIME_S)
    archive = zip_dated(root, tmp_path / "even.zip", lambda p: time.gmtime(p.stat().st_mtime)[:6])
    findings = bytecode(context_of(archive, RUNTIME))
    assert one(findings, "bytecode-timestamp").paths == ("app.py", *MODULES)
    assert predicted_stale(archive) == set()
    unzipped = extracted(archive, tmp_path / "out")
    assert all(cpython_accepts(unzipped, source) for source in ("app.py", *MODULES))


def test_dates_written_in_a_local_time_zone_are_hours_off_on_lambda(tmp_path):
    root = compiled_folder(tmp_path / "fn", EVEN_MTIME_S)
    utc_plus_2 = lambda p: time.gmtime(p.stat().st_mtime + 2 * 3600)[:6]  # noqa: E731
    archive = zip_dated(root, tmp_path / "zone.zip", utc_plus_2)
    stale = one(bytecode(context_of(archive, RUNTIME)), "bytecode-stale")
    assert stale.values["reasons"] == [{"reason": "zone", "modules": 3, "zone": "+2:00"}]
    said = finding_words.found(stale)
    assert "dates written in local time (UTC+2:00), which Lambda reads as UTC" in said
    unzipped = extracted(archive, tmp_path / "out")
    assert not any(cpython_accepts(unzipped, source) for source in stale.paths)


@pytest.mark.skipif(shutil.which("zip") is None, reason="Info-ZIP zip is not installed")
def test_info_zip_extended_timestamps_keep_odd_second_mtimes_exact(tmp_path):
    root = compiled_folder(tmp_path / "fn", ODD_MTIME_S)
    archive = tmp_path / "infozip.zip"
    subprocess.run(["zip", "-qr", str(archive), "."], cwd=root, check=True)
    assert predicted_stale(archive) == set()
    timestamp = one(bytecode(context_of(archive, RUNTIME)), "bytecode-timestamp")
    assert timestamp.paths == ("app.py", *MODULES)
    unzipped = extracted(archive, tmp_path / "out")
    assert all(cpython_accepts(unzipped, source) for source in timestamp.paths)


def test_a_changed_source_size_in_a_zip_is_stale(tmp_path):
    root = compiled_folder(tmp_path / "fn", EVEN_MTIME_S)
    with (root / "slowpkg/core.py").open("a") as source:
        source.write("OTHER = 1\n")
    os.utime(root / "slowpkg/core.py", (EVEN_MTIME_S, EVEN_MTIME_S))
    archive = zip_dated(root, tmp_path / "b.zip", lambda p: time.gmtime(p.stat().st_mtime)[:6])
    stale = one(bytecode(context_of(archive, RUNTIME)), "bytecode-stale")
    assert stale.paths == ("slowpkg/core.py",)
    assert stale.values["reasons"] == [{"reason": "size", "modules": 1}]
    assert "source size differs" in finding_words.found(stale)
