"""Duplicates: two distributions providing one import name, and libraries vendored twice.

duplicate-top-level: two distributions both provide a regular module or package under
one top-level name (in one package, one overwrote the other's files; across the function
and a layer, the function's copy shadows the layer's). Namespace packages, whose portions
share no file but a pkgutil-style `__init__.py`, are not duplicates.

duplicate-libs: a file repeated byte for byte in several `*.libs` folders (the native
libraries auditwheel vendors next to each distribution, libgfortran or libopenblas).
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from coldprof.analyze.model import Context, Distribution
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import READ_ERRORS, import_path
from coldprof.package.model import FileEntry, Package

CHUNK_BYTES = 1024 * 1024
TOP_LEVEL_RISK = (
    "uninstalling either may break code written against it; keep the distribution your "
    "code imports and drop the other, then reinstall"
)
LIBS_RISK = (
    "each extension loads its own copy through its RPATH ($ORIGIN/../name.libs): deleting "
    "one breaks that import; replace it with a symbolic link instead"
)


def _provides(path: str, name: str) -> bool:
    """Whether an import path belongs to a top-level name (its package or module file)."""
    first, _, rest = path.partition("/")
    if rest:
        return first == name
    return first.split(".")[0] == name and first.endswith((".py", ".so", ".pyd"))


def _portion(package: Package, dist: Distribution, name: str) -> set[str]:
    """The import paths a distribution installs under one top-level name."""
    paths = (import_path(package, path) for path in dist.files)
    return {p for p in paths if p is not None and _provides(p, name)}


def _is_regular(portion: set[str], name: str) -> bool:
    """Whether the paths form a module or a regular package (not a namespace portion)."""
    return f"{name}/__init__.py" in portion or any("/" not in path for path in portion)


def _clash(first: tuple[str, set[str]], second: tuple[str, set[str]], name: str) -> bool:
    """Whether two portions of a top-level name collide on import."""
    (package_a, a), (package_b, b) = first, second
    if not (_is_regular(a, name) and _is_regular(b, name)):
        return False
    if package_a != package_b:
        return True
    shared = {p for p in a & b if "__pycache__" not in p and p != f"{name}/__init__.py"}
    modules = any("/" not in p for p in a | b)
    return bool(shared) or modules


def duplicate_top_level(context: Context) -> list[Finding]:
    """Top-level import names that two distributions provide."""
    providers: dict[str, list[Distribution]] = defaultdict(list)
    for dist in context.distributions:
        for name in set(dist.top_level):
            providers[name].append(dist)
    packages = {p.name: p for p in context.packages}
    findings = []
    for name, dists in sorted(providers.items()):
        portions = {d: (d.package, _portion(packages[d.package], d, name)) for d in dists}
        clashing = {
            d
            for a, b in itertools.combinations(dists, 2)
            if _clash(portions[a], portions[b], name)
            for d in (a, b)
        }
        if clashing:
            findings.append(_top_level_finding(name, sorted(clashing, key=lambda d: d.key)))
    return findings


def _top_level_finding(name: str, dists: list[Distribution]) -> Finding:
    owners = ", ".join(f"{d.name} {d.version} ({d.package})" for d in dists)
    message = (
        f"{len(dists):,} distributions provide the import name `{name}`: {owners}; only one "
        f"copy is imported, so keep the one your code needs and remove the others"
    )
    paths = tuple(sorted({d.dist_info for d in dists}))
    return Finding(
        rule="duplicate-top-level",
        severity="warning",
        distribution=None,
        paths=paths,
        bytes=0,
        message=message,
        risk=TOP_LEVEL_RISK,
    )


def _libs_folder(path: str) -> str | None:
    """The *.libs folder a file sits in, or None."""
    folder = path.rpartition("/")[0]
    return folder if folder.rpartition("/")[2].endswith(".libs") else None


def same_bytes(first: tuple[Package, FileEntry], second: tuple[Package, FileEntry]) -> bool:
    """Whether two files have the same content, compared in chunks (False if unreadable)."""
    try:
        with first[0].open(first[1].path) as a, second[0].open(second[1].path) as b:
            while chunk := a.read(CHUNK_BYTES):
                if chunk != b.read(CHUNK_BYTES):
                    return False
            return not b.read(1)
    except READ_ERRORS:
        return False


def duplicate_libs(context: Context) -> list[Finding]:
    """Files repeated byte for byte across *.libs folders (same size, CRC-32 and bytes)."""
    candidates: dict[tuple[int, int], list[tuple[Package, FileEntry]]] = defaultdict(list)
    for package, entry in context.entries():
        if _libs_folder(entry.path) is not None and entry.unzipped_bytes > 0:
            candidates[(entry.unzipped_bytes, entry.crc32)].append((package, entry))
    findings = []
    for copies in candidates.values():
        same = [copy for copy in copies[1:] if same_bytes(copies[0], copy)]
        if same:
            findings.append(_libs_finding(context, [copies[0], *same]))
    return findings


def _libs_finding(context: Context, copies: list[tuple[Package, FileEntry]]) -> Finding:
    size = copies[0][1].unzipped_bytes
    name = copies[0][1].path.rpartition("/")[2]
    places = ", ".join(f"{_libs_folder(e.path)} ({p.name})" for p, e in copies)
    message = (
        f"{name} is vendored {len(copies)} times with identical bytes: {places}; keep one "
        f"copy and link the others to it"
    )
    owner = context.owner(copies[0][0], copies[0][1].path)
    paths = tuple(sorted(e.path for _, e in copies))
    return Finding(
        rule="duplicate-libs",
        severity="info",
        distribution=owner,
        paths=paths,
        bytes=size * (len(copies) - 1),
        message=message,
        risk=LIBS_RISK,
    )
