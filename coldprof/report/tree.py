"""Hierarchies for the treemap and the icicle, rebuilt from flat result rows (no plotting here).

Node ids join their parts with a newline: shown text never holds one (control characters
are escaped when a document is read), so two different paths never share an id.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from coldprof.report.load import Document, get, number, rows, strings, text

MAX_SIZE_ROWS = 500  # folders and files taken from one analyze document
MAX_MODULES = 3000  # modules taken from one imports document
NO_FINDING = "no finding"
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
# The folders of a layer that Lambda puts on sys.path, left out when matching import names.
LAYER_ROOT = re.compile(r"^python/(lib/python\d+\.\d+/site-packages/)?")


@dataclass(frozen=True)
class Node:
    """One tile: its id, label, parent id ("" for a root), value and colour category."""

    id: str
    label: str
    parent: str
    value: float
    category: str


def node_id(*parts: str) -> str:
    """A node id made of its parts: package, then "" and a distribution or "/" and a path."""
    return "\n".join(parts)


def normalize(name: str) -> str:
    """A distribution or folder name as a PEP 503 key."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _import_name(component: str) -> str:
    """A path component as the distribution key it most likely belongs to."""
    if component.endswith((".dist-info", ".egg-info", ".data")):
        component = component.rsplit(".", 1)[0].split("-", 1)[0]
    return normalize(component.removesuffix(".py").split(".", 1)[0])


def owner_of(path: str, keys: set[str], row_owner: str | None) -> str | None:
    """The distribution a folder or file belongs to: its own field, else its import name."""
    if row_owner is not None:
        return row_owner if row_owner in keys else None
    key = _import_name(LAYER_ROOT.sub("", path).split("/", 1)[0])
    return key if key in keys else None


def _findings(document: Document) -> list[dict]:
    found = rows(document.data, "findings")
    return sorted(found, key=lambda f: SEVERITY_ORDER.get(text(get(f, "severity")), 3))


def _path_category(path: str, findings: list[dict]) -> str | None:
    for finding in findings:
        for covered in (p.strip("/") for p in strings(finding, "paths")):
            if covered and (path == covered or path.startswith(covered + "/")):
                return text(get(finding, "rule"), "finding")
    return None


def _distribution_category(name: str, size: float, findings: list[dict]) -> str | None:
    for finding in findings:
        whole = (number(get(finding, "bytes")) or 0) >= size > 0
        if text(get(finding, "distribution")) == name and whole:
            return text(get(finding, "rule"), "finding")
    return None


def _size_rows(document: Document) -> list[dict]:
    """Folders then files, each at most MAX_SIZE_ROWS, with a path and a byte count."""
    picked = []
    for key in ("largest_folders", "largest_files"):
        for row in rows(document.data, key)[:MAX_SIZE_ROWS]:
            if text(get(row, "path")) and number(get(row, "unzipped_bytes")) is not None:
                picked.append(row)
    return picked


def _finding_tiles(document: Document) -> list[dict]:
    """Single-path findings as size rows, so that what a finding names is a tile of its own."""
    picked = []
    for finding in _findings(document)[:MAX_SIZE_ROWS]:
        paths = strings(finding, "paths")
        size = number(get(finding, "bytes"))
        owner = get(finding, "distribution")
        if len(paths) == 1 and size and isinstance(owner, str):
            picked.append({"path": paths[0], "unzipped_bytes": size, "distribution": owner})
    return picked


def _distribution_nodes(document: Document, findings: list[dict]) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for row in rows(document.data, "distributions"):
        name, package = text(get(row, "name")), text(get(row, "package")) or "function"
        size = number(get(row, "unzipped_bytes")) or 0
        if not name:
            continue
        if package not in nodes:
            nodes[package] = Node(package, package, "", 0, NO_FINDING)
        category = _distribution_category(name, size, findings) or NO_FINDING
        key = node_id(package, "", name)
        nodes[key] = Node(key, name, package, size, category)
    return nodes


def _attach(row: dict, nodes: dict[str, Node], findings: list[dict], package: str) -> None:
    """Add one folder or file under its deepest listed ancestor, or under its distribution."""
    path = text(get(row, "path")).strip("/")
    keys = {n.label for n in nodes.values() if n.parent == package}
    owner = owner_of(path, keys, text(get(row, "distribution")) or None)
    key = node_id(package, "/", path)
    if owner is None or not path or key in nodes:
        return
    parent = node_id(package, "", owner)
    parts = path.split("/")
    for depth in range(len(parts) - 1, 0, -1):
        ancestor = node_id(package, "/", "/".join(parts[:depth]))
        if ancestor in nodes:
            parent = ancestor
            break
    category = _path_category(path, findings) or nodes[parent].category
    size = number(get(row, "unzipped_bytes")) or 0
    nodes[key] = Node(key, parts[-1], parent, size, category)


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


def size_tree(document: Document) -> list[Node]:
    """Package -> distribution -> folder -> file tiles of an analyze document."""
    findings = _findings(document)
    nodes = _distribution_nodes(document, findings)
    packages = {n.id for n in nodes.values() if not n.parent}
    extra = [*_size_rows(document), *_finding_tiles(document)]
    for row in sorted(extra, key=lambda r: text(get(r, "path")).count("/")):
        package = text(get(row, "package")) or "function"
        if package in packages:
            _attach(row, nodes, findings, package)
    return _consistent(nodes)


def import_tree(document: Document) -> list[Node]:
    """The import tree of an imports document (values are self ms; category the distribution)."""
    root = "imports"
    nodes = [Node(root, root, "", 0.0, "")]
    stack: list[tuple[int, str]] = []
    for index, module in enumerate(rows(document.data, "modules")[:MAX_MODULES]):
        depth = number(get(module, "depth"))
        name = text(get(module, "name"))
        if depth is None or depth < 0 or not name:
            continue
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack and stack[-1][0] == depth - 1 else root
        key = str(index)
        owner = text(get(module, "distribution"), "?")
        nodes.append(Node(key, name, parent, number(get(module, "self_ms")) or 0.0, owner))
        stack.append((depth, key))
    return nodes
