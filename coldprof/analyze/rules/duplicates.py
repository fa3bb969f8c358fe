"""Duplicates: two distributions providing one import name, and libraries vendored twice.

duplicate-top-level: two distributions both provide a regular module or package under
one top-level name. Across packages the copy first on Lambda's sys.path wins (the function,
then the layers' site-packages and python/ folders, a later layer before an earlier one) and
the other's files are never imported: their bytes can go. In one package, one overwrote the
other's files when installed. Namespace packages, whose portions share no file but a
pkgutil-style `__init__.py`, are not duplicates.

duplicate-libs: a file repeated byte for byte in several `*.libs` folders (the native
libraries auditwheel vendors next to each distribution, libgfortran or libopenblas).
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from coldprof.analyze.model import Context, Distribution
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import (
    READ_ERRORS,
    covering_paths,
    folder_file_counts,
    import_path,
)
from coldprof.package.model import FileEntry, Package

CHUNK_BYTES = 1024 * 1024


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


def sys_path_rank(package: Package, dist: Distribution) -> tuple[int, int]:
    """Where a distribution's folder comes on Lambda's sys.path: lower is imported first.

    /var/task first, then every layer's python/lib/python3.X/site-packages, then every
    layer's python/ (Lambda merges layers into /opt in order, so a later layer wins).
    """
    if package.name == "function":
        return (0, 0)
    number = int(package.name.rsplit(" ", 1)[-1])
    in_site = dist.dist_info.startswith("python/lib/")
    return (1 if in_site else 2, -number)


def _shadowed(
    packages: dict[str, Package], winner: Distribution, loser: Distribution, name: str
) -> list[str]:
    """The loser's files under `name` that are never imported (or overwritten in /opt)."""
    lost = sorted(
        p for p in loser.files if _provides(import_path(packages[loser.package], p) or "", name)
    )
    same_place = (
        winner.package != "function"
        and sys_path_rank(packages[winner.package], winner)[0]
        == sys_path_rank(packages[loser.package], loser)[0]
    )
    if not same_place:
        return lost
    kept = {import_path(packages[winner.package], p) for p in winner.files}
    return [p for p in lost if import_path(packages[loser.package], p) in kept]


def duplicate_top_level(context: Context) -> list[Finding]:
    """Top-level import names that two distributions provide: which copy wins, what it shadows."""
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
            findings += _top_level_findings(packages, name, clashing)
    return findings


def _who(dist: Distribution) -> dict[str, str]:
    return {"name": dist.name, "version": dist.version, "package": dist.package}


def _top_level_findings(
    packages: dict[str, Package], name: str, clashing: set[Distribution]
) -> list[Finding]:
    """One finding per copy the winner shadows; one for copies installed over each other."""
    ranked = sorted(clashing, key=lambda d: (sys_path_rank(packages[d.package], d), d.key))
    winner = ranked[0]
    about = {"import_name": name, "providers": [_who(d) for d in ranked]}
    findings = []
    for loser in ranked[1:]:
        if loser.package == winner.package:
            continue
        lost = _shadowed(packages, winner, loser, name)
        values = {**about, "winner": _who(winner), "shadowed": _who(loser), "files": len(lost)}
        package = packages[loser.package]
        findings.append(_top_level_finding(loser, package, "shadowed", values, lost))
    together = [d for d in ranked if d.package == winner.package]
    if len(together) > 1:
        values = {**about, "package": winner.package}
        package = packages[winner.package]
        findings.append(_top_level_finding(together[-1], package, "overwritten", values, []))
    return findings


def _top_level_finding(
    dist: Distribution, package: Package, code: str, values: dict, lost: list[str]
) -> Finding:
    sizes = {e.path: e.unzipped_bytes for e in package.files}
    paths = covering_paths(lost, folder_file_counts(package)) if lost else (dist.dist_info,)
    return Finding(
        rule="duplicate-top-level",
        severity="warning",
        distribution=dist.key,
        paths=paths,
        bytes=sum(sizes.get(p, 0) for p in lost),
        code=code,
        values=values,
        package=package.name,
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
    candidates: dict[tuple[str, int, int], list[tuple[Package, FileEntry]]] = defaultdict(list)
    for package, entry in context.entries():
        if _libs_folder(entry.path) is not None and entry.unzipped_bytes > 0:
            key = (package.name, entry.unzipped_bytes, entry.crc32)
            candidates[key].append((package, entry))
    findings = []
    for copies in candidates.values():
        same = [copy for copy in copies[1:] if same_bytes(copies[0], copy)]
        if same:
            findings.append(_libs_finding(context, [copies[0], *same]))
    return findings


def _libs_finding(context: Context, copies: list[tuple[Package, FileEntry]]) -> Finding:
    package, kept = copies[0]
    values = {
        "name": kept.path.rpartition("/")[2],
        "copies": len(copies),
        "folders": [_libs_folder(e.path) or "" for _, e in copies],
        "kept": kept.path,
    }
    extra = sorted(e.path for _, e in copies[1:])
    return Finding(
        rule="duplicate-libs",
        severity="info",
        distribution=context.owner(package, kept.path),
        paths=tuple(extra),
        bytes=kept.unzipped_bytes * len(extra),
        code="identical-copies",
        values=values,
        package=package.name,
    )
