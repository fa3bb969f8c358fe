"""What bench and imports results timed, for the report: phases with raw samples, sweeps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from coldprof.bench.result import BenchResult
from coldprof.imports.result import ImportsResult
from coldprof.render import layout
from coldprof.render.layout import Section
from coldprof.render.report.entries import Entry
from coldprof.render.units import memory_mb, ms, percent, spread_ms, times, usd
from coldprof.stats import Stats, ratio


@dataclass(frozen=True)
class Phase:
    """A timed phase: its name, its statistics, and its raw samples (ms)."""

    name: str
    stats: Callable[[Any], Stats | None]
    samples: Callable[[Any], list[float]]


def _bench_samples(field: str) -> Callable[[BenchResult], list[float]]:
    """Every successful value of one sample field (warm lists flattened)."""

    def values(run: BenchResult) -> list[float]:
        found: list[float] = []
        for sample in run.samples:
            value = getattr(sample, field)
            found += value if isinstance(value, tuple) else [] if value is None else [value]
        return found

    return values


def _no_samples(result: ImportsResult) -> list[float]:
    """imports keeps statistics, not raw samples."""
    return []


PHASES = {
    "bench": (
        Phase(
            "cold runtime start",
            lambda r: r.cold.runtime_init_ms,
            _bench_samples("runtime_init_ms"),
        ),
        Phase("cold init", lambda r: r.cold.init_ms, _bench_samples("init_ms")),
        Phase(
            "first invocation", lambda r: r.cold.first_invoke_ms, _bench_samples("first_invoke_ms")
        ),
        Phase("cold total", lambda r: r.cold.total_ms, _bench_samples("total_ms")),
        Phase("warm invocation", lambda r: r.warm.invoke_ms, _bench_samples("invoke_ms")),
    ),
    "imports": (
        Phase("runtime start", lambda r: r.runtime_init_ms, _no_samples),
        Phase("init", lambda r: r.init_ms, _no_samples),
        Phase("imports (-X importtime)", lambda r: r.import_ms, _no_samples),
        Phase("init, bytecode cached", lambda r: r.warm_init_ms, _no_samples),
        Phase("bare interpreter start", lambda r: r.bare_start_ms, _no_samples),
    ),
}
COMPARED = {"bench": ("cold total", "warm invocation"), "imports": ("init",)}


@dataclass(frozen=True)
class LatencyGroup:
    """One phase's raw samples (ms) and their statistics."""

    name: str
    samples_ms: list[float]
    summary: Stats | None


def latency_group(result: Any, name: str) -> LatencyGroup:
    """One phase of a bench or imports result: raw samples and statistics."""
    for phase in PHASES.get(result.kind, ()):
        if phase.name == name:
            return LatencyGroup(name, phase.samples(result), phase.stats(result))
    return LatencyGroup(name, [], None)


def latency_groups(result: Any) -> list[LatencyGroup]:
    """The phases of a result that have samples or statistics."""
    found = [latency_group(result, p.name) for p in PHASES.get(result.kind, ())]
    return [g for g in found if g.samples_ms or g.summary]


@dataclass(frozen=True)
class SweepPoint:
    """One bench run of a memory sweep: its memory size, speed and cost."""

    name: str
    memory_mb: int
    cold_total_ms: float | None  # median
    warm_ms: float | None  # median
    cost_per_million_usd: float | None
    cold_share: float


def sweep_points(runs: Sequence[Entry]) -> list[SweepPoint]:
    """Bench runs as points of a memory sweep (memory size, speed, cost), smallest first."""
    points = [
        SweepPoint(
            name=entry.name,
            memory_mb=run.memory_mb,
            cold_total_ms=run.cold.total_ms.median if run.cold.total_ms else None,
            warm_ms=run.warm.invoke_ms.median if run.warm.invoke_ms else None,
            cost_per_million_usd=run.cost.per_million_usd,
            cold_share=run.cost.cold_share,
        )
        for entry in runs
        if isinstance(run := entry.result, BenchResult)
    ]
    return sorted(points, key=lambda p: p.memory_mb)


def is_sweep(points: Sequence[SweepPoint]) -> bool:
    """Whether the runs differ in memory size (a sweep to chart as cost against speed)."""
    return len({p.memory_mb for p in points}) > 1


def sweep_section(runs: Sequence[Entry]) -> Section:
    """Each memory size of a sweep: speed and cost per million invocations."""
    headers = ["run", "memory", "cold total median", "warm median", "USD per million"]
    rows = [
        [
            p.name,
            memory_mb(p.memory_mb),
            ms(p.cold_total_ms),
            ms(p.warm_ms),
            f"{usd(p.cost_per_million_usd)} ({percent(p.cold_share)} cold)",
        ]
        for p in sweep_points(runs)
    ]
    return layout.table("memory sweep", headers, rows)


def _ratio_text(first: Stats | None, other: Stats | None) -> str:
    if first is None or other is None or not first.mean or not other.mean:
        return "-"
    return times(*ratio(first, other))


def latency_comparison(runs: Sequence[Entry], kind: str, name: str) -> Section:
    """One phase of several runs side by side, each mean as a ratio of the first run's."""
    headers = ["result", "n", "median", "mean ± σ", "mean / first's mean"]
    first = latency_group(runs[0].result, name).summary
    rows = []
    for entry in runs:
        s = latency_group(entry.result, name).summary
        if s is None:
            rows.append([entry.source, 0, "-", "-", "-"])
            continue
        row = [entry.source, s.n, ms(s.median), spread_ms(s.mean, s.stdev)]
        rows.append([*row, _ratio_text(first, s)])
    return layout.table(f"{kind}: {name}", headers, rows)
