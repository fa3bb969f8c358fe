"""The package read-only for the function, as /var/task is on Lambda: which way this machine allows.

The child's runtime does it itself, first thing (bootstrap.py, protect()): where this user may
create a mount namespace (root may; others through a user namespace, where the kernel allows
it), it enters its own, in which the task root, the layers and the runtime's folders are
bind-mounted read-only, so any write there fails with `[Errno 30] Read-only file system`,
whatever the code uses to write. Elsewhere it installs an audit hook that refuses Python's own
writes there with the same error. The child reports which one it used; this module tells,
without starting an environment, which one it will use. Where it is the audit hook, the
package's listing is compared after each phase, so a write the hook does not see is reported.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path

from coldprof.sandbox.interpreter import BOOTSTRAP_SOURCE
from coldprof.sandbox.process import run_to_end

NAMESPACE = "mount-namespace"
AUDIT_HOOK = "audit-hook"
PROBE_TIMEOUT_S = 30.0
# Runs the runtime's own mount_read_only() on a folder, then tries to write into it.
PROBE = """import sys
found = {"__name__": "coldprof_probe"}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), found)
found["mount_read_only"]([sys.argv[2]])
open(sys.argv[2] + "/probe", "w")
"""


@functools.cache
def namespace_works(executable: str) -> bool:
    """True when that interpreter's runtime can make a read-only mount namespace here."""
    with tempfile.TemporaryDirectory(prefix="coldprof-probe-") as folder:
        argv = [executable, "-I", "-S", "-c", PROBE, str(BOOTSTRAP_SOURCE), folder]
        try:
            done = run_to_end(argv, {"PATH": "/usr/bin:/bin"}, PROBE_TIMEOUT_S)
        except OSError:
            return False
        return "[Errno 30]" in done.stderr and not os.path.exists(os.path.join(folder, "probe"))


def read_only_mode(asked: str, executable: str) -> str:
    """The way the child will use: the one asked for, or for "auto" a namespace where one
    can be made."""
    if asked != "auto":
        return asked
    return NAMESPACE if namespace_works(executable) else AUDIT_HOOK


MAX_ENTRIES = 100_000  # a listing stops here: a flood of files cannot stall the parent
MAX_CHANGES = 20  # the changed paths a result names


def listing(roots: list[Path]) -> dict[str, tuple[int, int, int]]:
    """Every entry under the roots (links not followed): type and mode, size, mtime. The first
    root's entries by their relative path, the others' by their full path."""
    found: dict[str, tuple[int, int, int]] = {}
    for number, root in enumerate(roots):
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                path = os.path.join(folder, name)
                with contextlib.suppress(OSError):
                    info = os.lstat(path)
                    key = os.path.relpath(path, root) if number == 0 else path
                    found[key] = (info.st_mode, info.st_size, info.st_mtime_ns)
                if len(found) >= MAX_ENTRIES:
                    return found
    return found


class PackageWatch:
    """Where only the audit hook keeps the package read-only, what the function changed in it
    all the same (through a subprocess, os.mkfifo, os.mknod, C code: writes the hook does not
    see): the listing of the package and its layers, compared after each phase."""

    def __init__(self, roots: list[Path]):
        self._roots = roots
        self._last = listing(roots)

    def changes(self) -> tuple[str, ...]:
        """The paths added, removed or changed since the last look (at most MAX_CHANGES)."""
        now = listing(self._roots)
        every = now.keys() | self._last.keys()
        changed = sorted(key for key in every if now.get(key) != self._last.get(key))
        self._last = now
        return tuple(changed[:MAX_CHANGES])
