"""Files never loaded: the package's files (function and layers) that init and the events
neither imported nor opened, measured by the usage run (an audit hook on `open`, each imported
module's file, and the shared libraries mapped into the process), grouped by distribution.

Advisory only: other events may load other files; a file read by native code through its own
open() (a CA bundle OpenSSL reads, a C library's data file) is not seen; dist-info metadata is
left out (importlib.metadata reads it on demand, and slim always keeps it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from coldprof.analyze.model import Context
from coldprof.analyze.rules.common import is_metadata
from coldprof.imports.attribution import Located, located_origin
from coldprof.imports.result import FilesSeen, UnloadedDistribution, UnloadedFile
from coldprof.package.model import Package
from coldprof.sandbox import InvokeResult

Loaded = dict[str, set[str]]  # package name ("function", "layer 1", ...) -> paths in it


def package_name(index: int) -> str:
    """The package a usage report's root index names: 0 the function, N layer N."""
    return "function" if index == 0 else f"layer {index}"


def loaded_files(results: Sequence[InvokeResult]) -> Loaded:
    """Every package file the usage run's invocations reported loaded, by package."""
    loaded: Loaded = {}
    for result in results:
        for index, path in result.usage.files if result.usage else ():
            loaded.setdefault(package_name(index), set()).add(path)
    return loaded


def unloaded_paths(package: Package, loaded: Loaded) -> frozenset[str]:
    """The paths of one package's files never loaded (metadata left out)."""
    seen = loaded.get(package.name, set())
    return frozenset(
        entry.path
        for entry in package.files
        if entry.path not in seen and not is_metadata(entry.path)
    )


def unloaded_files(
    context: Context, loaded: Loaded
) -> tuple[list[UnloadedFile], list[UnloadedDistribution], FilesSeen]:
    """The files never loaded (largest first), their rollup per distribution (most bytes first),
    and the package's totals; metadata files are left out of all three."""
    files: list[UnloadedFile] = []
    totals: dict[tuple[str, str], list[int]] = {}  # (distribution, category) -> [files, bytes, all]
    counts: Counter[str] = Counter()
    for package, entry in context.entries():
        if is_metadata(entry.path):
            continue
        origin = located_origin(Located(package, entry.path, context))
        total = totals.setdefault((origin.distribution, origin.category), [0, 0, 0])
        total[2] += entry.unzipped_bytes
        counts.update(files=1, bytes=entry.unzipped_bytes)
        if entry.path in loaded.get(package.name, ()):
            counts.update(loaded_files=1, loaded_bytes=entry.unzipped_bytes)
            continue
        total[0], total[1] = total[0] + 1, total[1] + entry.unzipped_bytes
        files.append(
            UnloadedFile(
                path=entry.path,
                bytes=entry.unzipped_bytes,
                package=package.name,
                distribution=origin.distribution,
            )
        )
    files.sort(key=lambda row: (-row.bytes, row.package, row.path))
    seen = FilesSeen(
        files=counts["files"],
        bytes=counts["bytes"],
        loaded_files=counts["loaded_files"],
        loaded_bytes=counts["loaded_bytes"],
    )
    return files, _rollup(totals, seen.bytes), seen


def _rollup(
    totals: dict[tuple[str, str], list[int]], package_bytes: int
) -> list[UnloadedDistribution]:
    rows = [
        UnloadedDistribution(
            name=name,
            category=category,
            files=count,
            bytes=size,
            share=size / package_bytes if package_bytes else 0.0,
            distribution_bytes=whole,
        )
        for (name, category), (count, size, whole) in totals.items()
        if count
    ]
    return sorted(rows, key=lambda row: (-row.bytes, row.name))
