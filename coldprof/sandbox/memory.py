"""Resident memory of every process of an environment, sampled and held to a limit.

Lambda limits what a function keeps resident, not the address space it reserves, so the
limit is checked against the summed RSS of every process of the environment (never
RLIMIT_AS): its first process and everything it started, double-forked daemons included (the
environment's cgroup, or coldprof as their subreaper, finds them). The peak of the first
process is the kernel's high-water mark (VmHWM in /proc/PID/status on Linux), so a spike
between two samples still counts. `ru_maxrss` from wait4 cannot serve: on Linux a child's
ru_maxrss includes the parent's resident size at the time of the spawn.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import psutil

MIB = 1024 * 1024
TREE_EVERY_NS = 100_000_000  # between two looks for the other processes (a /proc scan)
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class MemoryWatcher:
    """Samples an environment's resident memory; calls on_exceed once it passes limit_mb.

    Sampling is driven by the caller (every few ms while it waits for the child), so no thread
    competes with the measurement. `pids` lists every process of the environment.
    """

    def __init__(
        self,
        pid: int,
        limit_mb: float,
        on_exceed: Callable[[], None],
        pids: Callable[[], list[int]],
    ):
        self.limit_mb = limit_mb
        self.peak_mb = 0.0
        self.exceeded_mb: float | None = None  # the resident size that broke the limit
        self._on_exceed = on_exceed
        self._root = pid
        self._pids = pids
        self._others: list[int] = []
        self._next_tree_ns = 0

    def sample(self) -> float:
        """Take one sample now (and enforce the limit); returns the peak so far in MiB."""
        if time.perf_counter_ns() >= self._next_tree_ns:
            self._others = [pid for pid in self._pids() if pid != self._root]
            self._next_tree_ns = time.perf_counter_ns() + TREE_EVERY_NS
        others_bytes = sum(_rss_bytes(pid) for pid in self._others)
        now_mb = (_peak_rss_bytes(self._root) + others_bytes) / MIB
        self.peak_mb = max(self.peak_mb, now_mb)
        if now_mb > self.limit_mb and self.exceeded_mb is None:
            self.exceeded_mb = now_mb
            self._on_exceed()
        return self.peak_mb


def _peak_rss_bytes(pid: int) -> int:
    """The process's peak resident bytes (VmHWM) where /proc has it, else its current RSS."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return _rss_bytes(pid)


def _rss_bytes(pid: int) -> int:
    """The process's resident set size, 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_BYTES
    except (OSError, ValueError, IndexError):
        pass
    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0
