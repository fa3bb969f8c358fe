"""Warnings about how far a run's figures can be trusted, as hyperfine gives them."""

from __future__ import annotations

from coldprof.bench.cost import CostEstimate
from coldprof.bench.driver import Measured, Plan
from coldprof.bench.result import ColdStats, WarmStats
from coldprof.render.units import percent
from coldprof.stats import OUTLIER_Z, Stats

SPREAD_LIMIT = 0.25  # a standard deviation above this fraction of the median is too wide
MIN_EFFECT_MS = 1.0  # below this, spread and outliers are noise nobody can act on
MIN_EFFECT_SHARE = 0.05  # an outlier this close to the median (as a fraction) changes nothing
FEW_SAMPLES = 5


def phase_warnings(phase: str, stats: Stats | None) -> list[str]:
    """Outliers and a spread too wide to trust, in one phase."""
    if stats is None:
        return []
    warnings = []
    farthest_ms = max(stats.max - stats.median, stats.median - stats.min)
    if stats.outliers and farthest_ms > max(MIN_EFFECT_MS, MIN_EFFECT_SHARE * stats.median):
        warnings.append(
            f"{phase}: {stats.outliers} of {stats.n} samples are outliers (modified z-score "
            f"above {OUTLIER_Z}, up to {farthest_ms:,.1f} ms from the median); another program "
            "may have disturbed the run: close it, or add --warmup"
        )
    if stats.relative_spread > SPREAD_LIMIT and stats.stdev > MIN_EFFECT_MS:
        warnings.append(
            f"{phase}: the spread is too wide to trust (σ = {stats.stdev:,.1f} ms, "
            f"{percent(stats.relative_spread)} of the median); run more samples on a quieter "
            "machine"
        )
    return warnings


def _warm_not_run(measured: Measured, plan: Plan) -> int:
    """Warm invocations skipped because their environment ended after it had started."""
    started = [s for s in measured.samples if s.init_ms is not None]
    attempted = sum(len(s.invoke_ms) for s in started)
    attempted += sum(1 for e in measured.errors if e.phase == "warm_invoke")
    return plan.warm * len(started) - attempted


def latency_warnings(cold: ColdStats, warm: WarmStats) -> list[str]:
    """Outlier and spread warnings for each latency phase of a run."""
    phases = {
        "cold init": cold.init_ms,
        "first invocation": cold.first_invoke_ms,
        "cold start": cold.total_ms,
        "warm invocation": warm.invoke_ms,
    }
    return [w for phase, stats in phases.items() for w in phase_warnings(phase, stats)]


def run_warnings(
    cold: ColdStats, warm: WarmStats, measured: Measured, plan: Plan, cost: CostEstimate
) -> tuple[str, ...]:
    """Every warning about one run."""
    warnings = latency_warnings(cold, warm)
    cold_ok = cold.total_ms.n if cold.total_ms else 0
    if 0 < cold_ok < FEW_SAMPLES:
        warnings.append(
            f"only {cold_ok} successful cold sample(s): too few for sound statistics; "
            f"use --cold {FEW_SAMPLES * 2} or more"
        )
    not_run = _warm_not_run(measured, plan)
    if not_run:
        warnings.append(
            f"{not_run} warm invocation(s) not run: their environment ended (see errors)"
        )
    if measured.interrupted:
        warnings.append(
            f"stopped after {len(measured.samples)} of {plan.cold} cold samples: "
            "the figures cover what was measured"
        )
    if cost.region != cost.prices_region:
        warnings.append(
            f"prices are {cost.prices_region}'s (checked {cost.prices_checked}); "
            f"{cost.region}'s may differ"
        )
    return tuple(warnings)
