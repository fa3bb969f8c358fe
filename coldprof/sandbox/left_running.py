"""Work a handler left running when it returned (threads, asyncio tasks, child processes), and
what became of it across the freeze: finished during a later invocation, or lost with its
environment.

The child reports its threads and pending tasks with each reply (bootstrap.still_running);
the parent adds the environment's other processes. Invocations are counted from 1 in each
environment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass

THREAD, TASK, PROCESS = "thread", "task", "process"
KINDS = (THREAD, TASK, PROCESS)
MAX_ITEMS = 50  # tracked per environment; more are not reported
MAX_TEXT = 300  # characters of a name or a place


@dataclass(frozen=True, kw_only=True)
class LeftRunning:
    """One piece of work still running when a handler returned."""

    kind: str  # "thread" | "task" | "process"
    name: str  # the thread's or task's name; the process's command name
    where: str  # thread, task: "file:line in function" where it was; process: its executable
    seen_after: int  # the invocation after which it was first seen running (1: the first; 0:
    # at the end of init)
    frozen_ms: float = 0.0  # how long the environment was frozen while it was running
    finished_during: int | None = None  # the invocation it finished in; None: still running
    started_at: str = ""  # thread: "file:line in function" that started it ("": not seen)


@dataclass(frozen=True)
class Running:
    """One item as observed when a handler returned."""

    kind: str
    key: int  # thread ident, id() of a task, pid of a process
    name: str
    where: str
    started_at: str = ""  # a thread's start site, as the runtime recorded it


def text(value: object) -> str:
    """A name or a place as reported, bounded and printable."""
    shown = str(value)[:MAX_TEXT]
    return "".join(ch if ch.isprintable() else "?" for ch in shown)


def processes(pids: Iterable[int]) -> list[Running]:
    """The processes among pids that still run (zombies are not running)."""
    found = []
    for pid in pids:
        name, state = _name_and_state(pid)
        if name is not None and state != "Z":
            found.append(Running(PROCESS, pid, text(name), text(_executable(pid))))
    return found


def _name_and_state(pid: int) -> tuple[str | None, str]:
    """A process's command name and state from /proc/PID/stat (None: gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            raw = stat.read().decode("utf-8", "replace")
    except OSError:
        return None, ""
    name = raw[raw.find("(") + 1 : raw.rfind(")")]
    return name, raw[raw.rfind(")") + 2 : raw.rfind(")") + 3]


def _executable(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def seen_after(item: Running, invocation: int) -> LeftRunning:
    """An item first seen running after `invocation` (0: at the end of init)."""
    return LeftRunning(
        kind=item.kind,
        name=item.name,
        where=item.where,
        seen_after=invocation,
        started_at=item.started_at,
    )


class LeftRunningTracker:
    """What one environment's handlers left running, kept across its invocations."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, int], LeftRunning] = {}
        self._alive: set[tuple[str, int]] = set()

    def seen(self, invocation: int, running: Iterable[Running]) -> None:
        """What was running when invocation `invocation` returned."""
        now = {(item.kind, item.key): item for item in running}
        for key in self._alive - set(now):
            self._items[key] = dataclasses.replace(self._items[key], finished_during=invocation)
        self._alive &= set(now)
        for key, item in now.items():
            if key not in self._items and len(self._items) < MAX_ITEMS:
                self._items[key] = seen_after(item, invocation)
                self._alive.add(key)

    def frozen(self, frozen_ms: float) -> None:
        """The environment was frozen this long: every item still running was too."""
        for key in self._alive:
            item = self._items[key]
            self._items[key] = dataclasses.replace(item, frozen_ms=item.frozen_ms + frozen_ms)

    def running(self) -> tuple[LeftRunning, ...]:
        """The items still running now."""
        return tuple(self._items[key] for key in self._items if key in self._alive)

    def items(self) -> tuple[LeftRunning, ...]:
        """Every item seen in this environment, finished or not, in the order seen."""
        return tuple(self._items.values())
