"""An environment's control groups: every process it starts is a member (double forks and new
sessions included), so all of them are listed, frozen, held to a CPU quota and ended together.

Used where this user may create cgroups: the unified (v2) hierarchy for membership, freezing and
ending (cgroup.kill), and for the CPU quota where its `cpu` controller is enabled; otherwise
the v1 `cpu` and `freezer` hierarchies. Nothing above coldprof's own cgroup is changed (no
controller is enabled on a parent). `COLDPROF_CGROUPS=off` turns them off (the portable
fallbacks are then used: processes.py, cpu_share.py).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from coldprof.sandbox.syscalls import alive, wait_exited

V2 = "cgroup-v2"
V1 = "cgroup-v1"
STALE = re.compile(r"coldprof-(\d+)-\d+")
EMPTY_WAIT_S = 2.0  # how long ending waits for the members to be gone
EXIT_LOOK_S = 0.05  # the members are listed again at least this often while they end
POLL_S = 0.005
T = TypeVar("T")


@dataclass(frozen=True)
class Bases:
    """Where this process may create cgroups: its own cgroup in each usable hierarchy."""

    v2: Path | None = None  # in the unified hierarchy
    v1: dict[str, Path] = field(default_factory=dict)  # "cpu", "freezer" -> its v1 cgroup


def _mountinfo() -> list[tuple[str, str, str, set[str]]]:
    """(mount point, root inside the file system, type, super options) of each cgroup mount."""
    mounts = []
    with open("/proc/self/mountinfo", encoding="utf-8") as table:
        for line in table:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
                mounts.append((fields[4], fields[3], tail[0], set(tail[2].split(","))))
    return mounts


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup per hierarchy: "" for the unified one, else each controller."""
    own = {}
    with open("/proc/self/cgroup", encoding="utf-8") as table:
        for line in table:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                own[controller] = path
    return own


def _located(mount_point: str, root: str, path: str) -> Path | None:
    """The folder of cgroup `path` under a mount of the hierarchy's `root`, if it is mounted."""
    relative = os.path.relpath(path, root)
    if relative.startswith(".."):
        return None
    folder = Path(mount_point, relative).resolve()
    return folder if os.access(folder, os.W_OK) else None


def _find_bases() -> Bases:
    """Our own cgroup in the v2 hierarchy and the v1 cpu and freezer ones, where writable."""
    own = _own_cgroups()
    v2, v1 = None, {}
    for mount_point, root, kind, options in _mountinfo():
        if kind == "cgroup2" and "" in own:
            v2 = v2 or _located(mount_point, root, own[""])
        for controller in ("cpu", "freezer"):
            if kind == "cgroup" and controller in options and controller in own:
                folder = _located(mount_point, root, own[controller])
                if folder is not None:
                    v1.setdefault(controller, folder)
    return Bases(v2, v1)


@functools.cache
def bases() -> Bases:
    """Where environments' cgroups may be made (found once; none with COLDPROF_CGROUPS=off)."""
    if os.environ.get("COLDPROF_CGROUPS", "").lower() in ("off", "0", "no") or os.name != "posix":
        return Bases()
    try:
        found = _find_bases()
    except (OSError, ValueError):
        return Bases()
    for folder in [found.v2, *found.v1.values()]:
        if folder is not None:
            _remove_stale(folder)
    return found


def _remove_stale(base: Path) -> None:
    """End and remove the cgroups a coldprof process that no longer runs left behind."""
    with contextlib.suppress(OSError):
        for entry in base.iterdir():
            match = STALE.fullmatch(entry.name)
            if match and not alive(int(match.group(1))):
                _signal_members(entry, signal.SIGKILL)
                _write(entry / "freezer.state", "THAWED")
                _write(entry / "cgroup.freeze", "0")
                _rmdir(entry, 0.1)


def _write(path: Path, text: str) -> bool:
    """Write a cgroup file; False when it does not exist or refuses the value."""
    try:
        with open(path, "w", encoding="ascii") as control:
            control.write(text)
    except OSError:
        return False
    return True


def _pids(folder: Path) -> list[int]:
    """The processes in a cgroup (empty once it is gone); never coldprof itself (one of its
    threads is in an environment's v1 cgroups while it spawns the environment)."""
    try:
        pids = [int(line) for line in (folder / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []
    return [pid for pid in pids if pid != os.getpid()]


def _signal_members(folder: Path, signum: int) -> None:
    for pid in _pids(folder):
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def _rmdir(folder: Path, wait_s: float) -> None:
    """Remove a cgroup, waiting up to wait_s for its last members to go."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() >= deadline:
                return
            time.sleep(POLL_S)


class Cgroup:
    """One environment's cgroups: made before the spawn, joined by its first process. The
    control files used on every invocation (freeze, CPU time) stay open."""

    def __init__(self, name: str):
        found = bases()
        self.v2 = self._make(found.v2, name)
        self._v2_cpu = self.v2 is not None and (self.v2 / "cpu.max").exists()
        self._v2_freeze = self.v2 is not None and (self.v2 / "cgroup.freeze").exists()
        self.cpu_v1 = None if self._v2_cpu else self._make(found.v1.get("cpu"), name)
        freezer = None if self._v2_freeze else found.v1.get("freezer")
        self.freezer_v1 = self._make(freezer, name)
        self._folders = [f for f in (self.v2, self.cpu_v1, self.freezer_v1) if f is not None]
        self._fds: dict[Path, int] = {}
        self._fds_lock = threading.Lock()  # serve may end an environment from another thread
        self._limit = ("", 0)  # the quota and period written last
        self._born_in: set[Path] = set()  # the v1 cgroups the first process was born in

    @staticmethod
    def _make(base: Path | None, name: str) -> Path | None:
        if base is None:
            return None
        folder = base / name
        try:
            folder.mkdir()
        except OSError:
            return None
        return folder

    @property
    def cpu_method(self) -> str | None:
        """How a CPU quota is set here: V2, V1, or None (no cpu controller)."""
        return V2 if self._v2_cpu else V1 if self.cpu_v1 is not None else None

    @property
    def freeze_method(self) -> str | None:
        """How the members are frozen: V2, V1, or None (then by signals)."""
        return V2 if self._v2_freeze else V1 if self.freezer_v1 is not None else None

    @contextlib.contextmanager
    def spawning_inside(self) -> Iterator[None]:
        """The processes this thread starts meanwhile are born in the v1 cgroups: the thread
        moves itself there and back ("0" in `tasks` moves the writing thread alone, and costs no
        RCU grace period, where moving another process waits for one)."""
        own = bases().v1
        folders = (("cpu", self.cpu_v1), ("freezer", self.freezer_v1))
        entered = [
            (folder, own[name])
            for name, folder in folders
            if folder is not None and _write(folder / "tasks", "0")
        ]
        try:
            yield
        finally:
            for _, back in entered:
                _write(back / "tasks", "0")
        self._born_in = {folder for folder, _ in entered}

    def join(self, pid: int) -> bool:
        """Put the environment's first process in every cgroup it was not born in; False when
        none holds it."""
        self._folders = [
            f for f in self._folders if f in self._born_in or _write(f / "cgroup.procs", str(pid))
        ]
        if self.v2 not in self._folders:
            self.v2, self._v2_cpu, self._v2_freeze = None, False, False
        self.cpu_v1 = self.cpu_v1 if self.cpu_v1 in self._folders else None
        self.freezer_v1 = self.freezer_v1 if self.freezer_v1 in self._folders else None
        return bool(self._folders)

    def pids(self) -> list[int]:
        """Every process of the environment, however it was started."""
        folders = self._folders  # read once: remove(), in another thread, may empty it
        return _pids(folders[0]) if folders else []

    def set_cpus(self, cpus: float | None, period_us: int) -> None:
        """Hold the members to `cpus` CPUs per period (None: no limit)."""
        quota = "max" if cpus is None else str(max(1000, round(cpus * period_us)))
        if (quota, period_us) == self._limit:
            return
        if self._v2_cpu:
            _write(self.v2 / "cpu.max", f"{quota} {period_us}")
        elif self.cpu_v1 is not None:
            if period_us != self._limit[1]:
                _write(self.cpu_v1 / "cpu.cfs_period_us", str(period_us))
            _write(self.cpu_v1 / "cpu.cfs_quota_us", "-1" if cpus is None else quota)
        self._limit = (quota, period_us)

    def freeze(self, frozen: bool) -> bool:
        """Freeze (or thaw) every member at once; False when no freezer is there."""
        if self._v2_freeze:
            return self._write_open(self.v2 / "cgroup.freeze", b"1" if frozen else b"0")
        if self.freezer_v1 is not None:
            state = b"FROZEN" if frozen else b"THAWED"
            return self._write_open(self.freezer_v1 / "freezer.state", state)
        return False

    def cpu_ns(self) -> int | None:
        """CPU time of every member so far, the ended ones included (v2 only), else None."""
        if self.v2 is None:
            return None
        try:
            stat = self._use(self.v2 / "cpu.stat", os.O_RDONLY, lambda fd: os.pread(fd, 4096, 0))
            for line in stat.decode("ascii").splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) * 1000
        except (OSError, ValueError):
            return None
        return None

    def kill(self) -> None:
        """SIGKILL every member and wait (bounded) until they are gone: woken by their exits
        (pidfds), not by a timer."""
        folders = self._folders  # read once: remove(), in another thread, may empty it
        if not folders:
            return
        if self.v2 is None or not _write(self.v2 / "cgroup.kill", "1"):
            self.freeze(True)
            _signal_members(folders[0], signal.SIGKILL)
            self.freeze(False)
        deadline = time.monotonic() + EMPTY_WAIT_S
        while (pids := _pids(folders[0])) and time.monotonic() < deadline:
            _signal_members(folders[0], signal.SIGKILL)
            wait_exited(pids, min(EXIT_LOOK_S, deadline - time.monotonic()))

    def remove(self) -> None:
        """Remove the cgroups (after kill())."""
        with self._fds_lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds = {}
            self._folders, folders = [], self._folders
        for folder in folders:
            _rmdir(folder, EMPTY_WAIT_S)

    def _use(self, path: Path, flags: int, action: Callable[[int], T]) -> T:
        """Run action on a control file's descriptor, opened once (OSError once removed)."""
        with self._fds_lock:
            if not self._folders:
                raise FileNotFoundError(path)
            if path not in self._fds:
                self._fds[path] = os.open(path, flags)
            return action(self._fds[path])

    def _write_open(self, path: Path, value: bytes) -> bool:
        """Write a control file through its open descriptor; False when it refuses."""
        try:
            self._use(path, os.O_WRONLY, lambda fd: os.pwrite(fd, value, 0))
        except OSError:
            return False
        return True
