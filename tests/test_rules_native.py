"""Native-code rules on shared objects built by gcc: loadability, wheel tags, debug symbols."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest

from coldprof.analyze.elf import read_elf
from coldprof.analyze.rules.debug_symbols import debug_symbols
from coldprof.analyze.rules.duplicates import duplicate_libs
from coldprof.analyze.rules.extensions import incompatible_extension
from coldprof.analyze.rules.wheels import incompatible_wheel
from coldprof.render import finding_words
from helpers import bytes_read, zip_folder
from rules_support import (
    EXTENSION_C,
    GLIBC_2_27_C,
    by_rule,
    compile_library,
    context_of,
    version_needs_elf,
    write_distribution,
)

LINUX_TAG = "x86_64-linux-gnu"


@pytest.fixture(scope="module")
def so(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The bytes of real shared objects: debug, stripped, needing GLIBC_2.27, for aarch64."""
    folder = tmp_path_factory.mktemp("so")
    built = {
        "debug": compile_library(folder / "debug.so", EXTENSION_C, "-g").read_bytes(),
        "stripped": compile_library(folder / "stripped.so", EXTENSION_C, "-s").read_bytes(),
        "glibc": compile_library(folder / "glibc.so", GLIBC_2_27_C).read_bytes(),
    }
    arm = bytearray(built["stripped"])
    arm[18:20] = struct.pack("<H", 183)
    built["aarch64"] = bytes(arm)
    return built


def install(root: Path, files: dict[str, bytes], tags: tuple[str, ...]) -> Path:
    """A function folder with one distribution, fastlib, holding `files`."""
    write_distribution(root, "fastlib", "1.0", files, top_level=("fastlib",), tags=tags)
    (root / "app.py").write_text("import fastlib\n")
    return root


def extension_errors(root: Path, runtime: str, arch: str = "x86_64") -> dict:
    return extension_errors_of(context_of(root, runtime, arch))


def extension_errors_of(context) -> dict:
    return by_rule(incompatible_extension(context), "incompatible-extension")


def test_extension_built_for_another_cpython_cannot_load(tmp_path, so):
    name = f"fastlib/_speed.cpython-312-{LINUX_TAG}.so"
    root = install(tmp_path / "fn", {name: so["stripped"]}, ("cp312-cp312-manylinux_2_17_x86_64",))
    error = extension_errors(root, "python3.11")["fastlib"]
    assert error.severity == "error"
    assert error.paths == (name,)
    assert error.bytes == 0
    assert error.code == "python"  # the kind of problem, which the advice follows
    assert error.values["problems"] == [{"code": "cpython", "version": "3.12", "files": 1}]
    assert "built for CPython 3.12" in finding_words.found(error)
    assert "--python-version 3.11" in finding_words.advice(error)
    assert extension_errors(root, "python3.12") == {}


def test_extension_for_another_architecture_cannot_load(tmp_path, so):
    name = f"fastlib/_speed.cpython-311-{LINUX_TAG}.so"
    root = install(tmp_path / "fn", {name: so["aarch64"]}, ("cp311-cp311-manylinux2014_aarch64",))
    error = extension_errors(root, "python3.11", "x86_64")["fastlib"]
    assert error.paths == (name,)
    assert error.code == "arch"
    assert error.values["problems"] == [
        {"code": "machine", "machine": "aarch64", "bits": 64, "files": 1}
    ]
    assert "built for aarch64" in finding_words.found(error)
    assert "--platform manylinux2014_x86_64" in finding_words.advice(error)
    assert extension_errors(root, "python3.11", "arm64") == {}


def test_macos_and_windows_builds_cannot_load_on_linux(tmp_path):
    files = {
        "fastlib/_mac.cpython-311-darwin.so": b"\xcf\xfa\xed\xfe" + bytes(60),
        "fastlib/_win.pyd": b"MZ\x90\x00" + bytes(60),
    }
    root = install(tmp_path / "fn", files, ("py3-none-any",))
    error = extension_errors(root, "python3.11")["fastlib"]
    assert error.paths == tuple(sorted(files))
    assert error.code == "os"
    assert [p["code"] for p in error.values["problems"]] == ["mach-o", "pe"]
    assert "a macOS (Mach-O) build" in finding_words.found(error)
    assert "a Windows (PE) build" in finding_words.found(error)


def test_extension_needing_a_newer_glibc_fails_on_amazon_linux_2_only(tmp_path, so):
    name = f"fastlib/_fd.cpython-311-{LINUX_TAG}.so"
    root = install(tmp_path / "fn", {name: so["glibc"]}, ("cp311-cp311-manylinux_2_27_x86_64",))
    error = extension_errors(root, "python3.11")["fastlib"]
    assert (error.code, error.values["glibc"]) == ("glibc", "2.26")
    assert error.values["problems"] == [{"code": "glibc-symbol", "needs": "2.27", "files": 1}]
    assert "needs GLIBC_2.27" in finding_words.found(error)
    assert "glibc 2.26" in finding_words.found(error)
    name_312 = f"fastlib/_fd.cpython-312-{LINUX_TAG}.so"
    root_312 = install(tmp_path / "fn312", {name_312: so["glibc"]}, ("cp312-cp312-linux_x86_64",))
    assert extension_errors(root_312, "python3.12") == {}


def test_abi3_extension_loads_at_or_above_its_floor(tmp_path, so):
    root = install(
        tmp_path / "fn",
        {"fastlib/_core.abi3.so": so["stripped"]},
        ("cp312-abi3-manylinux_2_17_x86_64",),
    )
    assert "stable ABI from CPython 3.12 up" in finding_words.found(
        extension_errors(root, "python3.11")["fastlib"]
    )
    assert extension_errors(root, "python3.12") == {}
    assert extension_errors(root, "python3.13") == {}


def test_compatible_extensions_in_a_zip_give_no_finding(tmp_path, so):
    files = {
        f"fastlib/_speed.cpython-311-{LINUX_TAG}.so": so["stripped"],
        "fastlib/_core.abi3.so": so["debug"],
    }
    root = install(tmp_path / "fn", files, ("cp311-cp311-manylinux_2_17_x86_64",))
    assert extension_errors(zip_folder(root, tmp_path / "fn.zip"), "python3.11") == {}
    arm = install(tmp_path / "arm", {f"fastlib/_a.cpython-311-{LINUX_TAG}.so": so["aarch64"]}, ())
    errors = extension_errors(zip_folder(arm, tmp_path / "arm.zip"), "python3.11")
    assert "built for aarch64" in finding_words.found(errors["fastlib"])


@pytest.mark.parametrize(
    ("tag", "runtime", "why"),
    [
        ("cp311-cp311-manylinux_2_28_x86_64", "python3.11", "needs glibc 2.28"),
        ("cp311-cp311-musllinux_1_1_x86_64", "python3.11", "musl libc"),
        ("cp311-cp311-macosx_11_0_arm64", "python3.11", "built for macosx_11_0_arm64"),
        ("cp311-cp311-manylinux2014_aarch64", "python3.11", "built for aarch64"),
        ("cp312-cp312-manylinux2014_x86_64", "python3.11", "built for cp312-cp312"),
    ],
)
def test_wheel_tags_pip_would_refuse_are_errors(tmp_path, tag, runtime, why):
    root = install(tmp_path / "fn", {"fastlib/__init__.py": b""}, (tag,))
    error = by_rule(incompatible_wheel(context_of(root, runtime)), "incompatible-wheel")["fastlib"]
    assert error.severity == "error"
    assert why in finding_words.found(error)
    assert error.paths == ("fastlib-1.0.dist-info",)


@pytest.mark.parametrize(
    ("tags", "runtime"),
    [
        (("cp312-cp312-manylinux_2_34_x86_64",), "python3.12"),
        (("cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64"), "python3.12"),
        (("cp38-abi3-manylinux2010_x86_64",), "python3.11"),
        (("py2-none-any", "py3-none-any"), "python3.11"),
        ((), "python3.11"),
    ],
)
def test_wheel_tags_pip_accepts_give_no_finding(tmp_path, tags, runtime):
    root = install(tmp_path / "fn", {"fastlib/__init__.py": b""}, tags)
    assert incompatible_wheel(context_of(root, runtime)) == []


def test_malformed_and_hugely_compressed_wheel_tags_are_left_out(tmp_path):
    huge = "-".join(".".join(f"x{i}" for i in range(200)) for _ in range(3))
    tags = (huge, "a--b", "not a tag", "cp311-cp311-manylinux2014_x86_64")
    root = install(tmp_path / "fn", {"fastlib/__init__.py": b""}, tags)
    assert incompatible_wheel(context_of(root, "python3.11")) == []
    only_bad = install(tmp_path / "bad", {"fastlib/__init__.py": b""}, (huge, "a--b"))
    assert incompatible_wheel(context_of(only_bad, "python3.11")) == []


def test_manylinux_2_28_wheel_fits_python312_but_not_python311(tmp_path):
    root = install(
        tmp_path / "fn", {"fastlib/__init__.py": b""}, ("cp311-cp311-manylinux_2_28_x86_64",)
    )
    assert incompatible_wheel(context_of(root, "python3.11"))
    root_312 = install(
        tmp_path / "fn312", {"fastlib/__init__.py": b""}, ("cp312-cp312-manylinux_2_28_x86_64",)
    )
    assert incompatible_wheel(context_of(root_312, "python3.12")) == []


def test_debug_symbols_saving_is_what_strip_removes(tmp_path, so):
    name = f"fastlib/_speed.cpython-311-{LINUX_TAG}.so"
    files = {name: so["debug"], f"fastlib/_clean.cpython-311-{LINUX_TAG}.so": so["stripped"]}
    root = install(tmp_path / "fn", files, ("cp311-cp311-manylinux_2_17_x86_64",))
    finding = by_rule(debug_symbols(context_of(root)), "debug-symbols")["fastlib"]
    with (root / name).open("rb") as stream:
        elf = read_elf(stream, len(so["debug"]))
    assert finding.paths == (name,)
    assert finding.bytes == elf.debug_bytes + elf.symtab_bytes
    assert finding.values["debug_bytes"] == elf.debug_bytes
    assert f"{elf.debug_bytes:,} B of debug sections" in finding_words.found(finding)
    stripped = tmp_path / "stripped.so"
    shutil.copy(root / name, stripped)
    subprocess.run(["strip", "--strip-unneeded", str(stripped)], check=True)
    shrink = len(so["debug"]) - stripped.stat().st_size
    assert 0.8 * shrink <= finding.bytes <= shrink


def test_identical_vendored_libraries_are_found_across_libs_folders(tmp_path, so):
    root = tmp_path / "fn"
    files = {
        "numpy.libs/libgfortran-040039e1.so.5.0.0": so["glibc"],
        "scipy.libs/libgfortran-040039e1.so.5.0.0": so["glibc"],
        "other.libs/libsame-size.so": bytes(len(so["glibc"])),
    }
    install(root, files, ())
    findings = by_rule(duplicate_libs(context_of(root)), "duplicate-libs")
    assert len(findings) == 1
    finding = findings["fastlib"]
    assert finding.paths == ("scipy.libs/libgfortran-040039e1.so.5.0.0",)  # the copy that can go
    assert finding.bytes == len(so["glibc"])
    assert "vendored 2 times" in finding_words.found(finding)
    assert "beside numpy.libs/libgfortran-040039e1.so.5.0.0" in finding_words.found(finding)
    assert "symbolic link" in finding_words.risk(finding)


def test_a_so_in_a_zip_is_inflated_once_whatever_its_version_chain(tmp_path):
    """Version needs at the start, their names at the end of a 16 MiB member: every name
    read jumps backwards. The member is still inflated once, into a bounded copy."""
    records = 4000
    archive = tmp_path / "chain.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("app.py", "import fastlib\n")
        out.writestr("fastlib/_chain.so", version_needs_elf(records, 16 * 1024 * 1024))
    context = context_of(archive)
    before = bytes_read()
    findings = extension_errors_of(context)
    read = bytes_read() - before
    assert "needs GLIBC_2.3999" in finding_words.found(findings["(function code)"])
    # the zip once, then the version needs and their names once from the copy
    tables = records * 16 + records * len(b"GLIBC_2.1000\0")
    assert read < 2 * (archive.stat().st_size + tables)
