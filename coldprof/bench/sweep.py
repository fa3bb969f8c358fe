"""A memory sweep's summary: duration and cost per memory size, the cheapest and fastest marked."""

from __future__ import annotations

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


def sweep_rows(runs: tuple[BenchResult, ...]) -> tuple[SweepRow, ...]:
    """A row per memory size, in the order measured, marking the cheapest and the fastest."""
    costs = [run.cost.per_million_usd for run in runs]
    speeds = [expected_ms(run) for run in runs]
    cheapest, fastest = _best(costs), _best(speeds)
    return tuple(
        SweepRow(
            memory_mb=run.memory_mb,
            cold_start_median_ms=run.cold.total_ms.median if run.cold.total_ms else None,
            warm_median_ms=run.warm.invoke_ms.median if run.warm.invoke_ms else None,
            expected_ms=speeds[i],
            per_million_usd=costs[i],
            cheapest=i == cheapest,
            fastest=i == fastest,
        )
        for i, run in enumerate(runs)
    )
