"""The results a report shows: each typed record with where it came from and a short name."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from coldprof.bench.result import BenchResult
from coldprof.render.units import memory_mb

KINDS = ("analyze", "imports", "bench", "check", "slim")


@dataclass(frozen=True)
class Entry:
    """One result of a report: its source file, a name for charts, and the typed record."""

    source: str  # the file it was read from, as given
    name: str  # the file's stem, or a compared run's label
    result: Any  # AnalyzeResult | ImportsResult | BenchResult | CheckResult

    @property
    def kind(self) -> str:
        """analyze, imports, bench or check."""
        return self.result.kind


def _run_names(runs: Sequence[BenchResult]) -> list[str]:
    """Each run's label; with its memory size where labels repeat (a memory sweep)."""
    labels = [run.label or f"run {i + 1}" for i, run in enumerate(runs)]
    if len(set(labels)) == len(labels):
        return labels
    pairs = zip(labels, runs, strict=True)
    return [f"{label} at {memory_mb(run.memory_mb)}" for label, run in pairs]


def _runs(source: str, result: BenchResult) -> list[Entry]:
    """A bench result and, as entries of their own, the runs it was compared with."""
    if not result.compared:
        return [Entry(source, PurePath(source).stem or "bench", result)]
    first, *others = _run_names(result.runs)
    entries = [Entry(source, first, dataclasses.replace(result, compared=()))]
    for run, name in zip(result.compared, others, strict=True):
        entries.append(Entry(f"{source} [{name}]", name, run))
    return entries


def entries(results: Sequence[tuple[str, Any]]) -> list[Entry]:
    """The entries of (source, record) pairs, in order, compared runs after their own."""
    found = []
    for source, result in results:
        if isinstance(result, BenchResult):
            found += _runs(source, result)
        else:
            found.append(Entry(source, PurePath(source).stem or result.kind, result))
    return found


def by_kind(found: Sequence[Entry]) -> dict[str, list[Entry]]:
    """The entries of each kind, in order (an empty list for a kind not given)."""
    return {kind: [e for e in found if e.kind == kind] for kind in KINDS}
