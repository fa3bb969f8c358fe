"""The package read-only for the function, as /var/task is on Lambda: which way this machine allows.

The child's runtime does it itself, first thing (bootstrap.py, protect()): where this user may
create a mount namespace (root may; others through a user namespace, where the kernel allows
it), it enters its own, in which the task root, the layers and the runtime's folders are
bind-mounted read-only, so any write there fails with `[Errno 30] Read-only file system`,
whatever the code uses to write. Elsewhere it installs an audit hook that refuses Python's own
writes there with the same error. The child reports which one it used; this module tells,
without starting an environment, which one it will use.
"""

from __future__ import annotations

import functools
import os
import tempfile

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
