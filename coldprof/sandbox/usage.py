"""What an invocation used of the function's init, as a usage run's child reports it
(bootstrap.watch_invocations), checked before it is used: like every reply field, it comes down a
pipe the handler can write to, so anything that is not exactly its shape is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

METHODS = ("sys.monitoring", "setprofile")
MAX_ITEMS = 20_000  # names, files or lazy imports in one report (the child sends no more)
MAX_REFERRERS = 20  # used modules named per unused module
MAX_TEXT = 4096  # characters of a module name or a path


@dataclass(frozen=True)
class LazyBinding:
    """A lazy import (PEP 810) not resolved yet: a global of a module bound to a lazy object."""

    module: str  # the module whose global it is
    name: str  # the global's name
    target: str  # what it imports: "json" (for `lazy from json import dumps`, also "json")


@dataclass(frozen=True)
class Usage:
    """One invocation of a usage run: what of the function's init it used, and the package files
    loaded since the last report (the first report has init's too)."""

    method: str  # how code that ran was seen: "sys.monitoring" (3.12+) or "setprofile"
    used: tuple[str, ...]  # modules imported at init whose code ran or attributes were read
    files: tuple[tuple[int, str], ...]  # (package: 0 the function, N layer N; path in it)
    referrers: tuple[tuple[str, tuple[str, ...]], ...]  # module not used so far -> the used
    # modules holding it (or a function or class of it) in their globals
    lazy: tuple[LazyBinding, ...]  # lazy imports still not resolved after this invocation
    lazy_at_init: tuple[LazyBinding, ...] | None = None  # those left when init ended (first
    # report only)


def parse_usage(value: Any) -> Usage | None:
    """The usage a reply reports, or None when it is not exactly what the child sends."""
    if not isinstance(value, dict) or value.get("method") not in METHODS:
        return None
    used = _names(value.get("used"))
    files = _files(value.get("files"))
    referrers = _referrers(value.get("refs"))
    lazy = _lazy(value.get("lazy"))
    lazy_at_init = _lazy(value["lazy_init"]) if "lazy_init" in value else ()
    if None in (used, files, referrers, lazy, lazy_at_init):
        return None
    first = lazy_at_init if "lazy_init" in value else None
    return Usage(value["method"], used, files, referrers, lazy, first)


def _text(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT


def _names(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        return None
    return tuple(value) if all(_text(name) for name in value) else None


def _files(value: Any) -> tuple[tuple[int, str], ...] | None:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        return None
    found = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2 or type(item[0]) is not int:
            return None
        if item[0] < 0 or not _text(item[1]):
            return None
        found.append((item[0], item[1]))
    return tuple(found)


def _referrers(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    if not isinstance(value, dict) or len(value) > MAX_ITEMS:
        return None
    found = []
    for module, holders in value.items():
        names = _names(holders)
        if names is None or len(names) > MAX_REFERRERS:
            return None
        found.append((module, names))
    return tuple(found)


def _lazy(value: Any) -> tuple[LazyBinding, ...] | None:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        return None
    found = []
    for item in value:
        if not isinstance(item, list) or len(item) != 3 or not all(map(_text, item[:2])):
            return None
        if not isinstance(item[2], str) or len(item[2]) > MAX_TEXT:
            return None
        found.append(LazyBinding(*item))
    return tuple(found)
