"""Hierarchies for the treemap and the icicle, built from a result's rows (no plotting here).

The treemap places each folder and file under the distribution analyze found owns it
(`SizeRow.distribution`): nothing is guessed from names. Node ids join their parts with a
newline: shown text never holds one (control characters are escaped in results), so two
different paths never share an id.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from coldprof.analyze.result import AnalyzeResult, Finding, SizeRow
from coldprof.imports.result import ImportsResult, ModuleRow

MAX_SIZE_ROWS = 500  # folders and files taken from one analyze result
MAX_MODULES = 3000  # modules taken from one imports result
NO_FINDING = "no finding"
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Node:
    """One tile: its id, label, parent id ("" for a root), value and colour category."""

    id: str
    label: str
    parent: str
    value: float
    category: str


@dataclass(frozen=True)
class Tile:
    """A folder or file to place: its package, path, owner and unzipped bytes."""

    package: str
    path: str
    distribution: str
    unzipped_bytes: int


def node_id(*parts: str) -> str:
    """A node id made of its parts: package, then "" and a distribution or "/" and a path."""
    return "\n".join(parts)


class Colours:
    """The finding (rule) a path or a whole distribution is coloured by, most severe first.

    Indexed once, so each lookup costs the depth of a path or a binary search, never a walk
    over every finding (5,000 rows x 3,000 findings of one distribution took seconds).
    """

    def __init__(self, findings: tuple[Finding, ...]):
        ranked = sorted(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))
        self.by_path: dict[str, str] = {}
        self.by_owner: dict[str, list[Finding]] = defaultdict(list)
        for finding in ranked:
            for path in (p.strip("/") for p in finding.paths):
                self.by_path.setdefault(path, finding.rule)
            if finding.distribution is not None:
                self.by_owner[finding.distribution].append(finding)
        # per owner, the most bytes any finding so far names: non-decreasing, so searchable
        self.most_bytes = {
            owner: list(itertools.accumulate((f.bytes for f in found), max))
            for owner, found in self.by_owner.items()
        }

    def of_path(self, path: str) -> str | None:
        """The rule of the most severe finding naming the path or a folder above it."""
        parts = path.split("/")
        for depth in range(len(parts), 0, -1):
            rule = self.by_path.get("/".join(parts[:depth]))
            if rule is not None:
                return rule
        return None

    def of_distribution(self, name: str, size: float) -> str | None:
        """The rule of the most severe finding about all of a distribution's bytes."""
        most = self.most_bytes.get(name)
        if size <= 0 or not most:
            return None
        first = bisect.bisect_left(most, size)  # the first finding with bytes >= size
        return self.by_owner[name][first].rule if first < len(most) else None


def _tiles(result: AnalyzeResult) -> list[Tile]:
    """Folders and files, then what single-path findings name, each with analyze's owner."""
    rows: list[SizeRow] = [*result.largest_folders[:MAX_SIZE_ROWS]]
    rows += result.largest_files[:MAX_SIZE_ROWS]
    tiles = [Tile(r.package, r.path, r.distribution, r.unzipped_bytes) for r in rows]
    packages_of: dict[str, set[str]] = defaultdict(set)
    for d in result.distributions:
        packages_of[d.name].add(d.package)
    for f in result.findings[:MAX_SIZE_ROWS]:
        where = packages_of.get(f.distribution or "", set())
        if len(f.paths) == 1 and f.bytes and len(where) == 1:  # its package is known
            tiles.append(Tile(next(iter(where)), f.paths[0], f.distribution, f.bytes))
    return tiles


def _distribution_nodes(result: AnalyzeResult, colours: Colours) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for row in result.distributions:
        nodes.setdefault(row.package, Node(row.package, row.package, "", 0, NO_FINDING))
        category = colours.of_distribution(row.name, row.unzipped_bytes) or NO_FINDING
        key = node_id(row.package, "", row.name)
        nodes[key] = Node(key, row.name, row.package, row.unzipped_bytes, category)
    return nodes


def _parent(tile: Tile, path: str, nodes: dict[str, Node], owners: dict[str, str]) -> str:
    """The deepest folder above the tile with the same owner, else its distribution."""
    parts = path.split("/")
    for depth in range(len(parts) - 1, 0, -1):
        ancestor = node_id(tile.package, "/", "/".join(parts[:depth]))
        if ancestor in nodes and owners[ancestor] == tile.distribution:
            return ancestor
    return node_id(tile.package, "", tile.distribution)


def _attach(tile: Tile, nodes: dict[str, Node], owners: dict[str, str], colours: Colours) -> None:
    """Add one folder or file under its owner (or a folder of its owner's)."""
    path = tile.path.strip("/")
    key = node_id(tile.package, "/", path)
    if not path or key in nodes or node_id(tile.package, "", tile.distribution) not in nodes:
        return
    parent = _parent(tile, path, nodes, owners)
    category = colours.of_path(path) or nodes[parent].category
    nodes[key] = Node(key, path.rsplit("/", 1)[-1], parent, tile.unzipped_bytes, category)
    owners[key] = tile.distribution


def _consistent(nodes: dict[str, Node]) -> list[Node]:
    """Nodes whose value is at least the sum of their children (plotly's "total" rule).

    Every node was added after its parent, so walking backwards meets children first.
    """
    values = {key: node.value for key, node in nodes.items()}
    children_sum: dict[str, float] = defaultdict(float)
    for node in reversed(nodes.values()):
        values[node.id] = max(values[node.id], children_sum[node.id])
        if node.parent:
            children_sum[node.parent] += values[node.id]
    return [Node(n.id, n.label, n.parent, values[n.id], n.category) for n in nodes.values()]


def size_tree(result: AnalyzeResult) -> list[Node]:
    """Package -> distribution -> folder -> file tiles of an analyze result."""
    colours = Colours(result.findings)
    nodes = _distribution_nodes(result, colours)
    owners: dict[str, str] = {}
    for tile in sorted(_tiles(result), key=lambda t: t.path.strip("/").count("/")):
        _attach(tile, nodes, owners, colours)
    return _consistent(nodes)


def _module_nodes(modules: Sequence[ModuleRow], root: str, prefix: str) -> list[Node]:
    """Nodes of modules in pre-order with depths, under `root` (ids start with `prefix`)."""
    nodes = []
    stack: list[tuple[int, str]] = []
    for index, module in enumerate(modules[:MAX_MODULES]):
        while stack and stack[-1][0] >= module.depth:
            stack.pop()
        depth_ok = stack and stack[-1][0] == module.depth - 1
        parent = stack[-1][1] if depth_ok else root
        key = f"{prefix}{index}"
        nodes.append(Node(key, module.name, parent, module.self_ms, module.distribution))
        stack.append((module.depth, key))
    return nodes


def import_tree(result: ImportsResult) -> list[Node]:
    """The import tree of an imports result (values are self ms; category the distribution)."""
    root = "imports"
    return [Node(root, root, "", 0.0, ""), *_module_nodes(result.modules, root, "")]


def deferred_tree(result: ImportsResult) -> list[Node]:
    """The modules each invocation imported, under one node per invocation."""
    nodes = [Node("deferred", "invocations", "", 0.0, "")]
    for number in sorted({module.invocation for module in result.deferred}):
        root = f"invocation {number}"
        nodes.append(Node(root, root, "deferred", 0.0, ""))
        modules = [module for module in result.deferred if module.invocation == number]
        nodes += _module_nodes(modules, root, f"{number}:")
    return nodes
