"""What bench and imports documents timed: phases with raw samples and statistics, sweeps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from coldprof.report.load import Document, get, number, rows, stats, text
from coldprof.report.units import Table, duration
from coldprof.stats import Stats, ratio


@dataclass(frozen=True)
class Phase:
    """A timed phase: its name, where its statistics sit, the sample field of its raw values."""

    name: str
    keys: tuple[str, ...]
    sample_field: str


PHASES = {
    "bench": (
        Phase("cold init", ("cold", "init_ms"), "init_ms"),
        Phase("first invocation", ("cold", "first_invoke_ms"), "first_invoke_ms"),
        Phase("cold total", ("cold", "total_ms"), "total_ms"),
        Phase("warm invocation", ("warm", "invoke_ms"), "invoke_ms"),
    ),
    "imports": (
        Phase("init", ("init_ms",), "init_ms"),
        Phase("imports (-X importtime)", ("import_ms",), "import_ms"),
        Phase("init, bytecode cached", ("warm_init_ms",), "warm_init_ms"),
        Phase("bare interpreter start", ("bare_start_ms",), "bare_start_ms"),
    ),
}
COMPARED = {"bench": ("cold total", "warm invocation"), "imports": ("init",)}


@dataclass(frozen=True)
class LatencyGroup:
    """One phase's raw samples (ms) and their statistics."""

    name: str
    samples_ms: list[float]
    summary: Stats | None


@dataclass(frozen=True)
class DistributionCost:
    """What one distribution costs at init: import self time and bytes."""

    name: str
    category: str
    self_ms: float
    share: float | None  # of the median init
    unzipped_bytes: int | None


@dataclass(frozen=True)
class SweepPoint:
    """One bench run of a memory sweep: its memory size, speed and cost."""

    name: str
    memory_mb: int
    cold_total_ms: float | None  # median
    warm_ms: float | None  # median
    cost_per_million_usd: float | None
    cold_share: float | None  # of the invocations the cost assumes


def _sample_values(samples: list[dict], field: str) -> list[float]:
    """Every number the samples hold under a field (a single value or a list of them)."""
    values: list[float] = []
    for sample in samples:
        found = get(sample, field)
        items = found if isinstance(found, list) else [found]
        values += [v for v in (number(item) for item in items) if v is not None]
    return values


def latency_group(document: Document, name: str) -> LatencyGroup:
    """One phase of a bench or imports document: raw samples and statistics."""
    for phase in PHASES.get(document.kind, ()):
        if phase.name == name:
            samples = _sample_values(rows(document.data, "samples"), phase.sample_field)
            return LatencyGroup(name, samples, stats(document.data, *phase.keys))
    return LatencyGroup(name, [], None)


def latency_groups(document: Document) -> list[LatencyGroup]:
    """The phases of a document that have samples or statistics."""
    found = [latency_group(document, p.name) for p in PHASES.get(document.kind, ())]
    return [g for g in found if g.samples_ms or g.summary]


def latency_rows(document: Document) -> Table:
    """Statistics per phase, hyperfine style."""
    headers = ["phase", "n", "median", "mean ± σ", "p90", "p99", "min … max", "outliers"]
    body = [
        [
            group.name,
            s.n,
            duration(s.median),
            f"{duration(s.mean)} ± {duration(s.stdev)}",
            duration(s.p90),
            duration(s.p99),
            f"{duration(s.min)} … {duration(s.max)}",
            s.outliers,
        ]
        for group in latency_groups(document)
        if (s := group.summary) is not None
    ]
    return headers, body


def distribution_costs(document: Document) -> list[DistributionCost]:
    """The imports document's distributions, slowest first."""
    costs = []
    for row in rows(document.data, "distributions"):
        unzipped = number(get(row, "unzipped_bytes"))
        cost = DistributionCost(
            name=text(get(row, "name"), "?"),
            category=text(get(row, "category")),
            self_ms=number(get(row, "self_ms")) or 0.0,
            share=number(get(row, "share")),
            unzipped_bytes=None if unzipped is None else int(unzipped),
        )
        costs.append(cost)
    return sorted(costs, key=lambda c: -c.self_ms)


def sweep_points(documents: Sequence[Document]) -> list[SweepPoint]:
    """Bench runs as points of a memory sweep (memory size, speed, cost), smallest first."""
    points = []
    for document in documents:
        memory = number(get(document.data, "memory_mb"))
        if document.kind != "bench" or memory is None:
            continue
        point = SweepPoint(
            name=document.name,
            memory_mb=int(memory),
            cold_total_ms=number(get(document.data, "cold", "total_ms", "median")),
            warm_ms=number(get(document.data, "warm", "invoke_ms", "median")),
            cost_per_million_usd=number(get(document.data, "cost", "per_million_usd")),
            cold_share=number(get(document.data, "cost", "cold_share")),
        )
        points.append(point)
    return sorted(points, key=lambda p: p.memory_mb)


def is_sweep(points: Sequence[SweepPoint]) -> bool:
    """Whether the runs differ in memory size (a sweep to chart as cost against speed)."""
    return len({p.memory_mb for p in points}) > 1


def sweep_rows(documents: Sequence[Document]) -> Table:
    """Each memory size of a sweep: speed and cost per million invocations."""
    headers = ["run", "memory", "cold total median", "warm median", "USD per million"]
    body = [
        [
            p.name,
            f"{p.memory_mb:,} MB",
            duration(p.cold_total_ms),
            duration(p.warm_ms),
            "-" if p.cost_per_million_usd is None else _usd(p),
        ]
        for p in sweep_points(documents)
    ]
    return headers, body


def _usd(point: SweepPoint) -> str:
    share = "" if point.cold_share is None else f" ({point.cold_share:.0%} cold)"
    return f"${point.cost_per_million_usd:,.2f}{share}"


def _ratio_text(first: Stats | None, other: Stats | None) -> str:
    if first is None or other is None or not first.mean or not other.mean:
        return "-"
    try:
        value, error = ratio(first, other)
    except ArithmeticError:
        return "-"
    return f"{value:,.2f} ± {error:,.2f}"


def latency_comparison(documents: Sequence[Document], name: str) -> Table:
    """One phase of several runs side by side, each mean as a ratio of the first run's."""
    headers = ["result", "n", "median", "mean ± σ", "mean / first's mean"]
    first = latency_group(documents[0], name).summary
    body = []
    for document in documents:
        s = latency_group(document, name).summary
        if s is None:
            body.append([document.source, 0, "-", "-", "-"])
            continue
        spread = f"{duration(s.mean)} ± {duration(s.stdev)}"
        body.append([document.source, s.n, duration(s.median), spread, _ratio_text(first, s)])
    return headers, body
