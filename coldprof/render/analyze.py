"""Table and Markdown views of an analyze result."""

from __future__ import annotations

from coldprof.analyze.result import AnalyzeResult, DistributionRow, Finding, SizeRow
from coldprof.render import finding_words, layout
from coldprof.render.added import added_sections
from coldprof.render.layout import Section
from coldprof.render.units import count, exact_bytes, ms, size
from coldprof.render.words import PACKAGERS, skipped_reason

DISTRIBUTION_ROWS = 25
FINDING_PATHS = 3
FINDING_DISTRIBUTIONS = 3
# Text columns wrap at these widths, and shrink further to fit the terminal.
WRAP_COLUMNS = {
    "paths": 30,
    "finding": 56,
    "advice": 56,
    "risk": 44,
    "reason": 60,
    "required by": 24,
    "path": 48,
    "distribution": 24,
    "note": 24,
    "limit": 34,
    "value": 60,
    "unzipped": 19,
    "zipped": 19,
    "removal frees (unzipped)": 26,
    "saves": 19,
    "actual": 16,
    "limit bytes": 16,
    "headroom": 19,
    "rule": 24,
    "version": 12,
    "package": 10,
    "severity": 8,
}


def _table(
    title: str, headers: list[str], rows: list[list], optional: tuple[str, ...] = ()
) -> Section:
    """A section whose long text columns wrap on a terminal (`optional` ones may go)."""
    return layout.wrapped_table(title, headers, rows, WRAP_COLUMNS, optional)


def _limits(result: AnalyzeResult) -> Section:
    exact = "exact" if result.totals.zipped_exact else _verdict_packager(result)
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


def _verdict_packager(result: AnalyzeResult) -> str:
    """Which estimate the zipped limit holds a folder to: the larger one's packager."""
    estimates = result.totals.zipped_estimates
    if not estimates:
        return "estimated: deflate-6 zip of the folder"
    largest = max(estimates, key=lambda e: e.bytes)
    return f"estimated, the larger: {PACKAGERS.get(largest.packager, largest.packager)}"


def _zipped_rows(result: AnalyzeResult) -> list[list]:
    t = result.totals
    if t.zipped_exact or not t.zipped_estimates:
        note = "exact, from the zip" if t.zipped_exact else "deflate-6 estimate"
        return [["zipped", f"{size(t.zipped_bytes)} = {exact_bytes(t.zipped_bytes)} ({note})"]]
    return [
        [
            f"zipped with {PACKAGERS.get(e.packager, e.packager)}",
            f"{size(e.bytes)} = {exact_bytes(e.bytes)} (estimate)",
        ]
        for e in t.zipped_estimates
    ]


def _totals(result: AnalyzeResult) -> Section:
    t = result.totals
    rows = [
        ["files", count(t.files, "files")],
        ["unzipped", f"{size(t.unzipped_bytes)} = {exact_bytes(t.unzipped_bytes)}"],
        *_zipped_rows(result),
    ]
    if t.removable_bytes is not None:
        rows.append(["findings free (unzipped, each file once)", size(t.removable_bytes)])
    if result.layers:
        rows.append(["layers unzipped", size(t.layers_unzipped_bytes)])
    return _table("Totals", ["total", "value"], rows)


DISTRIBUTION_HEADERS = [
    "distribution",
    "version",
    "files",
    "unzipped",
    "zipped",
    "removal frees (unzipped)",
    "required by",
    "note",
]
SIZE_HEADERS = ["path", "package", "distribution", "files", "unzipped", "zipped"]


def _distribution_row(d: DistributionRow) -> list:
    note = ["runtime ships it"] if d.runtime_provided else []
    return [
        d.name if d.package == "function" else f"{d.name} ({d.package})",
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
    return _table(_distributions_title(result), DISTRIBUTION_HEADERS, rows, ("zipped", "note"))


def _size_row(r: SizeRow, packages: bool) -> list:
    sizes = [size(r.unzipped_bytes), size(r.zipped_bytes)]
    return [r.path, *([r.package] if packages else []), r.distribution, r.files, *sizes]


def _sizes(title: str, rows_in: tuple[SizeRow, ...], packages: bool) -> Section:
    headers = [h for h in SIZE_HEADERS if packages or h != "package"]
    return _table(title, headers, [_size_row(r, packages) for r in rows_in])


def _listed(items: tuple[str, ...], most: int) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" (+{len(items) - most} more)" if len(items) > most else "")


def _finding_row(f: Finding) -> list:
    owner = f.distribution or _listed(f.distributions, FINDING_DISTRIBUTIONS) or "-"
    saves = size(f.bytes) if f.bytes else "-"
    paths = _listed(f.paths, FINDING_PATHS)
    return [f.severity, f.rule, owner, saves, ms(f.ms), paths, finding_words.found(f)]


def _findings(result: AnalyzeResult) -> Section:
    headers = ["severity", "rule", "distribution", "saves", "ms", "paths", "finding"]
    return _table(
        "Findings", headers, [_finding_row(f) for f in result.findings], ("ms", "distribution")
    )


def _advice(result: AnalyzeResult) -> Section:
    """Each rule's advice and risk once (a rule whose findings differ in advice: each once)."""
    rows, seen = [], set()
    for f in result.findings:
        words = (f.rule, finding_words.advice(f), finding_words.risk(f))
        if words[1] and words not in seen:
            seen.add(words)
            rows.append(list(words))
    return _table("Advice and risk, per rule", ["rule", "advice", "risk"], rows)


def _skipped(result: AnalyzeResult) -> Section:
    rows = [[s.package, s.path, skipped_reason(s.code, s.values)] for s in result.skipped]
    return _table("Skipped (not counted)", ["package", "path", "reason"], rows)


def _distributions_title(result: AnalyzeResult) -> str:
    found = len(result.distributions)
    if found <= DISTRIBUTION_ROWS:
        return "Distributions"
    return f"Distributions ({DISTRIBUTION_ROWS} largest of {found:,}; all in --format json)"


def sections(result: AnalyzeResult) -> list[Section]:
    """Every part of the result, in reading order."""
    packages = bool(result.layers)
    found = [
        _totals(result),
        _limits(result),
        _distributions(result),
        _sizes("Largest folders", result.largest_folders, packages),
        _sizes("Largest files", result.largest_files, packages),
        _findings(result),
    ]
    advice = _advice(result)
    found += [advice] if advice.rows else []
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
