"""Builders the finding-rule tests share (no tests here): installed distributions, .so files."""

from __future__ import annotations

import datetime
import struct
import subprocess
import sysconfig
from pathlib import Path

from coldprof.analyze import scan
from coldprof.analyze.model import Context
from coldprof.analyze.runtime import runtime_named

EXTENSION_C = """
#include <Python.h>
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "fast", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_fast(void) { return PyModule_Create(&module); }
"""
# memfd_create is versioned GLIBC_2.27: one more than python3.11's glibc 2.26.
GLIBC_2_27_C = """
#define _GNU_SOURCE
#include <sys/mman.h>
int make_fd(void) { return memfd_create("coldprof", 0); }
"""


def write_distribution(
    root: Path,
    name: str,
    version: str,
    files: dict[str, bytes],
    top_level: tuple[str, ...] = (),
    tags: tuple[str, ...] = ("py3-none-any",),
) -> Path:
    """Write files plus the *.dist-info pip leaves (METADATA, WHEEL, top_level.txt, RECORD)."""
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    wheel = "Wheel-Version: 1.0\nGenerator: coldprof-tests\nRoot-Is-Purelib: false\n"
    (info / "WHEEL").write_text(wheel + "".join(f"Tag: {tag}\n" for tag in tags))
    (info / "top_level.txt").write_text("".join(f"{name}\n" for name in top_level))
    rows = [*files, *(f"{info.name}/{n}" for n in ("METADATA", "WHEEL", "top_level.txt"))]
    (info / "RECORD").write_text("".join(f"{row},,\n" for row in [*rows, f"{info.name}/RECORD"]))
    return info


def compile_library(target: Path, source: str, *flags: str) -> Path:
    """Build a shared object with gcc from C source text."""
    c_file = target.with_suffix(".c")
    c_file.write_text(source)
    include = sysconfig.get_paths()["include"]
    command = ["gcc", "-shared", "-fPIC", "-O1", f"-I{include}", *flags, str(c_file), "-o"]
    subprocess.run([*command, str(target)], check=True)
    c_file.unlink()
    return target


CHECKED_ON = datetime.date(2026, 11, 29)


def context_of(
    target: Path, runtime: str = "python3.11", arch: str = "x86_64", layers: tuple[Path, ...] = ()
) -> Context:
    """The analysis context of a folder or zip (and layers) for a Lambda runtime, on the day
    the runtime dates were checked (so a runtime's deprecation does not change the findings)."""
    return scan(target, layers, runtime=runtime_named(runtime), arch=arch, today=CHECKED_ON)


def by_rule(findings: list, rule: str) -> dict:
    """The findings of one rule, by distribution."""
    return {f.distribution: f for f in findings if f.rule == rule}


def version_needs_elf(names: int, padding_bytes: int, aux_offset: int = 16) -> bytes:
    """An x86_64 ELF whose version needs (at the start) name `names` GLIBC versions whose
    strings sit in a string table after `padding_bytes` of zeros: every name read jumps
    from the start of the file to its end and back, as a hostile .so's chain does."""
    strings = b"\0" + b"".join(f"GLIBC_2.{n}\0".encode() for n in range(names))
    need = struct.pack("<2H3I", 1, names, 0, aux_offset, 0)
    auxes, at = b"", 1
    for n in range(names):
        following = 16 if n < names - 1 else 0
        auxes += struct.pack("<I2H2I", 0, 0, 0, at, following)
        at += len(f"GLIBC_2.{n}\0")
    needs = need + auxes
    section_names = b"\0.gnu.version_r\0.dynstr\0.shstrtab\0"
    needs_at = 64
    strings_at = needs_at + len(needs) + padding_bytes
    names_at = strings_at + len(strings)
    headers_at = names_at + len(section_names)
    header = b"\x7fELF\x02\x01\x01" + bytes(9)
    header += struct.pack("<2HI3QI6H", 3, 62, 1, 0, 0, headers_at, 0, 64, 0, 0, 64, 4, 3)
    layout = "<2I4Q2I2Q"
    sections = bytes(64)
    sections += struct.pack(layout, 1, 0x6FFFFFFE, 2, 0, needs_at, len(needs), 2, 1, 8, 0)
    sections += struct.pack(layout, 16, 3, 2, 0, strings_at, len(strings), 0, 0, 1, 0)
    sections += struct.pack(layout, 24, 3, 0, 0, names_at, len(section_names), 0, 0, 1, 0)
    body = needs + bytes(padding_bytes) + strings + section_names
    return header + body + sections


def one(findings, rule: str, package: str = "function"):
    """The one finding of a rule about a package (a rule gives at most one per package)."""
    found = [f for f in findings if f.rule == rule and f.package == package]
    assert len(found) == 1, [f"{f.rule} {f.package}" for f in findings]
    return found[0]


def rules_of(findings) -> set[str]:
    """The rule ids among findings."""
    return {f.rule for f in findings}
