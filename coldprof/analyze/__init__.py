"""`coldprof analyze`: what a deployment package weighs, why, and what can go."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from coldprof.analyze.model import Context, Runtime
from coldprof.analyze.owners import find_distributions, owner_map
from coldprof.analyze.report import build_result
from coldprof.analyze.result import AnalyzeResult
from coldprof.analyze.rules import run_rules
from coldprof.analyze.runtime import ARCHES, local_runtime
from coldprof.errors import UsageError
from coldprof.package import FUNCTION, layer_import_roots, open_package
from coldprof.package.folder import Observer

DEFAULT_TOP = 10


def scan(
    target: Path,
    layers: Sequence[Path] = (),
    runtime: Runtime | None = None,
    arch: str = "x86_64",
    observer: Observer | None = None,
) -> Context:
    """Read the function and its layers and find which distribution owns each file."""
    if arch not in ARCHES:
        raise UsageError(f"unknown architecture {arch!r}; use one of {', '.join(ARCHES)}")
    runtime = runtime or local_runtime()
    packages = [open_package(Path(target), FUNCTION, ("",), observer)]
    for number, layer in enumerate(layers, start=1):
        roots = layer_import_roots(runtime.version)
        packages.append(open_package(Path(layer), f"layer {number}", roots, observer))
    distributions = [d for p in packages for d in find_distributions(p, runtime, arch)]
    owners = owner_map(packages, distributions)
    return Context(tuple(packages), tuple(distributions), owners, runtime, arch)


def analyze(
    target: Path,
    layers: Sequence[Path] = (),
    runtime: Runtime | None = None,
    arch: str = "x86_64",
    top: int = DEFAULT_TOP,
    observer: Observer | None = None,
    *,
    add: Sequence[str] = (),
    handler: str | None = None,
    repeat: int = 5,
) -> AnalyzeResult:
    """Measure a package (folder or zip) and its layers, and list what can go; with `add`,
    what those packages would add (with `handler`, to init too: `repeat` runs a side)."""
    context = scan(target, layers, runtime, arch, observer)
    result = build_result(context, run_rules(context), top)
    if not add:
        return result
    from coldprof.analyze.add import added_cost  # runs pip and the sandbox: only when asked

    return replace(result, added=added_cost(context, result.limits, add, handler, repeat))
