"""What the environments' lives showed over a run: the CPU share they held, the most their /tmp
held, and the work their handlers left running, counted over the environments."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from coldprof.bench.result import LeftRunningCount, Sample


def held_vcpus(samples: Sequence[Sample]) -> float | None:
    """The warm invocations' CPU time over their wall time (None: no warm invocation)."""
    pairs = [
        (cpu_ms, wall_ms)
        for sample in samples
        if len(sample.invoke_cpu_ms) == len(sample.round_trip_ms)
        for cpu_ms, wall_ms in zip(sample.invoke_cpu_ms, sample.round_trip_ms, strict=True)
    ]
    wall_ms = sum(wall for _, wall in pairs)
    return sum(cpu for cpu, _ in pairs) / wall_ms if wall_ms > 0 else None


def ephemeral_peak_mb(samples: Sequence[Sample]) -> float | None:
    """The most any environment's /tmp held."""
    peaks = [s.ephemeral_peak_mb for s in samples if s.ephemeral_peak_mb is not None]
    return max(peaks) if peaks else None


def count_left_running(samples: Sequence[Sample]) -> tuple[LeftRunningCount, ...]:
    """Each piece of work left running, with how many environments had it and what became of it."""
    times, environments, finished, lost = Counter(), Counter(), Counter(), Counter()
    for sample in samples:
        for item in sample.left_running:
            key = (item.kind, item.name, item.where)
            times[key] += 1
            finished[key] += item.finished_during is not None
            lost[key] += item.finished_during is None
        environments.update({(i.kind, i.name, i.where) for i in sample.left_running})
    return tuple(
        LeftRunningCount(
            kind=key[0],
            name=key[1],
            where=key[2],
            environments=environments[key],
            times=count,
            finished_later=finished[key],
            lost=lost[key],
        )
        for key, count in times.most_common()
    )
