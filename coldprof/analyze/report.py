"""Turning a scanned package and its findings into the analyze result record."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace

from coldprof.analyze.graph import removal_savings, required_by
from coldprof.analyze.model import FUNCTION_CODE, Context
from coldprof.analyze.result import (
    AnalyzeResult,
    DistributionRow,
    Finding,
    Limit,
    SizeRow,
    SkippedRow,
    Totals,
    ZippedEstimate,
)
from coldprof.analyze.runtime import runtime_sdk_keys
from coldprof.analyze.savings import removable_bytes, with_path_bytes
from coldprof.data import lambda_facts
from coldprof.package.estimates import zipped_estimates
from coldprof.package.model import FileEntry
from coldprof.results import display_path


def _files_by_row(context: Context) -> dict[tuple[str, str], list[FileEntry]]:
    """Files per (package name, owner label): a distribution in two packages is two rows."""
    rows: dict[tuple[str, str], list[FileEntry]] = defaultdict(list)
    for package, entry in context.entries():
        rows[(package.name, context.label(package, entry.path))].append(entry)
    return rows


def distribution_rows(context: Context) -> tuple[DistributionRow, ...]:
    """One row per distribution plus one per package's own code, largest first."""
    files = _files_by_row(context)
    unzipped_by_key: Counter[str] = Counter()  # all copies: removal frees every one of them
    for (_, label), entries in files.items():
        unzipped_by_key[label] += sum(f.unzipped_bytes for f in entries)
    sdk = runtime_sdk_keys()
    dependents = required_by(context.distributions)
    saves = removal_savings(context.distributions, unzipped_by_key.__getitem__)
    rows = []
    for d in context.distributions:
        own = files.get((d.package, d.key), [])
        rows.append(
            DistributionRow(
                name=d.key,
                version=d.version,
                package=d.package,
                files=len(own),
                unzipped_bytes=sum(f.unzipped_bytes for f in own),
                zipped_bytes=sum(f.zipped_bytes for f in own),
                removal_saves_bytes=saves[d.key],
                requires=d.requires,
                required_by=dependents.get(d.key, ()),
                runtime_provided=d.key in sdk,
                ownership=d.ownership,
            )
        )
    known = {(d.package, d.key) for d in context.distributions}
    for package_name, name in sorted(set(files) - known):
        rows.append(_code_row(name, files[(package_name, name)]))
    return tuple(sorted(rows, key=lambda r: (-r.unzipped_bytes, r.name, r.package)))


def _code_row(name: str, entries: list[FileEntry]) -> DistributionRow:
    size = sum(f.unzipped_bytes for f in entries)
    package = "function" if name == FUNCTION_CODE else name.strip("()").removesuffix(" code")
    return DistributionRow(
        name=name,
        version=None,
        package=package,
        files=len(entries),
        unzipped_bytes=size,
        zipped_bytes=sum(f.zipped_bytes for f in entries),
        removal_saves_bytes=size,
        requires=(),
        required_by=(),
        runtime_provided=False,
        ownership="no distribution",
    )


def _folders(entry: FileEntry) -> Iterable[str]:
    parts = entry.path.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        yield "/".join(parts[:depth])


def chain_links(context: Context) -> set[tuple[str, str]]:
    """Folders whose only content is one folder: `python`, `python/lib`, ... above site-packages.

    Such a folder holds exactly what its child holds, so "Largest folders" shows the chain
    once, by its deepest folder.
    """
    children: dict[tuple[str, str], set[str]] = defaultdict(set)
    for package, entry in context.entries():
        parts = entry.path.split("/")
        for depth in range(1, len(parts)):
            children[(package.name, "/".join(parts[:depth]))].add(parts[depth])
    links = set()
    for key, names in children.items():
        if len(names) == 1 and (key[0], f"{key[1]}/{next(iter(names))}") in children:
            links.add(key)
    return links


def largest_folders(context: Context, top: int) -> tuple[SizeRow, ...]:
    """The folders (any depth) holding the most unzipped bytes, with their main owner.

    A chain of folders that each hold only the next one is one row, its deepest folder.
    """
    sizes: Counter[tuple[str, str]] = Counter()
    zipped: Counter[tuple[str, str]] = Counter()
    counts: Counter[tuple[str, str]] = Counter()
    owners: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for package, entry in context.entries():
        owner = context.label(package, entry.path)
        for folder in _folders(entry):
            key = (package.name, folder)
            sizes[key] += entry.unzipped_bytes
            zipped[key] += entry.zipped_bytes
            counts[key] += 1
            owners[key][owner] += entry.unzipped_bytes
    for key in chain_links(context):
        del sizes[key]
    return tuple(
        SizeRow(
            path=display_path(folder),
            package=package,
            files=counts[key],
            unzipped_bytes=size,
            zipped_bytes=zipped[key],
            distribution=owners[key].most_common(1)[0][0],
        )
        for key, size in sizes.most_common(top)
        for package, folder in [key]
    )


def largest_files(context: Context, top: int) -> tuple[SizeRow, ...]:
    """The largest single files, with their owner."""
    ranked = sorted(context.entries(), key=lambda pe: (-pe[1].unzipped_bytes, pe[1].path))
    return tuple(
        SizeRow(
            path=display_path(e.path),
            package=p.name,
            files=1,
            unzipped_bytes=e.unzipped_bytes,
            zipped_bytes=e.zipped_bytes,
            distribution=context.label(p, e.path),
        )
        for p, e in ranked[:top]
    )


def limits(context: Context, totals: Totals) -> tuple[Limit, ...]:
    """Lambda's size limits against the actual bytes (a folder: its larger zip), with headroom."""
    facts = lambda_facts()["limits"]
    unzipped = sum(p.unzipped_bytes for p in context.packages)
    checks = [
        (
            "zipped (direct upload)",
            facts["zipped_direct_upload_bytes"],
            totals.zipped_verdict_bytes,
        ),
        ("unzipped (function + layers)", facts["unzipped_with_layers_bytes"], unzipped),
    ]
    return tuple(
        Limit(
            name=name,
            limit_bytes=limit,
            actual_bytes=actual,
            headroom_bytes=limit - actual,
            ok=actual <= limit,
        )
        for name, limit, actual in checks
    )


def totals(context: Context, findings: list[Finding]) -> Totals:
    """Files and bytes of the function package, the layers' unzipped bytes, what can go."""
    function, *layers = context.packages
    estimates = zipped_estimates(function)
    return Totals(
        files=len(function.files),
        unzipped_bytes=function.unzipped_bytes,
        zipped_bytes=function.archive_bytes,
        zipped_exact=function.zipped_exact,
        layers_unzipped_bytes=sum(p.unzipped_bytes for p in layers),
        removable_bytes=removable_bytes(context, findings),
        zipped_estimates=tuple(ZippedEstimate(packager=p, bytes=b) for p, b in estimates),
    )


def skipped_rows(context: Context) -> tuple[SkippedRow, ...]:
    """Every entry left out of the counts, with its reason."""
    return tuple(
        SkippedRow(package=p.name, path=display_path(s.path), code=s.code, values=s.values)
        for p in context.packages
        for s in p.skipped
    )


def _displayable(finding: Finding) -> Finding:
    """The finding with its paths made safe to print."""
    return replace(finding, paths=tuple(display_path(path) for path in finding.paths))


def build_result(context: Context, findings: Iterable[Finding], top: int) -> AnalyzeResult:
    """Assemble the analyze result record."""
    function, *layers = context.packages
    found = with_path_bytes(context, findings)
    summed = totals(context, found)
    return AnalyzeResult(
        target=function.location,
        layers=tuple(p.location for p in layers),
        runtime=context.runtime.name,
        arch=context.arch,
        totals=summed,
        limits=limits(context, summed),
        distributions=distribution_rows(context),
        largest_folders=largest_folders(context, top),
        largest_files=largest_files(context, top),
        findings=tuple(_displayable(f) for f in found),
        skipped=skipped_rows(context),
        handler=context.handler,
    )
