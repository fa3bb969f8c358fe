"""The bytecode audit: which modules have a `.pyc` the target runtime will use.

/var/task and /opt are read-only on Lambda, so a module without a valid `.pyc` is compiled
at every cold start (about twice the import time, FACTS.md). One finding per rule and
package, naming the distributions: bytecode-missing (no .pyc for the runtime),
bytecode-stale (one it will reject), bytecode-timestamp (valid now, but bound to source
mtimes that re-zipping changes), bytecode-wrong-version (.pyc for another Python or for -O:
never read), bytecode-orphan (__pycache__ files without a source: never read) and
bytecode-valid (keep it). Missing and stale modules carry the ms compiling them costs here.

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
from coldprof.analyze.rules.common import import_path, where
from coldprof.package.model import FileEntry, Package

COMPILE = "python{version} -m compileall -q --invalidation-mode unchecked-hash ."
SAME_CODE = "none: bytecode compiled from the same sources runs the same code"
DOS_EPOCH_S = 315_532_800  # 1980-01-01 00:00:00 UTC, the earliest MS-DOS date
MAX_ZONE_S = 14 * 3600
ZONE_STEP_S = 900  # time zones are whole quarter hours
SHOWN_OWNERS = 5
STALE_WHY = {
    "python": "compiled by another Python",
    "header": "not a readable .pyc",
    "size": "source size differs from the one compiled",
    "sam-1980": "zip entries dated 1980-01-01 (as SAM writes them)",
    "two-second": "odd-second source mtimes, rounded down by the zip's 2-second DOS dates",
    "mtime": "source mtime differs from the one compiled",
}


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


def owners_text(labels: list[str]) -> str:
    """'pandas 812, numpy 301 and 3 more distributions' from one label per module."""
    counts = Counter(labels).most_common()
    shown = ", ".join(f"{label} {count:,}" for label, count in counts[:SHOWN_OWNERS])
    rest = len(counts) - SHOWN_OWNERS
    return shown + (f" and {rest:,} more" if rest > 0 else "")


def _finding(
    rule: str,
    package: Package,
    owned: list[tuple[str, FileEntry]],
    message: str,
    advice: str,
    risk: str,
    saves_bytes: bool = False,
    cost: CompileCost | None = None,
) -> Finding:
    entries = sorted(owned, key=lambda item: item[1].path)
    return Finding(
        rule=rule,
        severity="info" if rule == "bytecode-valid" else "warning",
        distribution=None,
        paths=tuple(entry.path for _, entry in entries),
        bytes=sum(entry.unzipped_bytes for _, entry in entries) if saves_bytes else 0,
        message=message,
        risk=risk,
        advice=advice,
        package=package.name,
        distributions=tuple(sorted({label for label, _ in entries})),
        ms=round(cost.ms, 3) if cost else None,
    )


def _cost_text(cost: CompileCost | None) -> str:
    if cost is None:
        return ""
    how = "all of them" if cost.timed == cost.modules else f"{cost.timed:,} of them, scaled"
    return f"; compiling them takes {cost.ms:,.0f} ms per cold start here (timed {how})"


def _compile_hint(runtime: Runtime) -> str:
    version = f"{runtime.version[0]}.{runtime.version[1]}"
    return f"precompile with `{COMPILE.format(version=version)}` using {runtime.name}"


def _slow(context: Context, package: Package, audit: Audit, timer: CompileTimer) -> list:
    """bytecode-missing, bytecode-stale and bytecode-timestamp (each only when found)."""
    runtime, place, hint = context.runtime.name, where(package), _compile_hint(context.runtime)
    findings = []
    if audit.missing:
        cost = timer.cost(package, [e for _, e in audit.missing])
        message = (
            f"{len(audit.missing):,} module(s){place} have no .pyc for {runtime} "
            f"({owners_text([label for label, _ in audit.missing])}): Lambda's read-only file "
            f"system makes Python compile them at every cold start{_cost_text(cost)}"
        )
        findings.append(
            _finding(
                "bytecode-missing", package, audit.missing, message, hint, SAME_CODE, cost=cost
            )
        )
    if audit.stale:
        findings.append(_stale(context, package, audit, timer))
    if audit.timestamp:
        findings.append(_timestamp(context, package, audit))
    return findings


def _stale(context: Context, package: Package, audit: Audit, timer: CompileTimer) -> Finding:
    owned = [(label, entry) for label, entry, _ in audit.stale]
    cost = timer.cost(package, [entry for _, entry in owned])
    reasons = Counter(why for _, _, why in audit.stale).most_common()
    whys = "; ".join(f"{count:,}: {_why(why)}" for why, count in reasons)
    message = (
        f"{len(owned):,} module(s){where(package)} have a .pyc that {context.runtime.name} will "
        f"reject ({owners_text([label for label, _ in owned])}), so they are compiled at every "
        f"cold start: {whys}{_cost_text(cost)}"
    )
    hint = _compile_hint(context.runtime)
    return _finding("bytecode-stale", package, owned, message, hint, SAME_CODE, cost=cost)


def _why(reason: str) -> str:
    if reason.startswith("zone "):
        return f"dates written in local time (UTC{reason[5:]}), which Lambda reads as UTC"
    return STALE_WHY[reason]


def _timestamp(context: Context, package: Package, audit: Audit) -> Finding:
    entries = [entry for _, entry in audit.timestamp]
    odd = sum(1 for e in entries if e.mtime_s is not None and e.mtime_s % 2)
    if package.kind == "zip":
        fragile = "they match the dates this zip gives their sources, until it is rebuilt"
    else:
        fragile = (
            f"{odd:,} of the sources have odd-second mtimes, so a zip without extended "
            "timestamps (Python's zipfile, SAM) makes their .pyc stale"
        )
    message = (
        f"{len(entries):,} module(s){where(package)} have timestamp-based .pyc "
        f"({owners_text([label for label, _ in audit.timestamp])}), valid only while each "
        f"source keeps the mtime recorded in them: {fragile}"
    )
    advice = f"keep bytecode, but {_compile_hint(context.runtime)}"
    return _finding("bytecode-timestamp", package, audit.timestamp, message, advice, SAME_CODE)


def _unused(context: Context, package: Package, audit: Audit) -> list[Finding]:
    """Bytecode files the runtime never reads: their bytes can go."""
    runtime, place = context.runtime.name, where(package)
    specs = [
        (
            "bytecode-wrong-version",
            audit.wrong_version,
            f".pyc file(s){place} for another Python or for -O: {runtime} never reads them",
            f"none on {runtime}; they only matter if the function moves to that Python",
        ),
        (
            "bytecode-orphan",
            audit.orphan,
            f"__pycache__ file(s){place} without their source: Python never reads them",
            "none: a __pycache__ file is only ever read next to its source",
        ),
    ]
    return [
        _finding(
            rule,
            package,
            owned,
            f"{len(owned):,} {what} ({owners_text([label for label, _ in owned])})",
            "delete them",
            risk,
            saves_bytes=True,
        )
        for rule, owned, what, risk in specs
        if owned
    ]


def _valid(context: Context, package: Package, audit: Audit) -> list[Finding]:
    """The explicit "keep it" for hash-based bytecode the runtime will use."""
    if not audit.valid:
        return []
    message = (
        f"{len(audit.valid):,} module(s){where(package)} have hash-based .pyc valid for "
        f"{context.runtime.name} ({owners_text([label for label, _ in audit.valid])})"
    )
    advice = "keep them: deleting bytecode to save space roughly doubles import time at cold start"
    risk = "deleting them makes every cold start compile these modules again"
    return [_finding("bytecode-valid", package, audit.valid, message, advice, risk)]
