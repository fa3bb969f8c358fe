"""Typed records from JSON values, driven by the records' own type hints.

A record is a dataclass whose fields are other records, `tuple[X, ...]`, `X | None`,
`dict[str, X]`, `Any` (plain JSON), `str`, `int`, `float` or `bool`. Decoding is tolerant in
two documented ways and strict everywhere else:

- a key the record does not have is ignored (a newer schema added it);
- a missing key takes the field's default, or null when the field may be null; any other
  missing key is an error naming its path.

Numbers must fit: an int in a signed 64-bit range, a float finite (a 400-digit number is an
error, never an OverflowError later).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from typing import Any

MAX_INT = 2**63 - 1
SCALARS = (str, int, float, bool)


class DecodeError(ValueError):
    """A JSON value that does not fit its record: where (a field path) and what is wrong."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path or '(document)'}: {problem}")
        self.path = path
        self.problem = problem


def _what(value: Any) -> str:
    """A JSON value's kind, as an error names it (never the value: it may be huge or hostile)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    names = {str: "a string", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def _number(value: Any, path: str) -> int | float:
    """A JSON number that fits: ints in 64 bits, floats finite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DecodeError(path, f"expected a number, not {_what(value)}")
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise DecodeError(path, f"number out of range ({len(str(abs(value))):,} digits)")
    if isinstance(value, float) and not math.isfinite(value):
        raise DecodeError(path, "number out of range (not finite)")
    return value


def _integer(value: Any, path: str) -> int:
    found = _number(value, path)
    if not isinstance(found, int):
        raise DecodeError(path, "expected a whole number")
    return found


def _scalar(hint: type, value: Any, path: str) -> Any:
    if hint is int:
        return _integer(value, path)
    if hint is float:
        return _number(value, path)  # an int stays an int: it writes back the same
    if not isinstance(value, hint) or (hint is not bool and isinstance(value, bool)):
        expected = {str: "a string", bool: "true or false"}[hint]
        raise DecodeError(path, f"expected {expected}, not {_what(value)}")
    return value


def plain_json(value: Any, path: str = "") -> Any:
    """A JSON value checked all the way down: numbers that fit, string keys."""
    if isinstance(value, dict):
        return {str(k): plain_json(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number(value, path)
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in (
        typing.get_args(hint)
    )


def _field(cls: type, field: dataclasses.Field, data: dict, path: str) -> tuple[bool, Any]:
    """(present, value) of one field; absent when its default applies."""
    hint = _hints(cls)[field.name]
    where = f"{path}.{field.name}" if path else field.name
    if field.name in data:
        return True, decode(hint, data[field.name], where)
    if field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING:
        return False, None
    if _optional(hint):
        return True, None
    raise DecodeError(where, "missing")


def _record(cls: type, value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise DecodeError(path, f"expected an object, not {_what(value)}")
    found = {}
    for field in dataclasses.fields(cls):
        if field.init:
            present, decoded = _field(cls, field, value, path)
            if present:
                found[field.name] = decoded
    return cls(**found)


def _items(item_hint: Any, value: Any, path: str) -> tuple:
    if not isinstance(value, list):
        raise DecodeError(path, f"expected a list, not {_what(value)}")
    if item_hint in SCALARS:
        try:  # the fast common case (a million raw samples); on an error, again with indexes
            return tuple(_scalar(item_hint, item, path) for item in value)
        except DecodeError:
            pass
    return tuple(decode(item_hint, item, f"{path}[{i}]") for i, item in enumerate(value))


def _mapping(value_hint: Any, value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise DecodeError(path, f"expected an object, not {_what(value)}")
    return {key: decode(value_hint, item, f"{path}.{key}") for key, item in value.items()}


def decode(hint: Any, value: Any, path: str = "") -> Any:
    """The value as the type `hint` describes (a DecodeError naming the path if it cannot be)."""
    if dataclasses.is_dataclass(hint):
        return _record(hint, value, path)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if _optional(hint):
        if value is None:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return decode(inner, value, path)
    if origin is tuple:
        return _items(args[0], value, path)
    if origin is dict:
        return _mapping(args[1], value, path)
    if hint is Any:
        return plain_json(value, path)
    if hint in SCALARS:
        return _scalar(hint, value, path)
    raise TypeError(f"a record field of type {hint!r} cannot be decoded")
