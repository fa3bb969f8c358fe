"""The import tree: rows in post-order turned into nodes, the handler's subtree, medians over runs.

A node is never keyed by its name alone (the same module can appear twice): across runs, nodes
are matched by their path from the root, each step being (name, how many earlier siblings had
that name).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from coldprof.imports.parser import Row

Key = tuple[tuple[str, int], ...]  # the path of a node from the root


@dataclass(frozen=True)
class Node:
    """One module import: its own time, its time with everything it imported, its imports."""

    name: str
    self_ms: float
    cumulative_ms: float
    cached: bool  # an `-X importtime=2` row for a module already imported: no time, depth unknown
    children: tuple[Node, ...]
    runs: int = 1  # how many runs the median was taken over
    self_spread_ms: float = 0.0  # the standard deviation of self_ms over those runs


def build_forest(rows: Sequence[Row]) -> list[Node]:
    """The top-level nodes, in order, from rows written in post-order.

    A row claims as children the nodes pending right before it that sit deeper than it does.
    A cached row is a leaf at its depth; one whose depth cannot be read becomes a leaf of the
    next row that completes.
    """
    pending: list[tuple[Node, int | None]] = []
    for row in rows:
        if row.cached:
            pending.append((Node(row.name, 0.0, 0.0, True, ()), row.depth))
            continue
        depth = row.depth or 0
        children: list[Node] = []
        while pending and (pending[-1][1] is None or pending[-1][1] > depth):
            children.append(pending.pop()[0])
        children.reverse()
        node = Node(row.name, row.self_us / 1000, row.cumulative_us / 1000, False, tuple(children))
        pending.append((node, depth))
    return [node for node, _ in pending]


def find_module(forest: Sequence[Node], module: str) -> Node | None:
    """The node of a module: the last one with that name at the shallowest level it appears."""
    level = list(forest)
    while level:
        matches = [node for node in level if node.name == module and not node.cached]
        if matches:
            return matches[-1]
        level = [child for node in level for child in node.children]
    return None


def keyed_children(node: Node) -> Iterator[tuple[tuple[str, int], Node]]:
    """The children of a node with their key: (name, count of earlier siblings so named)."""
    seen: dict[str, int] = {}
    for child in node.children:
        occurrence = seen.get(child.name, 0)
        seen[child.name] = occurrence + 1
        yield (child.name, occurrence), child


def median_tree(roots: Sequence[Node]) -> Node:
    """One tree whose times are the medians, over the runs, of the nodes found at the same path."""
    groups: dict[tuple[str, int], list[Node]] = {}
    for root in roots:
        for key, child in keyed_children(root):
            groups.setdefault(key, []).append(child)
    return Node(
        name=roots[0].name,
        self_ms=statistics.median(root.self_ms for root in roots),
        cumulative_ms=statistics.median(root.cumulative_ms for root in roots),
        cached=all(root.cached for root in roots),
        children=tuple(median_tree(group) for group in groups.values()),
        runs=len(roots),
        self_spread_ms=statistics.stdev(r.self_ms for r in roots) if len(roots) > 1 else 0.0,
    )


def walk(root: Node) -> Iterator[tuple[Node, int, Key]]:
    """Every node in pre-order (a parent before its imports) with its depth and path key."""
    stack: list[tuple[Node, int, Key]] = [(root, 0, ())]
    while stack:
        node, depth, key = stack.pop()
        yield node, depth, key
        children = [(child, depth + 1, (*key, k)) for k, child in keyed_children(node)]
        stack.extend(reversed(children))
