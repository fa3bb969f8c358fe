"""Every process of an environment: found, frozen, measured and ended together.

With a cgroup (cgroup.py) membership is exact. Without one, coldprof becomes the subreaper
(PR_SET_CHILD_SUBREAPER): a process orphaned by a double fork is re-parented to coldprof, not
to init. An environment's processes are then its first process's descendants, plus the
orphans that are its own: of its session or process group, carrying its log stream name in
their environment, or, when it is the only environment running, started after it.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable

import psutil

from coldprof.sandbox.cgroup import EXIT_LOOK_S, Cgroup
from coldprof.sandbox.parent import become_subreaper
from coldprof.sandbox.process import spawned_pids
from coldprof.sandbox.syscalls import wait_exited

CGROUP = "cgroup"
SUBREAPER = "subreaper"
SIGNALS = "signals"
KILL_ROUNDS = 20  # stop-and-look rounds before the kill, so nothing forks past it
REAP_WAIT_S = 2.0
MAX_PROCESSES = 100_000  # a fork bomb's tree is not followed past this
MARKER = "AWS_LAMBDA_LOG_STREAM_NAME="  # its value is unique to each environment

_names = itertools.count(1)
_trees: dict[int, ProcessTree] = {}  # first process's pid -> tree, for the orphans' owners
_trees_lock = threading.Lock()


def cpu_clock_ns(pid: int) -> int:
    """A process's CPU time so far, all its threads (0 once it is gone)."""
    try:
        if sys.platform.startswith("linux"):
            return time.clock_gettime_ns(((~pid) << 3) | 2)  # its CPUCLOCK_SCHED clock
        times = psutil.Process(pid).cpu_times()
        return int((times.user + times.system) * 1e9)
    except (OSError, psutil.Error):
        return 0


def send(pids: Iterable[int], signum: int) -> None:
    """Send a signal to each process that is still there."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def new_cgroup() -> Cgroup:
    """The cgroups of an environment about to be spawned (none where none may be made)."""
    return Cgroup(f"coldprof-{os.getpid()}-{next(_names)}")


def confine(pid: int, marker: str, cgroup: Cgroup) -> CgroupMembers | ProcessTree:
    """The processes of the environment whose first process is `pid` (just spawned): its own
    cgroup where one can hold it, else the subreaper's tree. `marker`: its log stream name."""
    if cgroup.join(pid):
        return CgroupMembers(cgroup)
    cgroup.remove()
    return ProcessTree(pid, marker)


class CgroupMembers:
    """An environment's processes held in its cgroup."""

    method = CGROUP

    def __init__(self, cgroup: Cgroup):
        self.cgroup = cgroup
        self.freeze_method = cgroup.freeze_method or SIGNALS

    def pids(self) -> list[int]:
        """Every process of the environment."""
        return self.cgroup.pids()

    def stop(self) -> None:
        """Freeze every process (no thread runs until cont())."""
        if not self.cgroup.freeze(True):
            send(self.pids(), signal.SIGSTOP)

    def cont(self) -> None:
        """Let every process run again."""
        if not self.cgroup.freeze(False):
            send(self.pids(), signal.SIGCONT)

    def cpu_ns(self) -> int:
        """CPU time of the environment's processes so far."""
        total = self.cgroup.cpu_ns()
        return total if total is not None else sum(map(cpu_clock_ns, self.pids()))

    def kill(self) -> None:
        """End every process of the environment."""
        self.cgroup.kill()

    def close(self) -> None:
        """Remove the cgroup (after kill())."""
        self.cgroup.remove()


class ProcessTree:
    """An environment's processes without a cgroup: its descendants and its adopted orphans."""

    method = SUBREAPER
    freeze_method = SIGNALS

    def __init__(self, root: int, marker: str):
        become_subreaper()
        self.root = root
        self._marker = f"{MARKER}{marker}\0".encode()
        self._started = time.time() - 1.0  # create_time is rounded; be lenient
        self._known: set[int] = set()
        with _trees_lock:
            _trees[root] = self

    def pids(self) -> list[int]:
        """Every process of the environment found now (a scan of /proc)."""
        self._known = self._scan()
        return [self.root, *self._known]

    def stop(self) -> None:
        """Stop the process group and every process found so far."""
        with contextlib.suppress(OSError):
            os.killpg(self.root, signal.SIGSTOP)
        send(self._known, signal.SIGSTOP)

    def cont(self) -> None:
        """Continue them."""
        send(self._known, signal.SIGCONT)
        with contextlib.suppress(OSError):
            os.killpg(self.root, signal.SIGCONT)

    def cpu_ns(self) -> int:
        """CPU time of the processes found so far (ended ones no longer count)."""
        return sum(cpu_clock_ns(pid) for pid in (self.root, *self._known))

    def kill(self) -> None:
        """Stop everything (looking again until nothing new appears), then SIGKILL it all."""
        for _ in range(KILL_ROUNDS):
            self.stop()
            before = set(self._known)
            self._known |= self._scan()
            if self._known <= before:
                break
        send(self._known, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.killpg(self.root, signal.SIGKILL)
        _reap(self._known)

    def close(self) -> None:
        """Forget the tree (after kill())."""
        with _trees_lock:
            _trees.pop(self.root, None)

    def owns(self, orphan: psutil.Process) -> bool:
        """Whether an orphan coldprof adopted came from this environment."""
        try:
            environ = _environ(orphan.pid)
            if self._marker in environ:
                return True
            if {os.getsid(orphan.pid), os.getpgid(orphan.pid)} & {self.root, *self._known}:
                return True
            if MARKER.encode() in environ:
                return False  # another environment's
            return len(_trees) == 1 and orphan.create_time() >= self._started
        except (OSError, psutil.Error):
            return False

    def _scan(self) -> set[int]:
        """The root's descendants and this environment's adopted orphans (and theirs)."""
        found = _descendants(self.root)
        for orphan in _orphans():
            if self.owns(orphan):
                found += [orphan.pid, *_descendants(orphan.pid)]
        return {pid for pid in found if pid != self.root}


def _environ(pid: int) -> bytes:
    """A process's initial environment, as /proc has it (empty when unreadable)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as environ:
            return environ.read(1024 * 1024)
    except OSError:
        return b""


def _orphans() -> list[psutil.Process]:
    """coldprof's children that no environment spawned: orphans re-parented to it."""
    with _trees_lock:
        roots = set(_trees)
    spawned = spawned_pids()
    found = []
    for pid in _children(os.getpid()):
        if pid not in roots and pid not in spawned:
            with contextlib.suppress(psutil.Error):
                found.append(psutil.Process(pid))
    return found


def _descendants(pid: int) -> list[int]:
    """A process's children, theirs, and so on."""
    found, pending = [], [pid]
    while pending and len(found) < MAX_PROCESSES:
        children = _children(pending.pop())
        found += children
        pending += children
    return found


def _children(pid: int) -> list[int]:
    """A process's children: what each of its threads lists in /proc (Linux; a look at that
    process only, where psutil reads every process of the machine; exact while they are
    stopped, as they are when an environment ends), else psutil's."""
    if not _children_listed():
        with contextlib.suppress(psutil.Error):
            return [child.pid for child in psutil.Process(pid).children()]
        return []
    found = []
    with contextlib.suppress(OSError):
        for thread in os.listdir(f"/proc/{pid}/task"):
            path = f"/proc/{pid}/task/{thread}/children"
            with contextlib.suppress(OSError), open(path, "rb") as children:
                found += [int(child) for child in children.read().split()]
    return found


@functools.cache
def _children_listed() -> bool:
    """Whether this kernel lists a thread's children in /proc (CONFIG_PROC_CHILDREN)."""
    return os.path.exists(f"/proc/self/task/{threading.get_native_id()}/children")


def _reap(pids: set[int]) -> None:
    """Collect the exit of the killed processes re-parented to coldprof (bounded wait, woken by
    their exits)."""
    pending = set(pids)
    deadline = time.monotonic() + REAP_WAIT_S
    while pending and time.monotonic() < deadline:
        pending = {pid for pid in pending if not _reaped_or_gone(pid)}
        if pending:
            wait_exited(pending, min(EXIT_LOOK_S, deadline - time.monotonic()))


def _reaped_or_gone(pid: int) -> bool:
    """Reap pid if it is coldprof's child; True once it is gone or another parent's zombie."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == pid
    except ChildProcessError:
        pass
    try:
        process = psutil.Process(pid)
        return process.status() == psutil.STATUS_ZOMBIE and process.ppid() != os.getpid()
    except psutil.Error:
        return True
