"""A memory sweep's summary: duration and cost per memory size, the cheapest and fastest marked."""

from __future__ import annotations

import random
import statistics

from coldprof.bench.compare import BOOTSTRAP_RESAMPLES, CONFIDENCE, MIN_SAMPLES, SEED
from coldprof.bench.result import BenchResult, SweepRow


def expected_ms(run: BenchResult) -> float | None:
    """Mean latency of an invocation at the cold-start share the cost uses."""
    share = run.cost.cold_share
    cold = run.cold.total_ms.mean if run.cold.total_ms else None
    warm = run.warm.invoke_ms.mean if run.warm.invoke_ms else None
    if cold is None:
        return warm
    if warm is None:
        return cold
    return share * cold + (1 - share) * warm


def _best(values: list[float | None]) -> int | None:
    known = [(value, i) for i, value in enumerate(values) if value is not None]
    return min(known)[1] if known else None


def _phases(run: BenchResult) -> tuple[list[float], list[float]]:
    """The raw cold-start totals and warm durations of a run."""
    cold = [s.total_ms for s in run.samples if s.total_ms is not None]
    warm = [ms for s in run.samples for ms in s.invoke_ms]
    return cold, warm


def _resampled_expected(run: BenchResult, rng: random.Random) -> float | None:
    """The expected latency of one bootstrap resample of the run's cold and warm samples."""
    share = run.cost.cold_share
    means = [
        statistics.fmean(rng.choices(values, k=len(values))) if values else None
        for values in _phases(run)
    ]
    cold, warm = means
    if cold is None or warm is None:
        return warm if cold is None else cold
    return share * cold + (1 - share) * warm


def clearly_faster(fast: BenchResult, slow: BenchResult) -> bool:
    """`fast`'s expected latency is lower than `slow`'s beyond the noise: enough samples, and the
    95% bootstrap interval of the ratio above 1."""
    counts = [len(values) for run in (fast, slow) for values in _phases(run) if values]
    if not counts or min(counts) < MIN_SAMPLES:
        return False
    rng = random.Random(SEED)
    ratios = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        fast_ms, slow_ms = _resampled_expected(fast, rng), _resampled_expected(slow, rng)
        if fast_ms and slow_ms is not None:
            ratios.append(slow_ms / fast_ms)
    ratios.sort()
    return bool(ratios) and ratios[int((1 - CONFIDENCE) / 2 * (len(ratios) - 1))] > 1


def sweep_rows(runs: tuple[BenchResult, ...]) -> tuple[SweepRow, ...]:
    """A row per memory size, in the order measured, marking the cheapest and the fastest (only
    when it is faster than every other size beyond the noise)."""
    costs = [run.cost.per_million_usd for run in runs]
    speeds = [expected_ms(run) for run in runs]
    cheapest, fastest = _best(costs), _best(speeds)
    tied = {
        i
        for i, run in enumerate(runs)
        if fastest is not None
        and i != fastest
        and speeds[i] is not None
        and not clearly_faster(runs[fastest], run)
    }
    return tuple(
        SweepRow(
            memory_mb=run.memory_mb,
            cold_start_median_ms=run.cold.total_ms.median if run.cold.total_ms else None,
            warm_median_ms=run.warm.invoke_ms.median if run.warm.invoke_ms else None,
            expected_ms=speeds[i],
            per_million_usd=costs[i],
            cheapest=i == cheapest,
            fastest=i == fastest and not tied,
            within_noise_of_fastest=i in tied or (i == fastest and bool(tied)),
        )
        for i, run in enumerate(runs)
    )
