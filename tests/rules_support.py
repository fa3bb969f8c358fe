"""Builders the finding-rule tests share (no tests here): installed distributions, .so files."""

from __future__ import annotations

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


def context_of(
    target: Path, runtime: str = "python3.11", arch: str = "x86_64", layers: tuple[Path, ...] = ()
) -> Context:
    """The analysis context of a folder or zip (and layers) for a Lambda runtime."""
    return scan(target, layers, runtime=runtime_named(runtime), arch=arch)


def by_rule(findings: list, rule: str) -> dict:
    """The findings of one rule, by distribution."""
    return {f.distribution: f for f in findings if f.rule == rule}


def one(findings, rule: str, package: str = "function"):
    """The one finding of a rule about a package (a rule gives at most one per package)."""
    found = [f for f in findings if f.rule == rule and f.package == package]
    assert len(found) == 1, [f"{f.rule} {f.package}" for f in findings]
    return found[0]


def rules_of(findings) -> set[str]:
    """The rule ids among findings."""
    return {f.rule for f in findings}
