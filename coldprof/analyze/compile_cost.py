"""What compiling modules costs: the ms a cold start spends on modules without valid bytecode.

Sources are compiled with compile() (never run) and timed in this thread's CPU time, within
a budget per analysis; past it, the rest is scaled from the measured ms per source byte. So
the figure is this machine's: Lambda gives a function one vCPU at 1,769 MB and a share of
one below that, where the same work takes proportionally longer.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass

from coldprof.package.model import FileEntry, Package

BUDGET_S = 0.5  # CPU seconds of compiling per analysis; the rest is scaled by bytes
SOURCE_LIMIT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class CompileCost:
    """The estimated ms to compile some modules, and how many of them were timed."""

    ms: float
    timed: int
    modules: int


class CompileTimer:
    """Times compile() over modules within one budget shared by every call."""

    def __init__(self, budget_s: float = BUDGET_S):
        self.left_s = budget_s

    def _time(self, package: Package, entry: FileEntry) -> float | None:
        data = package.read(entry.path, SOURCE_LIMIT_BYTES)
        if data is None:
            return None
        start = time.thread_time()
        try:
            compile(data, entry.path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        spent = time.thread_time() - start
        self.left_s -= spent
        return spent

    def cost(self, package: Package, sources: list[FileEntry]) -> CompileCost | None:
        """The compile cost of the sources (spread over the package: a stable sample order)."""
        ordered = sorted(sources, key=lambda e: zlib.crc32(e.path.encode("utf-8", "replace")))
        spent_s = timed_bytes = timed = 0
        for entry in ordered:
            if self.left_s <= 0:
                break
            seconds = self._time(package, entry)
            if seconds is not None:
                spent_s += seconds
                timed_bytes += entry.unzipped_bytes
                timed += 1
        if not timed:
            return None
        total_bytes = sum(e.unzipped_bytes for e in sources)
        scale = total_bytes / timed_bytes if timed_bytes else 1.0
        return CompileCost(spent_s * 1000 * scale, timed, len(sources))
