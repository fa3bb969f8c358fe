"""Table and Markdown views of an analyze result."""

from __future__ import annotations

from collections.abc import Callable

from tabulate import tabulate

from coldprof.analyze.result import AnalyzeResult
from coldprof.render.units import human_bytes

DISTRIBUTION_ROWS = 25
FINDING_PATHS = 3
WRAP_COLUMNS = {"paths": 30, "advice": 48, "risk": 36, "reason": 60, "required by": 24}


def _limits(result: AnalyzeResult) -> tuple[list[str], list[list]]:
    exact = "exact" if result.totals.zipped_exact else "estimated: deflate-6 zip of the folder"
    headers = ["limit", "actual", "limit bytes", "headroom", "result"]
    rows = [
        [
            f"{limit.name}" + (f" ({exact})" if limit.name.startswith("zipped") else ""),
            f"{limit.actual_bytes:,} B",
            f"{limit.limit_bytes:,} B",
            human_bytes(limit.headroom_bytes),
            "ok" if limit.ok else "OVER",
        ]
        for limit in result.limits
    ]
    return headers, rows


def _totals(result: AnalyzeResult) -> tuple[list[str], list[list]]:
    t = result.totals
    zipped_note = "exact, from the zip" if t.zipped_exact else "deflate-6 estimate"
    rows = [
        ["files", f"{t.files:,}"],
        ["unzipped", f"{human_bytes(t.unzipped_bytes)} = {t.unzipped_bytes:,} B"],
        ["zipped", f"{human_bytes(t.zipped_bytes)} = {t.zipped_bytes:,} B ({zipped_note})"],
    ]
    if result.layers:
        rows.append(["layers unzipped", f"{human_bytes(t.layers_unzipped_bytes)}"])
    return [], rows


def _distributions(result: AnalyzeResult) -> tuple[list[str], list[list]]:
    headers = [
        "distribution",
        "version",
        "files",
        "unzipped",
        "zipped",
        "removal frees",
        "required by",
        "note",
    ]
    rows = []
    for d in result.distributions[:DISTRIBUTION_ROWS]:
        note = [d.package] if d.package != "function" else []
        if d.runtime_provided:
            note.append("runtime provides it")
        rows.append(
            [
                d.name,
                d.version or "-",
                f"{d.files:,}",
                human_bytes(d.unzipped_bytes),
                human_bytes(d.zipped_bytes),
                human_bytes(d.removal_saves_bytes),
                ", ".join(d.required_by) or "-",
                "; ".join(note),
            ]
        )
    return headers, rows


def _sizes(rows_in: tuple) -> tuple[list[str], list[list]]:
    headers = ["path", "package", "files", "unzipped", "zipped"]
    rows = [
        [
            r.path,
            r.package,
            f"{r.files:,}",
            human_bytes(r.unzipped_bytes),
            human_bytes(r.zipped_bytes),
        ]
        for r in rows_in
    ]
    return headers, rows


def _findings(result: AnalyzeResult) -> tuple[list[str], list[list]]:
    headers = ["severity", "rule", "distribution", "saves", "paths", "advice", "risk"]
    rows = []
    for f in result.findings:
        paths = ", ".join(f.paths[:FINDING_PATHS])
        if len(f.paths) > FINDING_PATHS:
            paths += f" (+{len(f.paths) - FINDING_PATHS} more)"
        saves = human_bytes(f.bytes) if f.bytes else "-"
        rows.append([f.severity, f.rule, f.distribution or "-", saves, paths, f.message, f.risk])
    return headers, rows


def _skipped(result: AnalyzeResult) -> tuple[list[str], list[list]]:
    return ["package", "path", "reason"], [[s.package, s.path, s.reason] for s in result.skipped]


def _distributions_title(result: AnalyzeResult) -> str:
    count = len(result.distributions)
    if count <= DISTRIBUTION_ROWS:
        return "Distributions"
    return f"Distributions ({DISTRIBUTION_ROWS} largest of {count:,}; all in --format json)"


def _sections(result: AnalyzeResult) -> list[tuple[str, tuple[list[str], list[list]]]]:
    sections = [
        ("Totals", _totals(result)),
        ("Lambda limits", _limits(result)),
        (_distributions_title(result), _distributions(result)),
        ("Largest folders", _sizes(result.largest_folders)),
        ("Largest files", _sizes(result.largest_files)),
        ("Findings", _findings(result)),
    ]
    if result.skipped:
        sections.append(("Skipped (not counted)", _skipped(result)))
    return sections


def _table(rows: list[list], headers: list[str], tablefmt: str) -> str:
    """A table; on a terminal, long text columns wrap instead of running off the screen."""
    if tablefmt != "simple":
        return tabulate(rows, headers, tablefmt=tablefmt)
    widths = [WRAP_COLUMNS.get(h) for h in headers] if headers else None
    return tabulate(rows, headers, tablefmt=tablefmt, maxcolwidths=widths)


def _title(result: AnalyzeResult) -> str:
    layers = f" + {len(result.layers)} layer(s)" if result.layers else ""
    return f"coldprof analyze: {result.target}{layers} ({result.runtime}, {result.arch})"


def _render(result: AnalyzeResult, tablefmt: str, heading: Callable[[str], str]) -> str:
    parts = [heading(_title(result))]
    for name, (headers, rows) in _sections(result):
        parts.append(heading(name))
        parts.append(_table(rows, headers, tablefmt) if rows else "(none)")
    return "\n\n".join(parts) + "\n"


def table(result: AnalyzeResult) -> str:
    """Plain-text tables for a terminal."""
    return _render(result, "simple", lambda text: f"== {text}")


def markdown(result: AnalyzeResult) -> str:
    """GitHub-flavoured Markdown, for a CI summary or a pull request."""
    return _render(result, "github", lambda text: f"## {text}")


RENDERERS = {"table": table, "markdown": markdown}
