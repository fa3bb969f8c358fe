"""The rows of an imports result from median import trees: modules in pre-order with their
origin and bytecode effect, and the rollup per distribution."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence

from coldprof.imports.attribution import Attributor, Origin
from coldprof.imports.result import DistributionRow, ErrorRecord, ModuleRow
from coldprof.imports.tree import Key, Node, walk
from coldprof.sandbox import ErrorInfo


def module_rows(tree: Node, warm_tree: Node | None, attributor: Attributor) -> list[ModuleRow]:
    """Every module of the handler's tree, in pre-order, with its origin and bytecode effect."""
    warm_nodes: dict[Key, Node] = {}
    if warm_tree is not None:
        warm_nodes = {key: node for node, _, key in walk(warm_tree)}
    rows = []
    for node, depth, key in walk(tree):
        origin = attributor.origin(node.name)
        warm = None if node.cached else warm_nodes.get(key)
        rows.append(
            ModuleRow(
                name=node.name,
                distribution=origin.distribution,
                category=origin.category,
                self_ms=node.self_ms,
                cumulative_ms=node.cumulative_ms,
                depth=depth,
                bytecode_saving_ms=None if warm is None else max(0.0, node.self_ms - warm.self_ms),
                bytecode_saving_noise_ms=None if warm is None else _noise_ms(node, warm),
                body_ms=None if warm is None else warm.self_ms,
                cached=node.cached,
                runs=node.runs,
            )
        )
    return rows


def _noise_ms(cold: Node, warm: Node) -> float:
    """The spreads of a module's self time without and with a bytecode cache, combined."""
    return math.hypot(cold.self_spread_ms, warm.self_spread_ms)


def distribution_self_ms(
    roots: Sequence[Node], attributor: Attributor, holders: bool = False
) -> dict[tuple[str, str], tuple[float, Origin]]:
    """Each distribution's self time summed within each run, then the median over the runs
    (`holders`: each root only holds a run's top-level imports and is no module itself).

    Summing before taking the median keeps the rollup consistent with the import total: the
    median of each of hundreds of small modules would leave out the noise every run has.
    """
    per_run: list[dict[tuple[str, str], float]] = []
    origins: dict[tuple[str, str], Origin] = {}
    for root in roots:
        sums: dict[tuple[str, str], float] = {}
        for node, _, _ in walk(root):
            if node.cached or (holders and node is root):
                continue
            origin = attributor.origin(node.name)
            key = (origin.distribution, origin.category)
            origins.setdefault(key, origin)
            sums[key] = sums.get(key, 0.0) + node.self_ms
        per_run.append(sums)
    return {
        key: (statistics.median(sums.get(key, 0.0) for sums in per_run), origin)
        for key, origin in origins.items()
    }


def distribution_rows(
    roots: Sequence[Node],
    modules: Sequence[ModuleRow],
    attributor: Attributor,
    sizes: Mapping[tuple[str, str | None], tuple[int, int]],
    init_median_ms: float | None,
    holders: bool = False,
) -> list[DistributionRow]:
    """The rollup per distribution: self-time sum, share of init (of `init_median_ms`), bytes;
    costliest first (`holders`: see distribution_self_ms)."""
    counts = Counter((m.distribution, m.category) for m in modules if not m.cached)
    rows = []
    by_distribution = distribution_self_ms(roots, attributor, holders)
    for (name, category), (self_ms, origin) in by_distribution.items():
        size = sizes.get((origin.package, origin.owner_key)) if origin.package else None
        rows.append(
            DistributionRow(
                name=name,
                category=category,
                self_ms=self_ms,
                share=self_ms / init_median_ms if init_median_ms else 0.0,
                unzipped_bytes=size[0] if size else None,
                zipped_bytes=size[1] if size else None,
                modules=counts[(name, category)],
            )
        )
    return sorted(rows, key=lambda row: row.self_ms, reverse=True)


def error_record(error: ErrorInfo | None) -> ErrorRecord | None:
    """The result's form of a sandbox error."""
    if error is None:
        return None
    return ErrorRecord(type=error.type, message=error.message, stack_trace=tuple(error.stack_trace))
