"""The few Linux system calls the sandbox needs that the os module lacks (prctl, mount, umount2),
through ctypes; on other systems each reports that it is not available. And waiting for
processes to exit without polling (pidfd)."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import select
import time
from collections.abc import Iterable

PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37
MS_NOSUID = 2
MS_NODEV = 4
MNT_DETACH = 2
NO_PIDFD_WAIT_S = 0.001  # where pidfds are missing, how long one wait for an exit sleeps


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library already loaded into this process."""
    return ctypes.CDLL(None, use_errno=True)


def _call(name: str, *args: object) -> int:
    """Call a C library function; OSError with errno when it fails or does not exist here."""
    function = getattr(_libc(), name, None)
    if function is None:
        raise OSError(0, f"{name}() is not available on this system")
    result = function(*args)
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
    return result


def alive(pid: int) -> bool:
    """Whether a process with this pid exists (kill(pid, 0))."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prctl(option: int, value: int = 0) -> int:
    """prctl(2) with one argument."""
    return _call("prctl", ctypes.c_int(option), ctypes.c_ulong(value), 0, 0, 0)


def mount_tmpfs(path: str, size_bytes: int) -> None:
    """Mount a tmpfs of at most size_bytes on path (nosuid, nodev, mode 0700)."""
    options = f"size={size_bytes},mode=0700".encode()
    flags = ctypes.c_ulong(MS_NOSUID | MS_NODEV)
    _call("mount", b"tmpfs", os.fsencode(path), b"tmpfs", flags, options)


def unmount(path: str) -> None:
    """Detach the file system mounted on path (lazily: it goes once nothing uses it)."""
    _call("umount2", os.fsencode(path), ctypes.c_int(MNT_DETACH))


def wait_exited(pids: Iterable[int], timeout_s: float) -> None:
    """Return once every one of pids has exited (its pidfd readable: Linux 5.3+), or after
    timeout_s. Nothing is reaped. Where pidfds are missing, sleep a millisecond instead."""
    fds: list[int] = []
    try:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):  # gone already
                fds.append(os.pidfd_open(pid))
        _wait_readable(fds, timeout_s)
    except (AttributeError, OSError):  # no pidfd here
        time.sleep(min(timeout_s, NO_PIDFD_WAIT_S))
    finally:
        for fd in fds:
            os.close(fd)


def _wait_readable(fds: list[int], timeout_s: float) -> None:
    """Wait until every descriptor is readable, at most timeout_s."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + timeout_s
    pending = len(fds)
    while pending:
        left_ms = max(0, round((deadline - time.monotonic()) * 1000))
        events = poller.poll(left_ms)
        if not events:
            return
        for fd, _ in events:
            poller.unregister(fd)
        pending -= len(events)
