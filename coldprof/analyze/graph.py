"""The dependency graph between the distributions of a package, and what removing one frees.

The graph works on keys: a distribution found twice (in the function and in a layer)
is one node with the union of both requirements. `Distribution.requires` keeps every
requirement that applies on the target, also those on distributions the packages do
not hold; `missing_requirements` lists these, and the other functions ignore them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable

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


def missing_requirements(distributions: Iterable[Distribution]) -> dict[str, tuple[str, ...]]:
    """Each distribution key -> the keys it requires that no distribution present provides."""
    distributions = list(distributions)
    present = {distribution.key for distribution in distributions}
    missing: dict[str, set[str]] = defaultdict(set)
    for distribution in distributions:
        missing[distribution.key].update(set(distribution.requires) - present)
    return {key: tuple(sorted(keys)) for key, keys in sorted(missing.items()) if keys}


def freed_by(key: str, distributions: Iterable[Distribution]) -> frozenset[str]:
    """The keys removing a distribution frees: it, and each dependency nothing staying needs."""
    graph = requirement_graph(distributions)
    if key not in graph:
        return frozenset()
    reached = _reachable({key}, graph, blocked=frozenset())
    kept = _reachable(graph.keys() - reached, graph, blocked={key})
    return frozenset(reached - kept)


def removal_saves(
    key: str, distributions: Iterable[Distribution], bytes_of: Callable[[str], int]
) -> int:
    """The bytes removing a distribution frees (see freed_by), each key sized by bytes_of."""
    return sum(bytes_of(freed) for freed in freed_by(key, distributions))


def _reachable(
    starts: Collection[str], graph: dict[str, frozenset[str]], blocked: Collection[str]
) -> set[str]:
    """Every key reachable from the starts (included), never entering a blocked key."""
    seen = set(starts) - set(blocked)
    stack = list(seen)
    while stack:
        for dependency in graph.get(stack.pop(), ()):
            if dependency not in seen and dependency not in blocked:
                seen.add(dependency)
                stack.append(dependency)
    return seen
