"""Table and Markdown views of an analyze result."""

from __future__ import annotations

from coldprof.analyze.result import AnalyzeResult, DistributionRow, SizeRow
from coldprof.render import layout
from coldprof.render.added import added_sections
from coldprof.render.layout import Section
from coldprof.render.units import count, exact_bytes, size

DISTRIBUTION_ROWS = 25
FINDING_PATHS = 3
WRAP_COLUMNS = {"paths": 30, "advice": 48, "risk": 36, "reason": 60, "required by": 24}


def _table(title: str, headers: list[str], rows: list[list]) -> Section:
    """A section whose long text columns wrap on a terminal."""
    return layout.table(title, headers, rows, [WRAP_COLUMNS.get(h) for h in headers])


def _limits(result: AnalyzeResult) -> Section:
    exact = "exact" if result.totals.zipped_exact else "estimated: deflate-6 zip of the folder"
    rows = [
        [
            limit.name + (f" ({exact})" if limit.name.startswith("zipped") else ""),
            exact_bytes(limit.actual_bytes),
            exact_bytes(limit.limit_bytes),
            size(limit.headroom_bytes),
            "ok" if limit.ok else "OVER",
        ]
        for limit in result.limits
    ]
    headers = ["limit", "actual", "limit bytes", "headroom", "result"]
    return _table("Lambda limits", headers, rows)


def _totals(result: AnalyzeResult) -> Section:
    t = result.totals
    zipped_note = "exact, from the zip" if t.zipped_exact else "deflate-6 estimate"
    rows = [
        ["files", count(t.files, "files")],
        ["unzipped", f"{size(t.unzipped_bytes)} = {exact_bytes(t.unzipped_bytes)}"],
        ["zipped", f"{size(t.zipped_bytes)} = {exact_bytes(t.zipped_bytes)} ({zipped_note})"],
    ]
    if result.layers:
        rows.append(["layers unzipped", size(t.layers_unzipped_bytes)])
    return _table("Totals", ["total", "value"], rows)


DISTRIBUTION_HEADERS = [
    "distribution",
    "version",
    "files",
    "unzipped",
    "zipped",
    "removal frees",
    "required by",
    "note",
]
SIZE_HEADERS = ["path", "package", "distribution", "files", "unzipped", "zipped"]


def _distribution_row(d: DistributionRow) -> list:
    note = [d.package] if d.package != "function" else []
    if d.runtime_provided:
        note.append("runtime provides it")
    return [
        d.name,
        d.version or "-",
        d.files,
        size(d.unzipped_bytes),
        size(d.zipped_bytes),
        size(d.removal_saves_bytes),
        ", ".join(d.required_by) or "-",
        "; ".join(note),
    ]


def _distributions(result: AnalyzeResult) -> Section:
    rows = [_distribution_row(d) for d in result.distributions[:DISTRIBUTION_ROWS]]
    return _table(_distributions_title(result), DISTRIBUTION_HEADERS, rows)


def _size_row(r: SizeRow) -> list:
    sizes = [size(r.unzipped_bytes), size(r.zipped_bytes)]
    return [r.path, r.package, r.distribution, r.files, *sizes]


def _sizes(title: str, rows_in: tuple[SizeRow, ...]) -> Section:
    return _table(title, SIZE_HEADERS, [_size_row(r) for r in rows_in])


def _findings(result: AnalyzeResult) -> Section:
    headers = ["severity", "rule", "distribution", "saves", "paths", "advice", "risk"]
    rows = []
    for f in result.findings:
        paths = ", ".join(f.paths[:FINDING_PATHS])
        if len(f.paths) > FINDING_PATHS:
            paths += f" (+{len(f.paths) - FINDING_PATHS} more)"
        saves = size(f.bytes) if f.bytes else "-"
        rows.append([f.severity, f.rule, f.distribution or "-", saves, paths, f.message, f.risk])
    return _table("Findings", headers, rows)


def _skipped(result: AnalyzeResult) -> Section:
    rows = [[s.package, s.path, s.reason] for s in result.skipped]
    return _table("Skipped (not counted)", ["package", "path", "reason"], rows)


def _distributions_title(result: AnalyzeResult) -> str:
    found = len(result.distributions)
    if found <= DISTRIBUTION_ROWS:
        return "Distributions"
    return f"Distributions ({DISTRIBUTION_ROWS} largest of {found:,}; all in --format json)"


def sections(result: AnalyzeResult) -> list[Section]:
    """Every part of the result, in reading order."""
    found = [
        _totals(result),
        _limits(result),
        _distributions(result),
        _sizes("Largest folders", result.largest_folders),
        _sizes("Largest files", result.largest_files),
        _findings(result),
    ]
    found += [_skipped(result)] if result.skipped else []
    return found + added_sections(result.added)


def title(result: AnalyzeResult) -> str:
    """What was analysed, for the target runtime."""
    layers = f" + {len(result.layers)} layer(s)" if result.layers else ""
    return f"coldprof analyze: {result.target}{layers} ({result.runtime}, {result.arch})"


def table(result: AnalyzeResult) -> str:
    """Plain-text tables for a terminal."""
    return layout.terminal(title(result), sections(result))


def markdown(result: AnalyzeResult) -> str:
    """GitHub-flavoured Markdown, for a CI summary or a pull request."""
    return layout.markdown(title(result), sections(result))


RENDERERS = {"table": table, "markdown": markdown}
