"""What the findings free together, each file counted once.

A finding's paths are files or folders of one package; removing a folder removes every file
under it. Two findings naming the same file (pyarrow's include/arrow/testing is both C
sources and a testing folder) free it once. A finding that frees only part of each file
(debug-symbols: the sections `strip` removes) counts that part, unless another finding
removes the whole file.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable

from coldprof.analyze.model import Context
from coldprof.analyze.result import Finding
from coldprof.package.model import Package

PARTIAL_RULES = frozenset({"debug-symbols"})  # their path_bytes are parts of each file


class _Files:
    """A package's files sorted by path, for "every file under this path" lookups."""

    def __init__(self, package: Package):
        self.paths = sorted(entry.path for entry in package.files)
        self.sizes = {entry.path: entry.unzipped_bytes for entry in package.files}

    def under(self, path: str) -> list[str]:
        """The file `path` itself, or every file under the folder `path`."""
        if path in self.sizes:
            return [path]
        prefix = path.rstrip("/") + "/"
        start = bisect.bisect_left(self.paths, prefix)
        end = bisect.bisect_left(self.paths, prefix[:-1] + "0")  # "0" sorts right after "/"
        return self.paths[start:end]


def with_path_bytes(context: Context, findings: Iterable[Finding]) -> list[Finding]:
    """The findings with path_bytes filled in for those that save whole files."""
    files = {package.name: _Files(package) for package in context.packages}
    filled = []
    for finding in findings:
        if finding.bytes > 0 and not finding.path_bytes and finding.package in files:
            index = files[finding.package]
            sizes = tuple(sum(index.sizes[f] for f in index.under(p)) for p in finding.paths)
            finding = dataclasses.replace(finding, path_bytes=sizes)
        filled.append(finding)
    return filled


def removable_bytes(context: Context, findings: Iterable[Finding]) -> int:
    """The unzipped bytes acting on every finding frees, each file counted once."""
    files = {package.name: _Files(package) for package in context.packages}
    whole: dict[tuple[str, str], int] = {}
    partial: dict[tuple[str, str], int] = {}
    for finding in findings:
        if finding.bytes <= 0 or finding.package not in files:
            continue
        index = files[finding.package]
        for path, size in zip(finding.paths, finding.path_bytes, strict=False):
            if finding.rule in PARTIAL_RULES:
                key = (finding.package, path)
                partial[key] = max(partial.get(key, 0), size)
                continue
            for file in index.under(path):
                whole[(finding.package, file)] = index.sizes[file]
    return sum(whole.values()) + sum(b for key, b in partial.items() if key not in whole)
