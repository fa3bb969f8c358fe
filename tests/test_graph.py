"""The dependency graph: metadata against the real pipdeptree, and what removing a package frees."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from coldprof.analyze import scan
from coldprof.analyze.graph import (
    freed_by,
    removal_savings,
    required_by,
)
from coldprof.analyze.model import Distribution
from pipdeptree_oracle import graph_from_pipdeptree, pipdeptree_json


def metadata_graph(folder: Path) -> dict[str, tuple[str, ...]]:
    """The graph coldprof reads from the metadata, for the Python running the tests."""
    return {d.key: d.requires for d in scan(folder).distributions}


def owned_bytes(folder: Path) -> Counter[str]:
    context = scan(folder)
    sizes = {entry.path: entry.unzipped_bytes for entry in context.packages[0].files}
    owned: Counter[str] = Counter()
    for (_, path), key in context.owners.items():
        owned[key] += sizes[path]
    return owned


def pipdeptree_computed(folder: Path) -> dict[str, dict]:
    """pipdeptree's own size and unique-dependency figures for each distribution."""
    entries = pipdeptree_json(folder, "-c", "size-raw,unique-deps-names")
    return {entry["package"]["key"]: entry["package"]["computed"] for entry in entries}


def dist(key: str, *requires: str) -> Distribution:
    return Distribution(
        key, key, "1", "function", f"{key}-1.dist-info", (), (), requires, (), "RECORD"
    )


@pytest.fixture(scope="module")
def extras_target(pip_target: Callable[..., Path]) -> Path:
    return pip_target("jsonschema", "requests[socks]", "tabulate")


def test_metadata_graph_agrees_with_pipdeptree_on_the_sdk(sdk_target: Path):
    graph = metadata_graph(sdk_target)
    assert graph == graph_from_pipdeptree(sdk_target)
    assert graph["botocore"] == ("jmespath", "python-dateutil", "urllib3")


def test_metadata_graph_agrees_with_pipdeptree_with_markers_and_extras(extras_target: Path):
    graph = metadata_graph(extras_target)
    assert graph == graph_from_pipdeptree(extras_target)
    assert graph["requests"] == ("certifi", "charset-normalizer", "idna", "urllib3")


def test_missing_requirements_stay_in_both_graphs(pip_target: Callable[..., Path]):
    folder = pip_target("requests", extra=("--no-deps",))
    expected = ("certifi", "charset-normalizer", "idna", "urllib3")
    assert graph_from_pipdeptree(folder) == {"requests": expected}
    assert metadata_graph(folder) == {"requests": expected}
    assert required_by(scan(folder).distributions) == {}


def test_required_by_lists_the_present_dependents(sdk_target: Path):
    dependents = required_by(scan(sdk_target).distributions)
    assert dependents["urllib3"] == ("botocore", "requests")
    assert dependents["botocore"] == ("boto3", "s3transfer")
    assert dependents["six"] == ("python-dateutil",)
    assert "boto3" not in dependents


def test_a_shared_dependency_is_never_counted_as_freed(sdk_target: Path):
    distributions = scan(sdk_target).distributions
    assert freed_by("requests", distributions) == {
        "requests",
        "certifi",
        "charset-normalizer",
        "idna",
    }
    assert freed_by("boto3", distributions) == {
        "boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six",
    }  # fmt: skip
    assert freed_by("botocore", distributions) == {"botocore", "python-dateutil", "six"}
    assert freed_by("urllib3", distributions) == {"urllib3"}
    assert freed_by("not-installed", distributions) == frozenset()


def test_freed_sets_agree_with_pipdeptree_unique_deps(sdk_target: Path, extras_target: Path):
    for folder in (sdk_target, extras_target):
        distributions = scan(folder).distributions
        for key, computed in pipdeptree_computed(folder).items():
            assert freed_by(key, distributions) == {key, *computed["unique_deps_names"]}, key


def test_removal_saves_sums_the_freed_bytes(sdk_target: Path):
    distributions = scan(sdk_target).distributions
    owned = owned_bytes(sdk_target)
    saves = removal_savings(distributions, owned.__getitem__)
    freed = ("requests", "certifi", "charset-normalizer", "idna")
    assert saves["requests"] == sum(owned[k] for k in freed)
    assert saves["boto3"] > owned["botocore"] > 20_000_000  # botocore alone weighs 20+ MB
    assert saves["six"] == owned["six"]


def test_owned_bytes_match_pipdeptree_sizes_plus_console_scripts(sdk_target: Path):
    owned = owned_bytes(sdk_target)
    computed = pipdeptree_computed(sdk_target)
    for distribution in scan(sdk_target).distributions:
        in_bin = sum(
            (sdk_target / path).stat().st_size
            for path in distribution.files
            if path.startswith("bin/")
        )
        assert owned[distribution.key] == computed[distribution.key]["size_raw"] + in_bin
    assert owned["charset-normalizer"] > computed["charset-normalizer"]["size_raw"]


def test_cycles_terminate_and_free_the_whole_cycle():
    cycle = [dist("a", "b"), dist("b", "a"), dist("c", "a"), dist("d")]
    assert freed_by("a", cycle) == {"a", "b"}
    assert freed_by("c", cycle) == {"c", "a", "b"}
    assert freed_by("d", cycle) == {"d"}
    assert required_by(cycle) == {"a": ("b", "c"), "b": ("a",)}
    assert removal_savings(cycle, {"a": 10, "b": 20, "c": 5, "d": 1}.__getitem__)["c"] == 35


def test_a_key_found_in_the_function_and_a_layer_is_one_node():
    layer_copy = Distribution(
        "b", "b", "2", "layer 1", "python/b-2.dist-info", (), (), ("e",), (), "RECORD"
    )
    distributions = [dist("a", "b"), dist("b"), layer_copy, dist("e")]
    assert required_by(distributions) == {"b": ("a",), "e": ("b",)}
    assert freed_by("a", distributions) == {"a", "b", "e"}


def freed_by_definition(key: str, graph: dict[str, set[str]]) -> set[str]:
    """The definition, asked one key at a time: removing `key` keeps every key it does not
    reach and whatever those reach without passing through it; the rest is freed."""

    def reach(starts: set[str], blocked: str | None) -> set[str]:
        seen, stack = set(starts), list(starts)
        while stack:
            for other in graph[stack.pop()]:
                if other not in seen and other != blocked:
                    seen.add(other)
                    stack.append(other)
        return seen

    reached = reach({key}, None)
    return reached - reach(set(graph) - reached, key)


def test_all_savings_at_once_match_the_definition_on_random_graphs():
    rng = random.Random(12)
    for _ in range(400):
        keys = [f"d{n}" for n in range(rng.randint(1, 12))]
        density = rng.choice([0.05, 0.15, 0.3, 0.6])
        graph = {k: {o for o in keys if o != k and rng.random() < density} for k in keys}
        distributions = [dist(k, *sorted(graph[k])) for k in keys]
        sizes = {k: rng.randint(1, 1000) for k in keys}
        savings = removal_savings(distributions, sizes.__getitem__)
        for key in keys:
            expected = freed_by_definition(key, graph)
            assert freed_by(key, distributions) == expected, (graph, key)
            assert savings[key] == sum(sizes[k] for k in expected), (graph, key)


@pytest.mark.parametrize("shape", ["ring", "every-requires-every"])
def test_savings_of_a_long_ring_and_a_dense_clique_are_exact(shape):
    """A ring of 5,000 (each frees them all; no recursion limit is hit) and 150 requiring
    each other (22,350 edges). Their timing at 10x is benchmarks/input_growth.py's."""
    size = 5000 if shape == "ring" else 150
    keys = [f"d{n}" for n in range(size)]
    if shape == "ring":
        distributions = [dist(k, keys[(n + 1) % size]) for n, k in enumerate(keys)]
    else:
        distributions = [dist(k, *(o for o in keys if o != k)) for k in keys]
    savings = removal_savings(distributions, lambda key: 1)
    assert set(savings.values()) == {size}
    assert freed_by("d7", distributions) == set(keys)
