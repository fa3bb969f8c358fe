"""coldprof's own process, made fit to run untrusted handlers: not dumpable, and (where no cgroup
holds an environment's processes) the subreaper of everything its environments start.

Not dumpable: a process of the same user (the handler) cannot read /proc/PPID/environ or
attach to coldprof. A process with CAP_SYS_PTRACE (root) still can: running as root has no
such protection.
"""

from __future__ import annotations

import functools

from coldprof.sandbox import syscalls


@functools.cache
def not_dumpable() -> bool:
    """Mark this process non-dumpable (PR_SET_DUMPABLE 0), once; False where it cannot be."""
    try:
        syscalls.prctl(syscalls.PR_SET_DUMPABLE, 0)
    except OSError:
        return False
    return True


@functools.cache
def become_subreaper() -> bool:
    """Make this process the subreaper of its descendants (PR_SET_CHILD_SUBREAPER), once:
    an orphan (a double fork, a daemon) is re-parented to coldprof instead of init, so it can
    be found and ended. False where it cannot be."""
    try:
        syscalls.prctl(syscalls.PR_SET_CHILD_SUBREAPER, 1)
    except OSError:
        return False
    return True
