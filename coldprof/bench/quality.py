"""Warnings about how far a run's figures can be trusted, as hyperfine gives them (as data)."""

from __future__ import annotations

from coldprof.bench.cost import CostEstimate
from coldprof.bench.driver import Measured, Plan
from coldprof.bench.result import ColdStats, WarmStats
from coldprof.results import Note
from coldprof.stats import OUTLIER_Z, Stats

SPREAD_LIMIT = 0.25  # a standard deviation above this fraction of the median is too wide
MIN_EFFECT_MS = 1.0  # below this, spread and outliers are noise nobody can act on
MIN_EFFECT_SHARE = 0.05  # an outlier this close to the median (as a fraction) changes nothing
FEW_SAMPLES = 5


def phase_warnings(phase: str, stats: Stats | None) -> list[Note]:
    """Outliers and a spread too wide to trust, in one phase."""
    if stats is None:
        return []
    warnings = []
    farthest_ms = max(stats.max - stats.median, stats.median - stats.min)
    if stats.outliers and farthest_ms > max(MIN_EFFECT_MS, MIN_EFFECT_SHARE * stats.median):
        values = {"phase": phase, "outliers": stats.outliers, "samples": stats.n}
        values.update(z_limit=OUTLIER_Z, farthest_ms=farthest_ms)
        warnings.append(Note("outliers", values))
    if stats.relative_spread > SPREAD_LIMIT and stats.stdev > MIN_EFFECT_MS:
        values = {"phase": phase, "stdev_ms": stats.stdev, "fraction": stats.relative_spread}
        warnings.append(Note("wide-spread", values))
    return warnings


def _warm_not_run(measured: Measured, plan: Plan) -> int:
    """Warm invocations skipped because their environment ended after it had started."""
    started = [s for s in measured.samples if s.init_ms is not None]
    attempted = sum(len(s.invoke_ms) for s in started)
    attempted += sum(1 for e in measured.errors if e.phase == "warm_invoke")
    return plan.warm * len(started) - attempted


def latency_warnings(cold: ColdStats, warm: WarmStats) -> list[Note]:
    """Outlier and spread warnings for each latency phase of a run."""
    phases = {
        "cold init": cold.init_ms,
        "first invocation": cold.first_invoke_ms,
        "cold start": cold.total_ms,
        "warm invocation": warm.invoke_ms,
    }
    return [w for phase, stats in phases.items() for w in phase_warnings(phase, stats)]


def few_samples(code: str, counted: int) -> list[Note]:
    """A warning (few-samples, few-cold-starts) when too few cold starts count for statistics."""
    if counted >= FEW_SAMPLES:
        return []
    return [Note(code, {"samples": counted, "suggested_cold": FEW_SAMPLES * 2})]


def run_warnings(
    cold: ColdStats, warm: WarmStats, measured: Measured, plan: Plan, cost: CostEstimate
) -> tuple[Note, ...]:
    """Every warning about one run."""
    warnings = latency_warnings(cold, warm)
    cold_ok = cold.total_ms.n if cold.total_ms else 0
    if cold_ok:
        warnings += few_samples("few-samples", cold_ok)
    not_run = _warm_not_run(measured, plan)
    if not_run:
        warnings.append(Note("warm-not-run", {"invocations": not_run}))
    stopped = sum(1 for sample in measured.samples if sample.stopped_init_ms is not None)
    if stopped:
        warnings.append(Note("init-stopped", {"samples": stopped}))
    if measured.interrupted:
        values = {"samples": len(measured.samples), "planned": plan.cold}
        warnings.append(Note("interrupted", values))
    if cost.region != cost.prices_region:
        values = {"region": cost.region, "prices_region": cost.prices_region}
        warnings.append(Note("other-region", {**values, "prices_checked": cost.prices_checked}))
    return tuple(warnings)
