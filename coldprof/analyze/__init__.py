"""`coldprof analyze`: what a deployment package weighs, why, and what can go."""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from coldprof.analyze.model import Context, Distribution, Runtime
from coldprof.analyze.owners import find_distributions, marker_environment, owner_map
from coldprof.analyze.report import build_result
from coldprof.analyze.requirements import with_requested_extras
from coldprof.analyze.result import AnalyzeResult
from coldprof.analyze.rules import run_rules
from coldprof.analyze.runtime import ARCHES, local_runtime, runtime_named
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig, parse
from coldprof.package import FUNCTION, Package, layer_import_roots, open_package
from coldprof.package.cache import SizeCache, cache_folder, open_cache
from coldprof.package.folder import Observer
from coldprof.package.zipped import verify_members

DEFAULT_TOP = 10
RUNTIME_SDK = "runtime SDK"  # the package name of --runtime-sdk's folder


def _checked_handler(handler: str | None) -> str | None:
    if handler is None:
        return None
    try:
        return parse.handler(handler)
    except ValueError as error:
        raise UsageError(f"--handler {handler!r}: expected {error}") from None


def _size_cache(stack: ExitStack, use: bool, targets: Sequence[Path]) -> SizeCache | None:
    """The size cache, unless turned off or inside what is analysed (never written into)."""
    folder = os.path.realpath(cache_folder())
    for target in targets:
        real = os.path.realpath(target)
        if folder == real or folder.startswith(real.rstrip(os.sep) + os.sep):
            return None
    if not use:
        return None
    cache = open_cache()
    stack.callback(cache.close)
    return cache


def _runtime_sdk(path: Path | None, runtime: Runtime, arch: str) -> tuple[Distribution, ...]:
    """The distributions of --runtime-sdk's folder: what the runtime ships."""
    if path is None:
        return ()
    return tuple(find_distributions(open_package(Path(path), RUNTIME_SDK), runtime, arch))


def _packages(
    target: Path,
    layers: Sequence[Path],
    runtime: Runtime,
    observer: Observer | None,
    cache: SizeCache | None,
) -> list[Package]:
    """The function and its layers, read; every zip member checked once (package/zipped.py)."""
    packages = [open_package(Path(target), FUNCTION, ("",), observer, cache)]
    roots = layer_import_roots(runtime.version)
    for number, layer in enumerate(layers, start=1):
        packages.append(open_package(Path(layer), f"layer {number}", roots, observer, cache))
    for package in packages:
        verify_members(package)
    return packages


def scan(
    target: Path,
    layers: Sequence[Path] = (),
    runtime: Runtime | None = None,
    arch: str = "x86_64",
    observer: Observer | None = None,
    *,
    handler: str | None = None,
    runtime_sdk: Path | None = None,
    cache: bool = True,
    today: datetime.date | None = None,
) -> Context:
    """Read the function and its layers and find which distribution owns each file."""
    if arch not in ARCHES:
        raise UsageError(f"unknown architecture {arch!r}; use one of {', '.join(ARCHES)}")
    handler = _checked_handler(handler)
    runtime = runtime or local_runtime()
    with ExitStack() as stack:
        size_cache = _size_cache(stack, cache, [Path(target), *map(Path, layers)])
        packages = _packages(target, layers, runtime, observer, size_cache)
    found = [d for p in packages for d in find_distributions(p, runtime, arch)]
    distributions = with_requested_extras(found, marker_environment(runtime, arch))
    owners = owner_map(packages, distributions)
    return Context(
        tuple(packages),
        tuple(distributions),
        owners,
        runtime,
        arch,
        handler=handler,
        runtime_sdk=_runtime_sdk(runtime_sdk, runtime, arch),
        today=today or datetime.date.today(),
    )


def analyze(
    target: Path,
    layers: Sequence[Path] = (),
    runtime: Runtime | None = None,
    arch: str = "x86_64",
    top: int = DEFAULT_TOP,
    observer: Observer | None = None,
    *,
    handler: str | None = None,
    runtime_sdk: Path | None = None,
    cache: bool = True,
    add: Sequence[str] = (),
    repeat: int = 5,
) -> AnalyzeResult:
    """Measure a package (folder or zip) and its layers, list what can go and what would fail
    (with `handler`, whether the runtime can import it); with `add`, what those packages would
    add (with `handler`, to init too: `repeat` runs a side)."""
    context = scan(
        target,
        layers,
        runtime,
        arch,
        observer,
        handler=handler,
        runtime_sdk=runtime_sdk,
        cache=cache,
    )
    result = build_result(context, run_rules(context), top)
    if not add:
        return result
    from coldprof.analyze.add import added_cost  # runs pip and the sandbox: only when asked

    return replace(result, added=added_cost(context, result.limits, add, handler, repeat))


def runtime_of(function: FunctionConfig) -> Runtime | None:
    """The function's runtime: as set, else its interpreter's (--python); None: this Python's."""
    if function.runtime is None and function.python is None:
        return None
    return runtime_named(function.runtime_name())


def analyze_function(
    function: FunctionConfig,
    top: int = DEFAULT_TOP,
    observer: Observer | None = None,
    *,
    cache: bool = True,
    add: Sequence[str] = (),
    repeat: int = 5,
) -> AnalyzeResult:
    """analyze() of the function under test: its package, layers, runtime, architecture,
    handler and runtime SDK, as one record describes them for every command."""
    return analyze(
        function.target,
        function.layers,
        runtime_of(function),
        function.arch,
        top,
        observer,
        handler=function.handler,
        runtime_sdk=function.runtime_sdk,
        cache=cache,
        add=add,
        repeat=repeat,
    )
