"""The report's overview: one line per result, and runs or builds set side by side."""

from __future__ import annotations

from collections.abc import Sequence

from coldprof.analyze.result import AnalyzeResult
from coldprof.bench.result import BenchResult
from coldprof.check.result import CheckResult
from coldprof.imports.result import ImportsResult
from coldprof.render import layout
from coldprof.render.layout import Section
from coldprof.render.report.entries import Entry, by_kind
from coldprof.render.report.timing import (
    COMPARED,
    is_sweep,
    latency_comparison,
    sweep_points,
    sweep_section,
)
from coldprof.render.slim import headline
from coldprof.render.units import memory_mb, ms, signed_size, size
from coldprof.render.words import verdict


def _analyze_summary(result: AnalyzeResult) -> str:
    over = [limit.name for limit in result.limits if not limit.ok]
    parts = [
        f"{size(result.totals.unzipped_bytes)} unzipped",
        f"{size(result.totals.zipped_bytes)} zipped",
        f"{len(result.findings)} findings",
    ]
    parts.append(f"OVER: {', '.join(over)}" if over else "within Lambda's limits")
    return "; ".join(parts)


def _imports_summary(result: ImportsResult) -> str:
    init, imports = result.init_ms, result.import_ms
    parts = [f"init median {ms(init.median)} ± {ms(init.stdev)}" if init else "no init time"]
    if imports:
        parts.append(f"imports {ms(imports.median)}")
    first = result.invocations[0].import_ms if result.invocations else None
    if first:
        parts.append(f"deferred to the first invocation {ms(first.median)}")
    if result.max_rss_mb is not None:
        parts.append(f"peak memory {memory_mb(result.max_rss_mb)}")
    if result.error is not None:
        parts.append(f"ERROR {result.error.type}: {result.error.message}")
    return "; ".join(parts)


def _bench_summary(result: BenchResult) -> str:
    cold, warm = result.cold.total_ms, result.warm.invoke_ms
    parts = [
        f"cold total median {ms(cold.median) if cold else '-'}",
        f"warm median {ms(warm.median) if warm else '-'}",
    ]
    if result.errors:
        parts.append(f"{len(result.errors)} failed samples")
    return "; ".join(parts)


def _check_summary(result: CheckResult) -> str:
    over = [b.name for b in result.budgets if not b.ok]
    verdict_ = f"OVER: {', '.join(over)}" if over else "all within budget"
    return f"{len(result.budgets)} budgets; {verdict_}"


SUMMARIES = {
    "analyze": _analyze_summary,
    "imports": _imports_summary,
    "bench": _bench_summary,
    "check": _check_summary,
    "slim": headline,
}


def subject(entry: Entry) -> str:
    """What a result measured: its target, and its handler when it has one."""
    handler = getattr(entry.result, "handler", "")
    return f"{entry.result.target} ({handler})" if handler else entry.result.target


def summary(entries: Sequence[Entry]) -> Section:
    """One line per result: its source, kind, subject and headline figures."""
    rows = [[e.source, e.kind, subject(e), SUMMARIES[e.kind](e.result)] for e in entries]
    return layout.table("coldprof report", ["result", "kind", "target", "summary"], rows)


def _size_comparison(builds: Sequence[Entry]) -> Section:
    headers = ["result", "unzipped", "zipped", "zipped change vs first"]
    first = builds[0].result.totals.zipped_bytes
    rows = []
    for entry in builds:
        totals = entry.result.totals
        change = signed_size(totals.zipped_bytes - first)
        rows.append([entry.source, size(totals.unzipped_bytes), size(totals.zipped_bytes), change])
    return layout.table("package size", headers, rows)


def _verdicts(runs: Sequence[Entry]) -> Section:
    """The bench runs' own comparisons, hyperfine style, with their confidence intervals."""
    rows = [
        [c.phase, verdict(c), "yes" if c.significant else "no"]
        for entry in runs
        for c in entry.result.comparisons
    ]
    headers = ["phase", "result", "significant (95% CI excludes 1)"]
    return layout.table("which is faster", headers, rows)


def comparisons(entries: Sequence[Entry]) -> list[Section]:
    """Side-by-side tables for every kind given more than once."""
    found = []
    grouped = by_kind(entries)
    if len(grouped["analyze"]) > 1:
        found.append(_size_comparison(grouped["analyze"]))
    for kind in ("imports", "bench"):
        if len(grouped[kind]) > 1:
            found += [latency_comparison(grouped[kind], kind, name) for name in COMPARED[kind]]
    if is_sweep(sweep_points(grouped["bench"])):
        found.append(sweep_section(grouped["bench"]))
    verdicts = _verdicts(grouped["bench"])
    return found + ([verdicts] if verdicts.rows else [])
