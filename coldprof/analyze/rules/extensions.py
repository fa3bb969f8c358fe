"""incompatible-extension: native files that cannot load on the target runtime.

Checked per file: the CPython the file name is tagged for (`.cpython-312-...so`, the floor
of an `.abi3.so`), the binary format (Mach-O and PE never load on Linux), the ELF machine
against --arch, and the newest GLIBC_x.y the ELF needs against the runtime's glibc.
"""

from __future__ import annotations

import re
from collections import defaultdict

from coldprof.analyze.elf import ARCH_MACHINES
from coldprof.analyze.model import Context, Distribution
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import native_file, where
from coldprof.analyze.rules.wheels import pip_platform
from coldprof.package.model import FileEntry, Package

SHARED_OBJECT = re.compile(r"[^/]+(\.so(\.\d+)*|\.pyd|\.dylib)")
CPYTHON_TAG = re.compile(r"\.cpython-(\d)(\d+)([a-z]*)(?:-[^.]*)?\.so")
ABI3_WHEEL_TAG = re.compile(r"cp(\d)(\d+)-abi3-.*")
OS_NAMES = {"mach-o": "a macOS (Mach-O) build", "pe": "a Windows (PE) build"}
ADVICE = {
    "python": "reinstall it for the runtime's Python "
    "(pip install --python-version {version} --only-binary=:all: --platform {platform})",
    "os": "build the package on Linux (sam build --use-container, or pip install "
    "--platform {platform} --only-binary=:all:)",
    "arch": "reinstall it for the function's architecture (pip install --platform {platform} "
    "--only-binary=:all:), or deploy the function with the other architecture",
    "glibc": "use a wheel built for an older glibc (manylinux2014 needs 2.17), or a runtime "
    "with a newer glibc (python3.12+ has 2.34)",
}
RISK = "none: the file cannot load as it is; a rebuilt wheel may be a different release"


def name_problem(name: str, python: tuple[int, int], abi3_floor: tuple[int, int] | None) -> str:
    """Why an extension's file name says it cannot load on a CPython version, or ""."""
    if ".pypy" in name:
        return "built for PyPy"
    if name.endswith(".abi3.so"):
        if abi3_floor is not None and python < abi3_floor:
            return f"stable ABI from CPython {abi3_floor[0]}.{abi3_floor[1]} up"
        return ""
    match = CPYTHON_TAG.search(name)
    if match is None:
        return ""
    version, flags = (int(match[1]), int(match[2])), match[3]
    if version != python:
        return f"built for CPython {version[0]}.{version[1]}"
    if "t" in flags:
        return "built for free-threaded CPython"
    if "d" in flags:
        return "built for a debug CPython"
    return ""


def abi3_floor(dist: Distribution | None) -> tuple[int, int] | None:
    """The oldest CPython a distribution's abi3 wheel supports (from WHEEL `Tag:` lines)."""
    floors = [
        (int(m[1]), int(m[2]))
        for tag in (dist.wheel_tags if dist else ())
        if (m := ABI3_WHEEL_TAG.fullmatch(tag))
    ]
    return min(floors, default=None)


def binary_problem(context: Context, package: Package, entry: FileEntry) -> tuple[str, str] | None:
    """(kind, why) when a shared object's bytes cannot load on Linux/arch/glibc, else None."""
    kind, elf = native_file(context, package, entry)
    if kind in OS_NAMES:
        return "os", OS_NAMES[kind]
    if elf is None:
        return None
    arch, glibc = context.arch, context.runtime.glibc
    if elf.machine != ARCH_MACHINES[arch] or elf.bits != 64:
        return "arch", f"built for {elf.machine_name} ({elf.bits}-bit)"
    needed = elf.glibc_required
    if needed is not None and needed > glibc:
        return "glibc", f"needs GLIBC_{needed[0]}.{needed[1]}"
    return None


def _problem(
    context: Context, package: Package, entry: FileEntry, dists: dict[str, Distribution]
) -> tuple[str, str] | None:
    """The first reason a shared object cannot load, as (kind, why)."""
    name = entry.path.rsplit("/", 1)[-1]
    owner = dists.get(context.label(package, entry.path))
    if why := name_problem(name, context.runtime.version, abi3_floor(owner)):
        return "python", why
    return binary_problem(context, package, entry)


def incompatible_extension(context: Context) -> list[Finding]:
    """Extension modules and libraries that cannot load on the runtime, per owner and reason."""
    dists = {d.key: d for d in context.distributions}
    groups: dict[tuple[str, str, str], dict[str, list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for package in context.packages:
        for entry in package.files:
            name = entry.path.rsplit("/", 1)[-1]
            if not SHARED_OBJECT.fullmatch(name):
                continue
            problem = _problem(context, package, entry, dists)
            if problem is not None:
                label = context.label(package, entry.path)
                groups[(package.name, label, problem[0])][problem[1]].append(entry.path)
    places = {p.name: where(p) for p in context.packages}
    return [
        _finding(context, label, kind, reasons, (package_name, places[package_name]))
        for (package_name, label, kind), reasons in sorted(groups.items())
    ]


def _finding(
    context: Context,
    label: str,
    kind: str,
    reasons: dict[str, list[str]],
    package: tuple[str, str],
) -> Finding:
    runtime = context.runtime
    paths = tuple(sorted(path for paths in reasons.values() for path in paths))
    why = "; ".join(sorted(reasons))
    platform = pip_platform(context.arch)
    version = f"{runtime.version[0]}.{runtime.version[1]}"
    glibc = f"{runtime.glibc[0]}.{runtime.glibc[1]}"
    advice = ADVICE[kind].format(version=version, platform=platform)
    package_name, place = package
    message = (
        f"{len(paths):,} native file(s){place} cannot load on {runtime.name} {context.arch} "
        f"(glibc {glibc}): {why}"
    )
    return Finding(
        rule="incompatible-extension",
        severity="error",
        distribution=label,
        paths=paths,
        bytes=0,
        message=message,
        risk=RISK,
        advice=advice,
        package=package_name,
    )
