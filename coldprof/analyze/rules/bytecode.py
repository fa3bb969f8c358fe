"""The bytecode audit: which modules have a `.pyc` the target runtime will use.

/var/task and /opt are read-only on Lambda, so a module without a valid `.pyc` is compiled
at every cold start (about twice the import time, FACTS.md). Findings, per owner:
bytecode-missing (no .pyc for the runtime), bytecode-stale (one it will reject),
bytecode-timestamp (valid now, but bound to source mtimes that re-zipping changes),
bytecode-wrong-version (.pyc for another Python or for -O: never read), bytecode-orphan
(__pycache__ files without a source: never read) and bytecode-valid (keep it).
The first three and bytecode-valid list modules (.py paths); the two about dead weight list
the .pyc files, whose bytes they save.
"""

from __future__ import annotations

import os
import stat
from collections import defaultdict
from dataclasses import dataclass, field

from coldprof.analyze.model import Context, Runtime
from coldprof.analyze.pyc import (
    HEADER_BYTES,
    UINT32,
    PycHeader,
    cache_path,
    cache_tag,
    parse_cache_path,
    read_header,
    timestamp_matches,
)
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import import_path, where
from coldprof.package.model import FileEntry, Package

COMPILE = "python{version} -m compileall -q --invalidation-mode unchecked-hash ."
SAME_CODE = "none: bytecode compiled from the same sources runs the same code"


@dataclass
class Audit:
    """Paths sorted into the bytecode findings of one owner."""

    missing: list[str] = field(default_factory=list)  # modules (.py paths), by state
    stale: list[str] = field(default_factory=list)
    timestamp: list[str] = field(default_factory=list)
    valid: list[str] = field(default_factory=list)
    wrong_version: list[FileEntry] = field(default_factory=list)
    orphan: list[FileEntry] = field(default_factory=list)


def is_importable(package: Package, path: str) -> bool:
    """Whether a .py file is a module the runtime can import (under an import root)."""
    relative = import_path(package, path)
    if relative is None or not path.endswith(".py"):
        return False
    *folders, name = relative.split("/")
    if folders[:1] == ["bin"]:  # pip's console scripts, run as programs, never imported
        return False
    return name[:-3].isidentifier() and all(part.isidentifier() for part in folders)


def _pyc_state(package: Package, pyc: FileEntry, source: FileEntry, runtime: Runtime) -> str:
    """The state of the runtime's own .pyc of a source: valid, timestamp or stale."""
    data = package.read(pyc.path, HEADER_BYTES)
    try:
        header = read_header(data or b"")
    except ValueError:
        return "stale"
    if header.python != runtime.version:
        return "stale"
    if header.invalidation != "timestamp":
        return "valid"
    return "timestamp" if _timestamp_holds(package, header, source) else "stale"


def _timestamp_holds(package: Package, header: PycHeader, source: FileEntry) -> bool:
    """Whether a timestamp header matches its source now (size only, for a zip)."""
    if header.source_bytes != source.unzipped_bytes & UINT32:
        return False
    if package.kind != "folder":
        return True
    try:
        info = os.stat(os.path.join(package.location, source.path), follow_symlinks=False)
    except OSError:
        return True
    if not stat.S_ISREG(info.st_mode):
        return True
    return timestamp_matches(header, info.st_mtime, info.st_size)


def audit_package(context: Context, package: Package) -> dict[str, Audit]:
    """Sort every module and __pycache__ file of a package, per owner."""
    files = {entry.path: entry for entry in package.files}
    tag = cache_tag(context.runtime.version)
    audits: dict[str, Audit] = defaultdict(Audit)
    for entry in package.files:
        audit = audits[context.label(package, entry.path)]
        cache = parse_cache_path(entry.path)
        if cache is not None and cache.source not in files:
            audit.orphan.append(entry)
        elif cache is not None and (cache.tag != tag or cache.optimization):
            audit.wrong_version.append(entry)
        elif is_importable(package, entry.path):
            _audit_source(audit, package, entry, files, context.runtime)
    return audits


def _audit_source(
    audit: Audit, package: Package, source: FileEntry, files: dict[str, FileEntry], runtime: Runtime
) -> None:
    """File one module under missing, stale, timestamp or valid."""
    pyc = files.get(cache_path(source.path, runtime.version))
    state = "missing" if pyc is None else _pyc_state(package, pyc, source, runtime)
    getattr(audit, state).append(source.path)


def bytecode(context: Context) -> list[Finding]:
    """The bytecode audit of every owner in every package."""
    findings = []
    for package in context.packages:
        for label, audit in sorted(audit_package(context, package).items()):
            findings += _findings(label, audit, context.runtime, where(package))
    return findings


def _findings(label: str, audit: Audit, runtime: Runtime, place: str) -> list[Finding]:
    """The findings for one owner's audit (none for an empty category)."""
    version = f"{runtime.version[0]}.{runtime.version[1]}"
    hint = f"precompile with `{COMPILE.format(version=version)}` using {runtime.name}"
    specs = [
        (
            "bytecode-missing",
            audit.missing,
            f"{len(audit.missing):,} module(s){place} have no .pyc for {runtime.name}: Lambda's "
            "read-only file system makes Python compile them at every cold start (about 2x "
            f"their import time); {hint}",
        ),
        (
            "bytecode-stale",
            audit.stale,
            f"{len(audit.stale):,} module(s){place} have a .pyc that {runtime.name} rejects "
            "(another Python's magic number, or a source mtime/size that no longer matches), "
            f"so they are compiled at every cold start; {hint}",
        ),
        (
            "bytecode-timestamp",
            audit.timestamp,
            f"{len(audit.timestamp):,} module(s){place} have timestamp-based .pyc, used only "
            "while each source keeps the exact mtime recorded in them; a zip stores mtimes in "
            "local time at 2-second resolution, so rebuilding or re-zipping the package "
            f"usually makes Python ignore them; keep bytecode, but {hint}",
        ),
    ]
    findings = [
        Finding(
            rule=rule,
            severity="warning",
            distribution=label,
            paths=tuple(sorted(paths)),
            bytes=0,
            message=message,
            risk=SAME_CODE,
        )
        for rule, paths, message in specs
        if paths
    ]
    return findings + _unused(label, audit, runtime, place) + _valid(label, audit, runtime, place)


def _unused(label: str, audit: Audit, runtime: Runtime, place: str) -> list[Finding]:
    """Bytecode files the runtime never reads: their bytes can go."""
    specs = [
        (
            "bytecode-wrong-version",
            audit.wrong_version,
            f".pyc file(s){place} for another Python or for -O: {runtime.name} never reads them",
            f"none on {runtime.name}; they only matter if the function moves to that Python",
        ),
        (
            "bytecode-orphan",
            audit.orphan,
            f"__pycache__ file(s){place} without their source: Python never reads them",
            "none: a __pycache__ file is only ever read next to its source",
        ),
    ]
    return [
        Finding(
            rule=rule,
            severity="warning",
            distribution=label,
            paths=tuple(sorted(e.path for e in entries)),
            bytes=sum(e.unzipped_bytes for e in entries),
            message=f"{len(entries):,} {what}; delete them",
            risk=risk,
        )
        for rule, entries, what, risk in specs
        if entries
    ]


def _valid(label: str, audit: Audit, runtime: Runtime, place: str) -> list[Finding]:
    """The explicit "keep it" for hash-based bytecode the runtime will use."""
    if not audit.valid:
        return []
    message = (
        f"{len(audit.valid):,} module(s){place} have hash-based .pyc valid for {runtime.name}: "
        "keep them; deleting bytecode to save space roughly doubles import time at cold start"
    )
    risk = "deleting them makes every cold start compile these modules again"
    return [
        Finding(
            rule="bytecode-valid",
            severity="info",
            distribution=label,
            paths=tuple(sorted(audit.valid)),
            bytes=0,
            message=message,
            risk=risk,
        )
    ]
