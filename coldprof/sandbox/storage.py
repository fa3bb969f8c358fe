"""An environment's /tmp (its TMPDIR), bounded as Lambda's ephemeral storage is.

Where this user may mount a file system, the folder is a tmpfs of exactly the size: a write past
it fails with ENOSPC (`OSError: [Errno 28] No space left on device`), as on Lambda. Otherwise
the parent watches the usage (every 100 ms while the function runs, and after each phase) and
ends the invocation once it is past the size. The peak used is reported either way (sampled:
a file written and removed between two samples is not seen). `COLDPROF_TMPFS=off` forces the
watch. A tmpfs left by a coldprof that was killed (SIGKILL: nothing could clean up) is
unmounted by the next one: the folder's name holds the pid of the coldprof that made it.

A folder a tmpfs is mounted on is made in /dev/shm, a RAM file system: making and removing it
there costs microseconds, where a disk's journal may take milliseconds of every cold start. A
watched folder stays in the temporary folder (tempfile's), on the disk: what the handler writes
there must not fill the machine's memory.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import tempfile
import time

from coldprof.sandbox import syscalls

TMPFS = "tmpfs"
WATCHED = "watched"
MIB = 1024 * 1024
WATCH_EVERY_NS = 100_000_000  # between two walks of a watched folder
MAX_ENTRIES = 100_000  # a walk stops counting here: a flood of files cannot stall the parent
PREFIX = "coldprof-tmp-"  # then coldprof's pid: a folder of a coldprof that was killed is known
STALE = re.compile(rf"{PREFIX}(\d+)-")
ESCAPED = re.compile(r"\\([0-7]{3})")  # mountinfo writes a space as \040
RAM_FOLDER = "/dev/shm"  # where the folders a tmpfs is mounted on are made
PROBE_BYTES = 1024 * 1024


def folder_prefix() -> str:
    """The name an environment's /tmp folder starts with (`tempfile.mkdtemp(prefix=...)`)."""
    return f"{PREFIX}{os.getpid()}-"


@functools.cache
def unmount_stale() -> None:
    """Unmount and remove the /tmp of environments whose coldprof was killed (once a process)."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as table:
            mount_points = [line.split()[4] for line in table if " - tmpfs " in line]
    except OSError:
        return
    for escaped in mount_points:
        mount_point = ESCAPED.sub(lambda m: chr(int(m.group(1), 8)), escaped)
        match = STALE.match(os.path.basename(mount_point))
        if match and not syscalls.alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                syscalls.unmount(mount_point)
                os.rmdir(mount_point)
    with contextlib.suppress(OSError):  # mount points not mounted yet, or unmounted already
        for entry in os.scandir(RAM_FOLDER):
            match = STALE.match(entry.name)
            if match and not syscalls.alive(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.rmdir(entry.path)


def _tmpfs_off() -> bool:
    """COLDPROF_TMPFS=off: watch /tmp even where a tmpfs could be mounted."""
    return os.environ.get("COLDPROF_TMPFS", "").lower() in ("off", "0", "no")


@functools.cache
def _mounts_in_ram() -> bool:
    """Whether this process may mount a tmpfs on a folder of the RAM file system (tried once)."""
    if not os.access(RAM_FOLDER, os.W_OK):
        return False
    folder = tempfile.mkdtemp(prefix=folder_prefix(), dir=RAM_FOLDER)
    try:
        syscalls.mount_tmpfs(folder, PROBE_BYTES)
        syscalls.unmount(folder)
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(folder)
    return True


def make_folder() -> str:
    """A new folder for an environment's /tmp: in the RAM file system where a tmpfs will be
    mounted on it, else in the temporary folder."""
    in_ram = not _tmpfs_off() and _mounts_in_ram()
    return tempfile.mkdtemp(prefix=folder_prefix(), dir=RAM_FOLDER if in_ram else None)


def _mount(folder: str, size_mb: int) -> bool:
    """Mount a tmpfs of size_mb on folder; False where this user may not."""
    if _tmpfs_off():
        return False
    unmount_stale()
    try:
        syscalls.mount_tmpfs(folder, size_mb * MIB)
    except OSError:
        return False
    return True


def _used_bytes_tmpfs(folder: str) -> int:
    stats = os.statvfs(folder)
    return (stats.f_blocks - stats.f_bfree) * stats.f_frsize


def _used_bytes_walked(folder: str) -> int:
    """Bytes allocated under folder (links not followed), up to MAX_ENTRIES entries."""
    total, seen, pending = 0, 0, [folder]
    while pending and seen < MAX_ENTRIES:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            try:
                info = entry.stat(follow_symlinks=False)
                total += info.st_blocks * 512
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
            except OSError:
                continue
    return total


class EphemeralStorage:
    """The environment's /tmp folder, its size enforced and its peak use sampled."""

    def __init__(self, folder: str, size_mb: int):
        self.folder = folder
        self.size_mb = size_mb
        self.method = TMPFS if _mount(folder, size_mb) else WATCHED
        self.peak_mb = 0.0
        self.exceeded_mb: float | None = None  # the usage that broke the limit (watched only)
        self._next_walk_ns = 0

    def sample(self, now: bool = False) -> bool:
        """Take the usage (a watched folder: at most every 100 ms unless `now`); True when this
        sample is the first past the size."""
        if self.method == TMPFS:
            used = _used_bytes_tmpfs(self.folder)
        elif now or time.perf_counter_ns() >= self._next_walk_ns:
            used = _used_bytes_walked(self.folder)
            self._next_walk_ns = time.perf_counter_ns() + WATCH_EVERY_NS
        else:
            return False
        self.peak_mb = max(self.peak_mb, used / MIB)
        if used > self.size_mb * MIB and self.exceeded_mb is None:
            self.exceeded_mb = used / MIB
            return True
        return False


def remove(folder: str) -> None:
    """Remove an environment's /tmp: its tmpfs unmounted if it has one (even one mounted just
    as an interruption came), then the folder and what it holds."""
    if os.path.ismount(folder):
        with contextlib.suppress(OSError):
            syscalls.unmount(folder)
    shutil.rmtree(folder, ignore_errors=True)
