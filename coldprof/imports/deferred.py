"""Imports deferred to the invocations: the modules an invocation imports that init had not
(an import inside the handler, a lazy import resolved by it), recorded from the -X importtime
rows written while it ran, exactly as init's tree is, and medians taken the same way.

An invocation's rows have no single root: its top-level imports are gathered under one node per
run, whose cumulative time is their sum (what the invocation spent importing).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence

from coldprof.imports.attribution import Attributor
from coldprof.imports.parser import parse_rows
from coldprof.imports.result import DeferredModuleRow, DistributionRow, InvocationImports
from coldprof.imports.rows import distribution_rows, error_record, module_rows
from coldprof.imports.tree import Node, build_forest, median_tree
from coldprof.sandbox import InvokeResult
from coldprof.stats import summarize

Invoked = Sequence[tuple[InvokeResult, ...]]  # each profiled run's invocations, in order


def invocation_root(result: InvokeResult, number: int) -> Node:
    """One invocation's imports in one run, under a node holding their total."""
    forest = build_forest(parse_rows(result.importtime_lines))
    total_ms = sum(node.cumulative_ms for node in forest if not node.cached)
    return Node(f"(invocation {number})", 0.0, total_ms, False, tuple(forest))


def invocation_roots(invoked: Invoked, number: int) -> list[Node]:
    """Invocation `number`'s imports in each run that reached it."""
    return [invocation_root(runs[number - 1], number) for runs in invoked if len(runs) >= number]


def deferred_rows(
    invoked: Invoked, warm_invoked: Invoked, attributor: Attributor, number: int
) -> list[DeferredModuleRow]:
    """Invocation `number`'s modules in pre-order (depth 0: imported by the handler itself)."""
    roots = invocation_roots(invoked, number)
    if not roots:
        return []
    warm_roots = invocation_roots(warm_invoked, number)
    warm_tree = median_tree(warm_roots) if warm_roots else None
    rows = module_rows(median_tree(roots), warm_tree, attributor)[1:]
    return [
        DeferredModuleRow(**{**dataclasses.asdict(row), "depth": row.depth - 1}, invocation=number)
        for row in rows
    ]


def invocation_summary(invoked: Invoked, number: int, event: str) -> InvocationImports:
    """One invocation's import total over the profiled runs, and its first failure."""
    roots = invocation_roots(invoked, number)
    reached = [runs[number - 1] for runs in invoked if len(runs) >= number]
    failed = next((result.error for result in reached if result.error is not None), None)
    modules = median_tree(roots).children if roots else ()
    return InvocationImports(
        invocation=number,
        event=event,
        import_ms=summarize([root.cumulative_ms for root in roots]),
        modules=sum(1 for _ in _non_cached(modules)),
        runs=len(reached),
        error=error_record(failed),
    )


def _non_cached(nodes: Sequence[Node]) -> Iterator[Node]:
    """Every node in these trees but the cached rows."""
    for node in nodes:
        if not node.cached:
            yield node
            yield from _non_cached(node.children)


def run_roots(invoked: Invoked) -> list[Node]:
    """Each run's imports over all its invocations, under one node (for the distribution rollup)."""
    found = []
    for runs in invoked:
        roots = [invocation_root(result, n) for n, result in enumerate(runs, start=1)]
        forest = tuple(child for root in roots for child in root.children)
        found.append(Node("(invocations)", 0.0, sum(r.cumulative_ms for r in roots), False, forest))
    return found


def deferred_distributions(
    invoked: Invoked,
    rows: Sequence[DeferredModuleRow],
    attributor: Attributor,
    sizes: Mapping[tuple[str, str | None], tuple[int, int]],
    summaries: Sequence[InvocationImports],
) -> list[DistributionRow]:
    """The deferred imports per distribution; share: of everything the invocations imported."""
    total_ms = sum(s.import_ms.median for s in summaries if s.import_ms is not None)
    roots = [root for root in run_roots(invoked) if root.children]
    if not roots:
        return []
    return distribution_rows(roots, rows, attributor, sizes, total_ms, holders=True)
