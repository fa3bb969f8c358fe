"""incompatible-extension: native files that cannot load on the target runtime.

Checked per file: the CPython the file name is tagged for (`.cpython-312-...so`, the floor
of an `.abi3.so`), the binary format (Mach-O and PE never load on Linux), the ELF machine
against --arch, and the newest GLIBC_x.y the ELF needs against the runtime's glibc. One
finding per package, owner and kind of problem (its code: python, os, arch or glibc, which
the advice depends on); each problem is a code and its values (PROBLEMS).
"""

from __future__ import annotations

import re
from collections import defaultdict

from coldprof.analyze.elf import ARCH_MACHINES
from coldprof.analyze.model import Context, Distribution
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import native_file
from coldprof.analyze.rules.wheels import pip_platform
from coldprof.package.model import FileEntry, Package

SHARED_OBJECT = re.compile(r"[^/]+(\.so(\.\d+)*|\.pyd|\.dylib)")
CPYTHON_TAG = re.compile(r"\.cpython-(\d)(\d+)([a-z]*)(?:-[^.]*)?\.so")
ABI3_WHEEL_TAG = re.compile(r"cp(\d)(\d+)-abi3-.*")
BINARY_FORMATS = ("mach-o", "pe")  # a macOS or a Windows build
# A problem's code -> the kind of finding (and advice) it belongs to. Values: cpython and
# abi3-floor: version ("3.12"); machine: machine, bits; glibc-symbol: needs ("2.28"), the
# newest GLIBC_x.y symbol version the ELF needs.
PROBLEMS = {
    "pypy": "python",
    "abi3-floor": "python",
    "cpython": "python",
    "free-threaded": "python",
    "debug": "python",
    "mach-o": "os",
    "pe": "os",
    "machine": "arch",
    "glibc-symbol": "glibc",
}
Problem = tuple[tuple[str, object], ...]  # a problem's code and values, hashable


def _problem(code: str, **values: object) -> Problem:
    return (("code", code), *sorted(values.items()))


def name_problem(
    name: str, python: tuple[int, int], abi3_floor: tuple[int, int] | None
) -> Problem | None:
    """Why an extension's file name says it cannot load on a CPython version, or None."""
    if ".pypy" in name:
        return _problem("pypy")
    if name.endswith(".abi3.so"):
        if abi3_floor is not None and python < abi3_floor:
            return _problem("abi3-floor", version=f"{abi3_floor[0]}.{abi3_floor[1]}")
        return None
    match = CPYTHON_TAG.search(name)
    if match is None:
        return None
    version, flags = (int(match[1]), int(match[2])), match[3]
    if version != python:
        return _problem("cpython", version=f"{version[0]}.{version[1]}")
    if "t" in flags:
        return _problem("free-threaded")
    if "d" in flags:
        return _problem("debug")
    return None


def abi3_floor(dist: Distribution | None) -> tuple[int, int] | None:
    """The oldest CPython a distribution's abi3 wheel supports (from WHEEL `Tag:` lines)."""
    floors = [
        (int(m[1]), int(m[2]))
        for tag in (dist.wheel_tags if dist else ())
        if (m := ABI3_WHEEL_TAG.fullmatch(tag))
    ]
    return min(floors, default=None)


def binary_problem(context: Context, package: Package, entry: FileEntry) -> Problem | None:
    """Why a shared object's bytes cannot load on Linux, the architecture or the glibc."""
    kind, elf = native_file(context, package, entry)
    if kind in BINARY_FORMATS:
        return _problem(kind)
    if elf is None:
        return None
    arch, glibc = context.arch, context.runtime.glibc
    if elf.machine != ARCH_MACHINES[arch] or elf.bits != 64:
        return _problem("machine", machine=elf.machine_name, bits=elf.bits)
    needed = elf.glibc_required
    if needed is not None and needed > glibc:
        return _problem("glibc-symbol", needs=f"{needed[0]}.{needed[1]}")
    return None


def _load_problem(
    context: Context, package: Package, entry: FileEntry, dists: dict[str, Distribution]
) -> Problem | None:
    """The first reason a shared object cannot load."""
    name = entry.path.rsplit("/", 1)[-1]
    owner = dists.get(context.label(package, entry.path))
    problem = name_problem(name, context.runtime.version, abi3_floor(owner))
    return problem or binary_problem(context, package, entry)


def incompatible_extension(context: Context) -> list[Finding]:
    """Extension modules and libraries that cannot load on the runtime, per owner and kind."""
    dists = {d.key: d for d in context.distributions}
    groups: dict[tuple[str, str, str], dict[Problem, list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for package in context.packages:
        for entry in package.files:
            name = entry.path.rsplit("/", 1)[-1]
            if not SHARED_OBJECT.fullmatch(name):
                continue
            problem = _load_problem(context, package, entry, dists)
            if problem is not None:
                kind = PROBLEMS[dict(problem)["code"]]
                label = context.label(package, entry.path)
                groups[(package.name, label, kind)][problem].append(entry.path)
    return [
        _finding(context, package_name, label, kind, problems)
        for (package_name, label, kind), problems in sorted(groups.items())
    ]


def _finding(
    context: Context, package: str, label: str, kind: str, problems: dict[Problem, list[str]]
) -> Finding:
    runtime = context.runtime
    paths = tuple(sorted(path for paths in problems.values() for path in paths))
    values = {
        "runtime": runtime.name,
        "arch": context.arch,
        "glibc": f"{runtime.glibc[0]}.{runtime.glibc[1]}",
        "platform": pip_platform(context.arch),
        "files": len(paths),
        "problems": [
            {**dict(problem), "files": len(found)} for problem, found in sorted(problems.items())
        ],
    }
    return Finding(
        rule="incompatible-extension",
        severity="error",
        distribution=label,
        paths=paths,
        bytes=0,
        code=kind,
        values=values,
        package=package,
    )
