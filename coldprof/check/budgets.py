"""One small function per budget, each comparing a measurement with its limit."""

from __future__ import annotations

from coldprof.analyze.result import AnalyzeResult, DistributionRow, Finding
from coldprof.check.result import BudgetResult
from coldprof.config import Growth
from coldprof.render.units import human_bytes, ms
from coldprof.results import display_path
from coldprof.stats import Stats

# Finding rule ids (coldprof/analyze/rules/) that each budget turns into a failure.
# Timestamp-based .pyc count as invalid: rebuilding or re-zipping the package voids them.
BYTECODE_RULES = ("bytecode-missing", "bytecode-stale", "bytecode-timestamp")
EXTENSION_RULES = ("incompatible-extension",)
DETAIL_NAMES = 5
NO_DISTRIBUTION = "no distribution"  # the ownership of the rows for code no distribution owns


def _size(name: str, key: str, actual_bytes: int, limit_bytes: int, detail: str) -> BudgetResult:
    headroom = limit_bytes - actual_bytes
    ok = actual_bytes <= limit_bytes
    return BudgetResult(
        name, key, actual_bytes, limit_bytes, headroom, ok, "bytes", detail, None, None
    )


def _count(name: str, key: str, found: list[str], unit: str, none: str) -> BudgetResult:
    shown = "; ".join(found[:DETAIL_NAMES])
    if len(found) > DETAIL_NAMES:
        shown += f"; and {len(found) - DETAIL_NAMES} more"
    detail = display_path(shown) or none
    return BudgetResult(name, key, len(found), 0, -len(found), not found, unit, detail, None, None)


def noise_warning(spread_ms: float, headroom_ms: float) -> str | None:
    """A warning when the timing spread is wider than the margin to the limit."""
    if spread_ms <= abs(headroom_ms):
        return None
    return (
        f"the spread (± {ms(spread_ms)}) is wider than the margin ({ms(abs(headroom_ms))}): "
        "the verdict may change from run to run; raise runs or the budget"
    )


def _timing(name: str, key: str, init: Stats, limit_ms: float, detail: str) -> BudgetResult:
    headroom = limit_ms - init.median
    ok = init.median <= limit_ms
    warning = noise_warning(init.stdev, headroom)
    return BudgetResult(
        name, key, init.median, limit_ms, headroom, ok, "ms", detail, init.stdev, warning
    )


def zipped(analysis: AnalyzeResult, limit_bytes: int) -> BudgetResult:
    """The function's zip against the zipped budget."""
    totals = analysis.totals
    how = "exact, from the zip" if totals.zipped_exact else "a deflate-6 zip of the folder"
    return _size("zipped", "zipped", totals.zipped_bytes, limit_bytes, f"function package ({how})")


def unzipped(analysis: AnalyzeResult, limit_bytes: int) -> BudgetResult:
    """The function plus its layers, unzipped, against the unzipped budget."""
    totals = analysis.totals
    actual = totals.unzipped_bytes + totals.layers_unzipped_bytes
    detail = "function package"
    if analysis.layers:
        detail = (
            f"function {human_bytes(totals.unzipped_bytes)} + {len(analysis.layers)} layer(s) "
            f"{human_bytes(totals.layers_unzipped_bytes)}"
        )
    return _size("unzipped", "unzipped", actual, limit_bytes, detail)


def init_time(init: Stats, limit_ms: float) -> BudgetResult:
    """The median init time over fresh environments against the init budget."""
    detail = f"median of {init.n} fresh runs, {ms(init.min)} to {ms(init.max)}"
    return _timing("init_ms", "init_ms", init, limit_ms, detail)


def init_failed(error: str, limit_ms: float) -> BudgetResult:
    """The init budget failed because the handler could not be made ready."""
    detail = f"the handler failed to initialise: {display_path(error)}"
    return BudgetResult("init_ms", "init_ms", None, limit_ms, None, False, "ms", detail, None, None)


def _distributions(analysis: AnalyzeResult) -> list[DistributionRow]:
    return [d for d in analysis.distributions if d.ownership != NO_DISTRIBUTION]


def forbidden(analysis: AnalyzeResult, names: tuple[str, ...]) -> BudgetResult:
    """Distributions listed in forbid that are in the package or its layers."""
    found = [
        f"{d.name} {d.version} ({d.package}, {human_bytes(d.unzipped_bytes)})"
        for d in _distributions(analysis)
        if d.name in names
    ]
    return _count("forbid", "forbid", found, "distributions", f"none of {', '.join(names)}")


def largest_distribution(analysis: AnalyzeResult, limit_bytes: int) -> BudgetResult:
    """The largest single distribution against max_distribution; names every one over it."""
    rows = _distributions(analysis)
    largest = max(rows, key=lambda d: d.unzipped_bytes, default=None)
    over = [
        f"{d.name} {human_bytes(d.unzipped_bytes)}" for d in rows if d.unzipped_bytes > limit_bytes
    ]
    detail = "over: " + ", ".join(over) if over else f"largest: {largest.name if largest else '-'}"
    actual = largest.unzipped_bytes if largest else 0
    return _size("max_distribution", "max_distribution", actual, limit_bytes, display_path(detail))


def _finding_paths(findings: tuple[Finding, ...], rules: tuple[str, ...]) -> list[str]:
    return [path for f in findings if f.rule in rules for path in f.paths]


def valid_bytecode(analysis: AnalyzeResult) -> BudgetResult:
    """Python files without valid bytecode for the target runtime (require_valid_bytecode)."""
    paths = _finding_paths(analysis.findings, BYTECODE_RULES)
    none = f"every module has valid bytecode for {analysis.runtime}"
    return _count("require_valid_bytecode", "require_valid_bytecode", paths, "files", none)


def compatible_extensions(analysis: AnalyzeResult) -> BudgetResult:
    """Extension modules that cannot load on the target (allow_incompatible_extensions = false)."""
    paths = _finding_paths(analysis.findings, EXTENSION_RULES)
    none = f"every extension module can load on {analysis.runtime} {analysis.arch}"
    return _count(
        "allow_incompatible_extensions", "allow_incompatible_extensions", paths, "files", none
    )


def allowed_growth(baseline: float, growth: Growth) -> float:
    """How much a value may grow from its baseline."""
    if growth.fraction is not None:
        return baseline * growth.fraction
    return float(growth.growth_bytes or 0)


def _growth_detail(baseline: str, change: str, fraction: float | None, growth: Growth) -> str:
    relative = f" ({fraction:+.1%})" if fraction is not None else ""
    return f"baseline {baseline}, change {change}{relative}, allowed +{growth.text}"


def _fraction(actual: float, baseline: float) -> float | None:
    return (actual - baseline) / baseline if baseline else None


def size_growth(what: str, actual_bytes: int, baseline_bytes: int, growth: Growth) -> BudgetResult:
    """A size against its baseline plus the allowed growth."""
    limit = baseline_bytes + round(allowed_growth(baseline_bytes, growth))
    change = f"{actual_bytes - baseline_bytes:+,} bytes"
    fraction = _fraction(actual_bytes, baseline_bytes)
    detail = _growth_detail(f"{baseline_bytes:,} bytes", change, fraction, growth)
    return _size(f"max_growth: {what}", "max_growth", actual_bytes, limit, detail)


def init_growth(init: Stats, baseline_ms: float, growth: Growth) -> BudgetResult:
    """The median init time against its baseline plus the allowed growth (percentages only)."""
    limit = baseline_ms + allowed_growth(baseline_ms, growth)
    change = f"{init.median - baseline_ms:+,.1f} ms"
    fraction = _fraction(init.median, baseline_ms)
    detail = _growth_detail(ms(baseline_ms), change, fraction, growth)
    return _timing("max_growth: init_ms", "max_growth", init, limit, detail)
