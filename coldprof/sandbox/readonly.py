"""The package read-only for the function, as /var/task is on Lambda.

Where this user may create a mount namespace (root may; others through a user namespace, where
the kernel allows it), the child is started in its own one, in which the task root, the layers
and the runtime's folders are bind-mounted read-only: any write there fails with
`[Errno 30] Read-only file system`, whatever the code uses to write. Elsewhere the child's runtime
installs an audit hook that refuses Python's own writes there with the same error (code that
writes through C or ctypes is not stopped: docs/sandbox.md).
"""

from __future__ import annotations

import ctypes
import functools
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
# statvfs flags that a bind mount keeps (they are locked in a user namespace)
KEPT_FLAGS = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC))
NAMESPACE = "mount-namespace"
AUDIT_HOOK = "audit-hook"


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _mount_flags(folder: str) -> int:
    """The flags a read-only remount of `folder` must keep."""
    flags = os.statvfs(folder).f_flag
    return MS_REMOUNT | MS_BIND | MS_RDONLY | sum(ms for st, ms in KEPT_FLAGS if flags & st)


def read_only_preexec(folders: Sequence[str]) -> Callable[[], None]:
    """A function to run in the child between fork and exec: a new mount namespace in which
    each folder is read-only (raises OSError when the kernel refuses)."""
    libc = _libc()
    remounts = [(folder.encode(), _mount_flags(folder)) for folder in folders]
    uid, gid = os.getuid(), os.getgid()

    def preexec() -> None:
        if uid == 0:
            _check(libc.unshare(CLONE_NEWNS), "unshare")
        else:
            _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare")
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
        _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate")
        for folder, flags in remounts:
            _check(libc.mount(folder, folder, None, MS_BIND | MS_REC, None), "mount --bind")
            _check(libc.mount(None, folder, None, flags, None), "mount -o remount,ro")
        os.chdir(os.getcwd())  # the working directory was entered before: enter it read-only

    return preexec


@functools.cache
def namespace_works() -> bool:
    """True when a child can be started in a mount namespace with a read-only folder here."""
    with tempfile.TemporaryDirectory(prefix="coldprof-probe-") as folder:
        target = os.path.join(folder, "x")
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-S", "-c", f"open({target!r}, 'w')"],
                preexec_fn=read_only_preexec([folder]),
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return b"[Errno 30]" in done.stderr and not os.path.exists(target)


def read_only_mode(asked: str) -> str:
    """The mode to use: the one asked for, or for "auto" a namespace where one works."""
    if asked != "auto":
        return asked
    return NAMESPACE if namespace_works() else AUDIT_HOOK
