"""Resident memory of a child's process tree, sampled and held to a limit.

Lambda limits what a function keeps resident, not the address space it reserves, so the
limit is checked against the summed RSS of the child and its descendants (never RLIMIT_AS).
The peak of the child itself is the kernel's high-water mark (VmHWM in /proc/PID/status on
Linux), so a spike between two samples still counts. `ru_maxrss` from wait4 cannot serve:
on Linux a child's ru_maxrss includes the parent's resident size at the time of the spawn.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psutil

MIB = 1024 * 1024
TREE_EVERY_NS = 100_000_000  # between two looks for descendants (a full /proc scan)


class MemoryWatcher:
    """Samples a process tree's resident memory; calls on_exceed once it passes limit_mb.

    The child's own peak (VmHWM) counts, so a spike between two samples still breaks the limit.
    Sampling is driven by the caller (every few ms while it waits for the child), so no thread
    competes with the measurement.
    """

    def __init__(self, pid: int, limit_mb: float, on_exceed: Callable[[], None]):
        self.limit_mb = limit_mb
        self.peak_mb = 0.0
        self.exceeded_mb: float | None = None  # the resident size that broke the limit
        self._on_exceed = on_exceed
        self._root = psutil.Process(pid)
        self._tree: list[psutil.Process] = [self._root]
        self._next_tree_ns = time.perf_counter_ns() + TREE_EVERY_NS

    def sample(self) -> float:
        """Take one sample now (and enforce the limit); returns the peak so far in MiB."""
        if time.perf_counter_ns() >= self._next_tree_ns:
            self._tree = [self._root, *self._descendants()]
            self._next_tree_ns = time.perf_counter_ns() + TREE_EVERY_NS
        others_bytes = sum(_rss_bytes(process) for process in self._tree[1:])
        now_mb = (_peak_rss_bytes(self._root) + others_bytes) / MIB
        self.peak_mb = max(self.peak_mb, now_mb)
        if now_mb > self.limit_mb and self.exceeded_mb is None:
            self.exceeded_mb = now_mb
            self._on_exceed()
        return self.peak_mb

    def _descendants(self) -> list[psutil.Process]:
        try:
            return self._root.children(recursive=True)
        except psutil.Error:
            return []


def _peak_rss_bytes(process: psutil.Process) -> int:
    """The process's peak resident bytes (VmHWM) where /proc has it, else its current RSS."""
    try:
        with open(f"/proc/{process.pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return _rss_bytes(process)


def _rss_bytes(process: psutil.Process) -> int:
    """The process's resident set size, 0 once it is gone."""
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0
