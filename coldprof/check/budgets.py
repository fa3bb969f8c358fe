"""One small function per budget, each comparing a measurement with its limit.

A budget's detail and warning are Notes (a code and its values, docs/check.md "Output");
the renderers word them.
"""

from __future__ import annotations

from typing import Any

from coldprof.analyze.result import AnalyzeResult, DistributionRow, Finding
from coldprof.check.result import BudgetResult
from coldprof.config import Growth
from coldprof.results import Note
from coldprof.stats import Stats

# Finding rule ids (coldprof/analyze/rules/) that each budget turns into a failure.
# Timestamp-based .pyc count as invalid: rebuilding or re-zipping the package voids them.
BYTECODE_RULES = ("bytecode-missing", "bytecode-stale", "bytecode-timestamp")
EXTENSION_RULES = ("incompatible-extension",)
DETAIL_ITEMS = 5  # a detail lists this many of the names or paths found, and counts them all
NO_DISTRIBUTION = "no distribution"  # the ownership of the rows for code no distribution owns


def _size(name: str, key: str, actual_bytes: int, limit_bytes: int, detail: Note) -> BudgetResult:
    return BudgetResult(
        name=name,
        key=key,
        actual=actual_bytes,
        limit=limit_bytes,
        headroom=limit_bytes - actual_bytes,
        ok=actual_bytes <= limit_bytes,
        unit="bytes",
        detail=detail,
        spread=None,
        warning=None,
    )


def _found(code: str, key: str, items: list[Any]) -> Note:
    """A detail listing the first DETAIL_ITEMS things found, and how many there are."""
    return Note(code, {key: items[:DETAIL_ITEMS], "count": len(items)})


def _count(name: str, unit: str, found: int, detail: Note) -> BudgetResult:
    return BudgetResult(
        name=name,
        key=name,
        actual=found,
        limit=0,
        headroom=-found,
        ok=not found,
        unit=unit,
        detail=detail,
        spread=None,
        warning=None,
    )


def noise_warning(spread_ms: float, headroom_ms: float) -> Note | None:
    """A "noisy" warning when the timing spread is wider than the margin to the limit."""
    if spread_ms <= abs(headroom_ms):
        return None
    return Note("noisy", {"spread_ms": spread_ms, "margin_ms": abs(headroom_ms)})


def _timing(name: str, key: str, init: Stats, limit_ms: float, detail: Note) -> BudgetResult:
    headroom = limit_ms - init.median
    return BudgetResult(
        name=name,
        key=key,
        actual=init.median,
        limit=limit_ms,
        headroom=headroom,
        ok=init.median <= limit_ms,
        unit="ms",
        detail=detail,
        spread=init.stdev,
        warning=noise_warning(init.stdev, headroom),
    )


def zipped(analysis: AnalyzeResult, limit_bytes: int) -> BudgetResult:
    """The function's zip (a folder: the larger packager's estimate) against the zipped budget."""
    totals = analysis.totals
    values: dict[str, Any] = {"exact": totals.zipped_exact}
    if totals.zipped_estimates:
        values["packager"] = max(totals.zipped_estimates, key=lambda e: e.bytes).packager
    detail = Note("function-zip", values)
    return _size("zipped", "zipped", totals.zipped_verdict_bytes, limit_bytes, detail)


def unzipped(analysis: AnalyzeResult, limit_bytes: int) -> BudgetResult:
    """The function plus its layers, unzipped, against the unzipped budget."""
    totals = analysis.totals
    actual = totals.unzipped_bytes + totals.layers_unzipped_bytes
    detail = Note("function", {})
    if analysis.layers:
        values = {"function_bytes": totals.unzipped_bytes, "layers": len(analysis.layers)}
        values["layers_bytes"] = totals.layers_unzipped_bytes
        detail = Note("function-and-layers", values)
    return _size("unzipped", "unzipped", actual, limit_bytes, detail)


def init_time(init: Stats, limit_ms: float) -> BudgetResult:
    """The median init time over fresh environments against the init budget."""
    detail = Note("median-of-runs", {"runs": init.n, "min_ms": init.min, "max_ms": init.max})
    return _timing("init_ms", "init_ms", init, limit_ms, detail)


def init_failed(error: str, limit_ms: float) -> BudgetResult:
    """The init budget failed because the handler could not be made ready."""
    return BudgetResult(
        name="init_ms",
        key="init_ms",
        actual=None,
        limit=limit_ms,
        headroom=None,
        ok=False,
        unit="ms",
        detail=Note("init-failed", {"error": error}),
        spread=None,
        warning=None,
    )


def _distributions(analysis: AnalyzeResult) -> list[DistributionRow]:
    return [d for d in analysis.distributions if d.ownership != NO_DISTRIBUTION]


def forbidden(analysis: AnalyzeResult, names: tuple[str, ...]) -> BudgetResult:
    """Distributions listed in forbid that are in the package or its layers."""
    found = [
        {"name": d.name, "version": d.version, "package": d.package, "bytes": d.unzipped_bytes}
        for d in _distributions(analysis)
        if d.name in names
    ]
    if not found:
        return _count("forbid", "distributions", 0, Note("none-forbidden", {"names": list(names)}))
    return _count("forbid", "distributions", len(found), _found("forbidden", "found", found))


def largest_distribution(analysis: AnalyzeResult, limit_bytes: int) -> BudgetResult:
    """The largest single distribution against max_distribution; names every one over it."""
    rows = _distributions(analysis)
    largest = max(rows, key=lambda d: d.unzipped_bytes, default=None)
    over = [
        {"name": d.name, "bytes": d.unzipped_bytes} for d in rows if d.unzipped_bytes > limit_bytes
    ]
    detail = _found("distributions-over", "found", over)
    if not over:
        detail = Note("largest", {"name": largest.name if largest else None})
    actual = largest.unzipped_bytes if largest else 0
    return _size("max_distribution", "max_distribution", actual, limit_bytes, detail)


def _finding_paths(findings: tuple[Finding, ...], rules: tuple[str, ...]) -> list[str]:
    return [path for f in findings if f.rule in rules for path in f.paths]


def valid_bytecode(analysis: AnalyzeResult) -> BudgetResult:
    """Python files without valid bytecode for the target runtime (require_valid_bytecode)."""
    paths = _finding_paths(analysis.findings, BYTECODE_RULES)
    detail = _found("files", "paths", paths)
    if not paths:
        detail = Note("bytecode-valid", {"runtime": analysis.runtime})
    return _count("require_valid_bytecode", "files", len(paths), detail)


def compatible_extensions(analysis: AnalyzeResult) -> BudgetResult:
    """Extension modules that cannot load on the target (allow_incompatible_extensions = false)."""
    paths = _finding_paths(analysis.findings, EXTENSION_RULES)
    detail = _found("files", "paths", paths)
    if not paths:
        detail = Note("extensions-load", {"runtime": analysis.runtime, "arch": analysis.arch})
    return _count("allow_incompatible_extensions", "files", len(paths), detail)


def analyze_errors(analysis: AnalyzeResult) -> BudgetResult:
    """Findings of severity error, but those another budget covers (allow_errors = false)."""
    found = [
        {"rule": f.rule, "paths": list(f.paths[:DETAIL_ITEMS])}
        for f in analysis.findings
        if f.severity == "error" and f.rule not in EXTENSION_RULES
    ]
    detail = _found("errors", "found", found) if found else Note("no-errors", {})
    return _count("allow_errors", "findings", len(found), detail)


def allowed_growth(baseline: float, growth: Growth) -> float:
    """How much a value may grow from its baseline."""
    if growth.fraction is not None:
        return baseline * growth.fraction
    return float(growth.growth_bytes or 0)


def _growth_detail(actual: float, baseline: float, growth: Growth, unit: str) -> Note:
    fraction = (actual - baseline) / baseline if baseline else None
    values = {"baseline": baseline, "change": actual - baseline, "fraction": fraction}
    return Note("growth", {**values, "allowed": growth.text, "unit": unit})


def size_growth(what: str, actual_bytes: int, baseline_bytes: int, growth: Growth) -> BudgetResult:
    """A size against its baseline plus the allowed growth."""
    limit = baseline_bytes + round(allowed_growth(baseline_bytes, growth))
    detail = _growth_detail(actual_bytes, baseline_bytes, growth, "bytes")
    return _size(f"max_growth: {what}", "max_growth", actual_bytes, limit, detail)


def init_growth(init: Stats, baseline_ms: float, growth: Growth) -> BudgetResult:
    """The median init time against its baseline plus the allowed growth (percentages only)."""
    limit = baseline_ms + allowed_growth(baseline_ms, growth)
    detail = _growth_detail(init.median, baseline_ms, growth, "ms")
    return _timing("max_growth: init_ms", "max_growth", init, limit, detail)
