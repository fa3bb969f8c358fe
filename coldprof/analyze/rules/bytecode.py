"""The bytecode audit: which modules have a `.pyc` the target runtime will use.

/var/task and /opt are read-only on Lambda, so a module without a valid `.pyc` is compiled
at every cold start (about twice the import time, FACTS.md). One finding per rule and
package, naming the distributions: bytecode-missing (no .pyc for the runtime),
bytecode-stale (one it will reject), bytecode-timestamp (valid now, but bound to source
mtimes that re-zipping changes), bytecode-wrong-version (.pyc for another Python or for -O:
never read), bytecode-orphan (__pycache__ files without a source: never read) and
bytecode-valid (keep it). Missing and stale modules carry the ms compiling them costs here.
Each finding's values hold the counts, the largest owners and, for stale bytecode, how many
modules each reason makes stale (reason codes: STALE_REASONS).

A timestamp .pyc in a zip is checked against the mtime its source gets when Lambda extracts
the archive (package/zipped.py extracted_mtime): the entry's extended timestamp, else its
MS-DOS date read as UTC. So a zip dated 1980-01-01 (as SAM writes entries), a source with an
odd-second mtime in a zip without extended timestamps (DOS dates have 2-second steps), or
dates written in the builder's local time zone all make the .pyc stale on arrival.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from coldprof.analyze.compile_cost import CompileCost, CompileTimer
from coldprof.analyze.model import Context, Runtime
from coldprof.analyze.pyc import (
    HEADER_BYTES,
    UINT32,
    PycHeader,
    cache_path,
    cache_tag,
    parse_cache_path,
    read_header,
)
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import import_path
from coldprof.package.model import FileEntry, Package

DOS_EPOCH_S = 315_532_800  # 1980-01-01 00:00:00 UTC, the earliest MS-DOS date
MAX_ZONE_S = 14 * 3600
ZONE_STEP_S = 900  # time zones are whole quarter hours
SHOWN_OWNERS = 5
STALE_REASONS = (
    "python",  # compiled by another Python
    "header",  # not a readable .pyc
    "size",  # the source's size differs from the one compiled
    "sam-1980",  # zip entries dated 1980-01-01, as SAM writes them
    "two-second",  # odd-second mtimes, rounded down by the zip's 2-second MS-DOS dates
    "zone",  # dates written in the builder's local time (values: zone "+2:00"), read as UTC
    "mtime",  # the source's mtime differs from the one compiled
)


@dataclass
class Audit:
    """One package's modules and __pycache__ files sorted into the bytecode findings."""

    missing: list[tuple[str, FileEntry]] = field(default_factory=list)  # (owner, source)
    stale: list[tuple[str, FileEntry, str]] = field(default_factory=list)  # + why
    timestamp: list[tuple[str, FileEntry]] = field(default_factory=list)
    valid: list[tuple[str, FileEntry]] = field(default_factory=list)
    wrong_version: list[tuple[str, FileEntry]] = field(default_factory=list)  # .pyc files
    orphan: list[tuple[str, FileEntry]] = field(default_factory=list)


def is_importable(package: Package, path: str) -> bool:
    """Whether a .py file is a module the runtime can import (under an import root)."""
    relative = import_path(package, path)
    if relative is None or not path.endswith(".py"):
        return False
    *folders, name = relative.split("/")
    if folders[:1] == ["bin"]:  # pip's console scripts, run as programs, never imported
        return False
    return name[:-3].isidentifier() and all(part.isidentifier() for part in folders)


def zone_shift(delta_s: int) -> str | None:
    """'+2:00' when a date difference is a time zone's offset (within the 2-second step)."""
    for shift in (delta_s, delta_s + 1):
        if shift and abs(shift) <= MAX_ZONE_S and shift % ZONE_STEP_S == 0:
            sign, minutes = "+" if shift > 0 else "-", abs(shift) // 60
            return f"{sign}{minutes // 60}:{minutes % 60:02}"
    return None


def stale_reason(header: PycHeader, source: FileEntry) -> str | None:
    """Why a timestamp .pyc will not match its source on Lambda (None: it will)."""
    if header.source_bytes != source.unzipped_bytes & UINT32:
        return "size"
    if source.mtime_s is None or header.source_mtime == source.mtime_s & UINT32:
        return None
    if source.mtime_from != "dos date":
        return "mtime"
    if source.mtime_s == DOS_EPOCH_S:
        return "sam-1980"
    delta = (source.mtime_s - (header.source_mtime or 0)) & UINT32
    delta = delta - (1 << 32) if delta >= 1 << 31 else delta
    if delta == -1:
        return "two-second"
    zone = zone_shift(delta)
    return f"zone {zone}" if zone else "mtime"


def _pyc_state(package: Package, pyc: FileEntry, source: FileEntry, runtime: Runtime) -> str:
    """valid, timestamp, or "stale <why>" for the runtime's own .pyc of a source."""
    data = package.read(pyc.path, HEADER_BYTES)
    try:
        header = read_header(data or b"")
    except ValueError:
        return "stale header"
    if header.python != runtime.version:
        return "stale python"
    if header.invalidation != "timestamp":
        return "valid"
    reason = stale_reason(header, source)
    return "timestamp" if reason is None else f"stale {reason}"


def audit_package(context: Context, package: Package) -> Audit:
    """Sort every module and __pycache__ file of a package."""
    files = {entry.path: entry for entry in package.files}
    tag = cache_tag(context.runtime.version)
    audit = Audit()
    for entry in package.files:
        label = context.label(package, entry.path)
        cache = parse_cache_path(entry.path)
        if cache is not None and cache.source not in files:
            audit.orphan.append((label, entry))
        elif cache is not None and (cache.tag != tag or cache.optimization):
            audit.wrong_version.append((label, entry))
        elif is_importable(package, entry.path):
            pyc = files.get(cache_path(entry.path, context.runtime.version))
            state = "missing" if pyc is None else _pyc_state(package, pyc, entry, context.runtime)
            kind, _, why = state.partition(" ")
            if kind == "stale":
                audit.stale.append((label, entry, why))
            else:
                getattr(audit, kind).append((label, entry))
    return audit


def bytecode(context: Context) -> list[Finding]:
    """The bytecode audit of every package: one finding per rule that found something."""
    timer = CompileTimer()
    findings = []
    for package in context.packages:
        audit = audit_package(context, package)
        findings += _slow(context, package, audit, timer)
        findings += _unused(context, package, audit)
        findings += _valid(context, package, audit)
    return findings


def largest_owners(labels: list[str]) -> dict[str, object]:
    """The owners with the most modules (at most SHOWN_OWNERS) and how many owners are left."""
    counts = Counter(labels).most_common()
    shown = [{"name": label, "modules": count} for label, count in counts[:SHOWN_OWNERS]]
    return {"owners": shown, "more_owners": max(0, len(counts) - SHOWN_OWNERS)}


def _finding(
    rule: str,
    code: str,
    package: Package,
    owned: list[tuple[str, FileEntry]],
    values: dict,
    saves_bytes: bool = False,
    cost: CompileCost | None = None,
) -> Finding:
    entries = sorted(owned, key=lambda item: item[1].path)
    counted = {"modules": len(entries), **largest_owners([label for label, _ in entries])}
    if cost is not None:
        counted |= {"timed_modules": cost.timed}
    return Finding(
        rule=rule,
        severity="info" if rule == "bytecode-valid" else "warning",
        distribution=None,
        paths=tuple(entry.path for _, entry in entries),
        bytes=sum(entry.unzipped_bytes for _, entry in entries) if saves_bytes else 0,
        code=code,
        values={**counted, **values},
        package=package.name,
        distributions=tuple(sorted({label for label, _ in entries})),
        ms=round(cost.ms, 3) if cost else None,
    )


def _slow(context: Context, package: Package, audit: Audit, timer: CompileTimer) -> list:
    """bytecode-missing, bytecode-stale and bytecode-timestamp (each only when found)."""
    runtime = {"runtime": context.runtime.name}
    findings = []
    if audit.missing:
        cost = timer.cost(package, [e for _, e in audit.missing])
        findings.append(
            _finding("bytecode-missing", "missing", package, audit.missing, runtime, cost=cost)
        )
    if audit.stale:
        findings.append(_stale(context, package, audit, timer))
    if audit.timestamp:
        findings.append(_timestamp(context, package, audit))
    return findings


def _stale(context: Context, package: Package, audit: Audit, timer: CompileTimer) -> Finding:
    owned = [(label, entry) for label, entry, _ in audit.stale]
    cost = timer.cost(package, [entry for _, entry in owned])
    reasons = []
    for why, count in Counter(why for _, _, why in audit.stale).most_common():
        reason, _, zone = why.partition(" ")
        reasons.append({"reason": reason, "modules": count} | ({"zone": zone} if zone else {}))
    values = {"runtime": context.runtime.name, "reasons": reasons}
    return _finding("bytecode-stale", "stale", package, owned, values, cost=cost)


def _timestamp(context: Context, package: Package, audit: Audit) -> Finding:
    """Timestamp .pyc valid today: in a zip, until it is rebuilt; in a folder, until it is
    zipped: a zip dated 1980-01-01 (SAM) makes every one stale, a zip without extended
    timestamps (Python's zipfile) those whose source has an odd-second mtime."""
    entries = [entry for _, entry in audit.timestamp]
    values: dict[str, object] = {"runtime": context.runtime.name}
    if package.kind != "zip":
        odd = sum(1 for e in entries if e.mtime_s is not None and e.mtime_s % 2)
        values |= {"stale_in_sam_zip": len(entries), "stale_in_zipfile_zip": odd}
    code = "in-zip" if package.kind == "zip" else "in-folder"
    return _finding("bytecode-timestamp", code, package, audit.timestamp, values)


def _unused(context: Context, package: Package, audit: Audit) -> list[Finding]:
    """Bytecode files the runtime never reads: their bytes can go."""
    runtime = {"runtime": context.runtime.name}
    found = [
        ("bytecode-wrong-version", "wrong-version", audit.wrong_version),
        ("bytecode-orphan", "orphan", audit.orphan),
    ]
    return [
        _finding(rule, code, package, owned, runtime, saves_bytes=True)
        for rule, code, owned in found
        if owned
    ]


def _valid(context: Context, package: Package, audit: Audit) -> list[Finding]:
    """The explicit "keep it" for hash-based bytecode the runtime will use."""
    if not audit.valid:
        return []
    runtime = {"runtime": context.runtime.name}
    return [_finding("bytecode-valid", "valid", package, audit.valid, runtime)]
