"""The dependency graph between the distributions of a package, and what removing one frees.

The graph works on keys: a distribution found twice (in the function and in a layer)
is one node with the union of both requirements. `Distribution.requires` keeps every
requirement that applies on the target, also those on distributions the packages do
not hold; the functions here ignore these (the missing-dependency rule reports them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from coldprof.analyze.model import Distribution


def requirement_graph(distributions: Iterable[Distribution]) -> dict[str, frozenset[str]]:
    """Each distribution key -> the keys it requires that are present."""
    requires: dict[str, set[str]] = defaultdict(set)
    for distribution in distributions:
        requires[distribution.key].update(distribution.requires)
    return {key: frozenset(needed & requires.keys()) for key, needed in requires.items()}


def required_by(distributions: Iterable[Distribution]) -> dict[str, tuple[str, ...]]:
    """Each present distribution key -> the keys of the present distributions requiring it."""
    dependents: dict[str, set[str]] = defaultdict(set)
    for key, needed in requirement_graph(distributions).items():
        for dependency in needed:
            dependents[dependency].add(key)
    return {key: tuple(sorted(keys)) for key, keys in sorted(dependents.items())}


def freed_by(key: str, distributions: Iterable[Distribution]) -> frozenset[str]:
    """The keys removing a distribution frees: it, and each dependency nothing staying needs."""
    return _Removal(requirement_graph(distributions)).freed(key)


def removal_savings(
    distributions: Iterable[Distribution], bytes_of: Callable[[str], int]
) -> dict[str, int]:
    """Each present key -> the bytes removing it frees, for every key in one near-linear pass."""
    return _Removal(requirement_graph(distributions)).savings(bytes_of)


class _Removal:
    """What removing each distribution frees, found for all of them at once.

    Removing K keeps every distribution K does not reach and what those need without going
    through K; the rest is freed. Add a root R and, for each source component C (distributions
    requiring each other that nothing outside requires), a node C* with R -> C* -> each member
    of C. Then removing K frees exactly the keys K dominates from R; when K is in a source
    component C, nothing else reaches C and every member of C frees what C* dominates.
    Components (Kosaraju) and dominators (Lengauer-Tarjan) take near-linear time in the keys
    plus requirements, where asking each key on its own took keys x (keys + requirements).
    """

    def __init__(self, graph: dict[str, frozenset[str]]):
        self.keys = sorted(graph)
        number = {key: index for index, key in enumerate(self.keys)}
        successors = [sorted(number[k] for k in graph[key]) for key in self.keys]
        component = _components(successors)
        sources = _source_components(successors, component)
        virtual = {c: len(self.keys) + i for i, c in enumerate(sources)}
        members: dict[int, list[int]] = defaultdict(list)
        for node, c in enumerate(component):
            if c in virtual:
                members[c].append(node)
        successors += [members[c] for c in sources]
        root = len(successors)
        successors.append(list(virtual.values()))
        self.idom, self.order = _dominators(successors, root)
        self.node = {  # the dominator-tree node standing for each key
            key: virtual.get(component[index], index) for index, key in enumerate(self.keys)
        }

    def savings(self, bytes_of: Callable[[str], int]) -> dict[str, int]:
        total = [0] * len(self.idom)
        for index, key in enumerate(self.keys):
            total[index] = bytes_of(key)
        for node in reversed(self.order[1:]):
            total[self.idom[node]] += total[node]
        return {key: total[self.node[key]] for key in self.keys}

    def freed(self, key: str) -> frozenset[str]:
        if key not in self.node:
            return frozenset()
        children: dict[int, list[int]] = defaultdict(list)
        for node in self.order[1:]:
            children[self.idom[node]].append(node)
        stack, found = [self.node[key]], set()
        while stack:
            node = stack.pop()
            found.add(node)
            stack.extend(children[node])
        return frozenset(self.keys[n] for n in found if n < len(self.keys))


def _postorder(successors: list[list[int]]) -> list[int]:
    """Every node in depth-first postorder (iterative: chains of any length)."""
    seen = [False] * len(successors)
    order = []
    for start in range(len(successors)):
        if seen[start]:
            continue
        seen[start] = True
        stack = [(start, iter(successors[start]))]
        while stack:
            node, pending = stack[-1]
            for target in pending:
                if not seen[target]:
                    seen[target] = True
                    stack.append((target, iter(successors[target])))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _components(successors: list[list[int]]) -> list[int]:
    """The strongly connected component of each node, named by one of its nodes (Kosaraju)."""
    predecessors: list[list[int]] = [[] for _ in successors]
    for node, targets in enumerate(successors):
        for target in targets:
            predecessors[target].append(node)
    component = [-1] * len(successors)
    for start in reversed(_postorder(successors)):
        if component[start] != -1:
            continue
        component[start] = start
        stack = [start]
        while stack:
            for other in predecessors[stack.pop()]:
                if component[other] == -1:
                    component[other] = start
                    stack.append(other)
    return component


def _source_components(successors: list[list[int]], component: list[int]) -> list[int]:
    """The components no edge enters from another component, in order."""
    entered = {
        component[t] for n, ts in enumerate(successors) for t in ts if component[t] != component[n]
    }
    return sorted({c for c in component if c not in entered})


def _preorder(successors: list[list[int]], root: int) -> tuple[list[int], list[int]]:
    """(nodes reachable from root in depth-first preorder, each node's depth-first parent)."""
    seen = [False] * len(successors)
    parent = [-1] * len(successors)
    order = []
    stack = [(root, -1)]
    while stack:
        node, via = stack.pop()
        if seen[node]:
            continue
        seen[node] = True
        parent[node] = via
        order.append(node)
        stack.extend((target, node) for target in reversed(successors[node]) if not seen[target])
    return order, parent


def _dominators(successors: list[list[int]], root: int) -> tuple[list[int], list[int]]:
    """(immediate dominator of each node, the preorder) of a graph whose nodes root reaches.

    Lengauer and Tarjan's algorithm with path compression (its simple version).
    """
    order, parent = _preorder(successors, root)
    semi = [0] * len(successors)  # semidominator, as a preorder number
    for number, node in enumerate(order):
        semi[node] = number
    predecessors: list[list[int]] = [[] for _ in successors]
    for node in order:
        for target in successors[node]:
            predecessors[target].append(node)
    forest = _Forest(semi)
    idom = [root] * len(successors)
    bucket: list[list[int]] = [[] for _ in successors]
    for node in reversed(order[1:]):
        for other in predecessors[node]:
            semi[node] = min(semi[node], semi[forest.eval(other)])
        bucket[order[semi[node]]].append(node)
        up = parent[node]
        forest.ancestor[node] = up
        for waiting in bucket[up]:
            best = forest.eval(waiting)
            idom[waiting] = best if semi[best] < semi[waiting] else up
        bucket[up].clear()
    for node in order[1:]:
        if idom[node] != order[semi[node]]:
            idom[node] = idom[idom[node]]
    return idom, order


class _Forest:
    """Lengauer-Tarjan's link/eval forest: the node of least semidominator on a path."""

    def __init__(self, semi: list[int]):
        self.semi = semi
        self.ancestor = [-1] * len(semi)
        self.label = list(range(len(semi)))

    def eval(self, node: int) -> int:
        if self.ancestor[node] == -1:
            return node
        self._compress(node)
        return self.label[node]

    def _compress(self, node: int) -> None:
        """Shorten the path above `node` (iteratively), keeping the least label on it."""
        path = []
        while self.ancestor[self.ancestor[node]] != -1:
            path.append(node)
            node = self.ancestor[node]
        for step in reversed(path):
            above = self.ancestor[step]
            if self.semi[self.label[above]] < self.semi[self.label[step]]:
                self.label[step] = self.label[above]
            self.ancestor[step] = self.ancestor[above]
