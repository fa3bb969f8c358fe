"""A setting of the function: one field of the record, one [tool.coldprof] and `serve --function`
key, one command-line option, one parser. Declared once, on the record's field."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ONE, LIST, MAP, SWITCH = "one", "list", "map", "switch"


@dataclass(frozen=True, kw_only=True)
class Setting:
    """How a field of FunctionConfig is written by a user, and how it is read."""

    key: str  # in [tool.coldprof] and `serve --function`: "memory"
    flag: str | None  # on the command line: "--memory"; None: not an option (TARGET)
    parse: Callable[[Any], Any]  # one value -> the field's value; ValueError: what is expected
    help: str
    metavar: str = ""
    kind: str = ONE  # ONE value; a LIST (repeatable, in order); a MAP of NAME=VALUE; a SWITCH
    most: int | None = None  # the most items a LIST may have
    noun: str = ""  # what a LIST holds, for its errors: "layer paths (folders or .zip files)"
    path: bool = False  # a path: relative to the config file's folder in [tool.coldprof]
    item: Callable[[str], Any] | None = None  # a MAP item as text ("NAME=VALUE") -> (name, value)


def setting(
    *,
    default: Any = dataclasses.MISSING,
    default_factory: Any = dataclasses.MISSING,
    **described: Any,
) -> Any:
    """A record field that is also a setting (its Setting in the field's metadata)."""
    return dataclasses.field(
        default=default, default_factory=default_factory, metadata={"setting": Setting(**described)}
    )


def settings_of(record: type) -> dict[str, Setting]:
    """Each settable field of a record class and its Setting, in declaration order."""
    return {
        field.name: field.metadata["setting"]
        for field in dataclasses.fields(record)
        if "setting" in field.metadata
    }


def read_value(setting: Setting, value: Any) -> Any:
    """A field's value from a whole value as TOML gives it (a list for LIST, a table for MAP)."""
    if setting.kind == LIST:
        if not isinstance(value, list | tuple):
            raise ValueError(_list_expected(setting))
        return collect(setting, [setting.parse(item) for item in value])
    if setting.kind == MAP:
        if not isinstance(value, Mapping):
            raise ValueError('a table of NAME = "VALUE"')
        return dict(setting.parse(pair) for pair in value.items())
    return setting.parse(value)


def read_item(setting: Setting, text: str) -> Any:
    """One item as written on the command line or in `serve --function` (a MAP's: NAME=VALUE)."""
    if setting.kind == MAP and setting.item is not None:
        return setting.item(text)
    return setting.parse(text)


def collect(setting: Setting, items: Sequence[Any]) -> Any:
    """A field's value from its items, each already read (ValueError: too many)."""
    if setting.kind == MAP:
        return dict(items)
    if setting.kind == LIST:
        if setting.most is not None and len(items) > setting.most:
            raise ValueError(_list_expected(setting))
        return tuple(items)
    return items[-1]


def _list_expected(setting: Setting) -> str:
    most = "" if setting.most is None else f"at most {setting.most} "
    return f"a list of {most}{setting.noun}"


def unknown_key(key: str, known: Sequence[str]) -> str:
    """What to say about an unknown key: the closest known one, else every known one."""
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key; known keys: {', '.join(known)}"
