"""Loaded at init, unused by the invocations: lazy-import candidates.

The usage run (runs.py) reports, per invocation, the modules imported at init whose code ran or
whose attributes were read while the handler ran. A module counts as used when it, or one of its
submodules, is among them (importing pkg.sub imports pkg). A candidate is an unused module whose
importer in the init tree was used (or a .pth file's import line): that import statement is the
one to change. Everything it imported at init goes with it (cumulative_ms), except what an event
used further down (used_below), which would still be imported when needed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from coldprof.imports.attribution import DEPENDENCY, LAYER, RUNTIME_SDK, Attributor
from coldprof.imports.result import UnusedAtInit, UnusedDistribution, UnusedModule
from coldprof.imports.tree import Node
from coldprof.sandbox import InvokeResult

DROPPABLE = (DEPENDENCY, LAYER, RUNTIME_SDK)  # categories whose distribution can be left out
LAZY_IMPORT_SINCE = (3, 15)  # PEP 810's `lazy import`
PTH_IMPORTER = ""  # the importer of a module a .pth file's import line imports


@dataclass(frozen=True)
class Watched:
    """What the usage run saw over all its invocations."""

    method: str  # "sys.monitoring" or "setprofile"
    used: frozenset[str]  # modules imported at init that some invocation used
    used_by_event: tuple[frozenset[str], ...]  # the same, per invocation
    referrers: Mapping[str, tuple[str, ...]]  # unused module -> used modules holding it


def watched(results: Sequence[InvokeResult]) -> Watched | None:
    """The usage run's reports put together (None: it reported nothing)."""
    reports = [result.usage for result in results if result.usage is not None]
    if not reports:
        return None
    per_event = tuple(frozenset(report.used) for report in reports)
    return Watched(
        method=reports[0].method,
        used=frozenset().union(*per_event),
        used_by_event=per_event,
        referrers=dict(reports[-1].referrers),
    )


def with_packages(names: frozenset[str]) -> frozenset[str]:
    """The names and every package above them."""
    parts = (name.split(".") for name in names)
    return frozenset(".".join(p[:depth]) for p in parts for depth in range(1, len(p) + 1))


def _subtree(node: Node) -> Iterator[Node]:
    """The node and every node under it, cached rows left out."""
    if not node.cached:
        yield node
        for child in node.children:
            yield from _subtree(child)


def _candidates(
    roots: Sequence[tuple[Node, str]], used: frozenset[str]
) -> Iterator[tuple[Node, str]]:
    """Unused modules whose importer was used: (node, importer). `roots`: (root, its importer);
    a root is the handler module (always used) or a module a .pth file imported."""
    stack = [(root, importer, True) for root, importer in reversed(roots)]
    while stack:
        node, importer, importer_used = stack.pop()
        if node.cached:
            continue
        is_used = node.name in used or importer is None
        if not is_used and importer_used:
            yield node, importer or PTH_IMPORTER
        children = [(child, node.name, is_used) for child in node.children]
        stack.extend(reversed(children))


def advice(origin_category: str, distribution_unused: bool, version: tuple[int, int]) -> str:
    """Drop a dependency nothing used; else lazy import on 3.15; else import it where used."""
    if origin_category in DROPPABLE and distribution_unused:
        return "drop"
    return "lazy-import" if tuple(version) >= LAZY_IMPORT_SINCE else "import-where-used"


def _module(
    node: Node,
    importer: str,
    seen: Watched,
    used: frozenset[str],
    attributor: Attributor,
    unused_distributions: set[str],
    version: tuple[int, int],
) -> UnusedModule:
    """One candidate: its times, what comes with it, what limits it, and the advice."""
    below = list(_subtree(node))
    origin = attributor.origin(node.name)
    others = set(seen.referrers.get(node.name, ())) - {importer}
    return UnusedModule(
        name=node.name,
        distribution=origin.distribution,
        category=origin.category,
        self_ms=node.self_ms,
        cumulative_ms=node.cumulative_ms,
        unused_ms=sum(n.self_ms for n in below if n.name not in used),
        modules=len(below),
        imported_by=importer,
        also_imported_by=tuple(sorted(others)),
        used_below=tuple(sorted({n.name for n in below[1:] if n.name in used})),
        advice=advice(origin.category, origin.distribution in unused_distributions, version),
    )


def _distributions(
    nodes: Sequence[Node],
    used: frozenset[str],
    attributor: Attributor,
    sizes: Mapping[tuple[str, str | None], tuple[int, int]],
) -> list[UnusedDistribution]:
    """Distributions (dependencies, layers, runtime SDK) none of whose init modules was used."""
    grouped: dict[str, list[Node]] = {}
    origins = {}
    for node in nodes:
        origin = attributor.origin(node.name)
        if origin.category in DROPPABLE:
            grouped.setdefault(origin.distribution, []).append(node)
            origins[origin.distribution] = origin
    found = []
    for name, members in grouped.items():
        if any(node.name in used for node in members):
            continue
        origin = origins[name]
        size = sizes.get((origin.package, origin.owner_key)) if origin.package else None
        found.append(
            UnusedDistribution(
                name=name,
                category=origin.category,
                self_ms=sum(node.self_ms for node in members),
                modules=len(members),
                unzipped_bytes=size[0] if size else None,
            )
        )
    return sorted(found, key=lambda row: row.self_ms, reverse=True)


def unused_at_init(
    tree: Node,
    pth_roots: Sequence[Node],
    seen: Watched,
    attributor: Attributor,
    sizes: Mapping[tuple[str, str | None], tuple[int, int]],
    version: tuple[int, int],
) -> UnusedAtInit:
    """The candidates and the unused distributions, costliest first."""
    used = with_packages(seen.used)
    roots = [(tree, None), *((root, PTH_IMPORTER) for root in pth_roots)]
    nodes = [node for root, _ in roots for node in _subtree(root)]
    distributions = _distributions(nodes, used, attributor, sizes)
    unused_names = {row.name for row in distributions}
    modules = [
        _module(node, importer, seen, used, attributor, unused_names, version)
        for node, importer in _candidates(roots, used)
    ]
    return UnusedAtInit(
        method=seen.method,
        events=len(seen.used_by_event),
        init_modules=len(nodes),
        used_modules=sum(1 for node in nodes if node.name in used or node is tree),
        modules=tuple(sorted(modules, key=lambda row: row.cumulative_ms, reverse=True)),
        distributions=tuple(distributions),
        unused=tuple(sorted({node.name for node in nodes if node.name not in used} - {tree.name})),
    )
