"""Typed records from JSON values, driven by the records' own type hints.

A record is a dataclass whose fields are other records, `tuple[X, ...]`, `X | None`,
`dict[str, X]`, `Any` (plain JSON), `str`, `int`, `float` or `bool`. Decoding is tolerant in
two documented ways and strict everywhere else:

- a key the record does not have is ignored (a newer schema added it);
- a missing key takes the field's default, or null when the field may be null; any other
  missing key is an error naming its path.

Numbers must fit: an int in a signed 64-bit range, a float finite (a 400-digit number is an
error, never an OverflowError later). Each type's decoder is built once from its hints; the
path of a field that does not fit is only put together when there is an error.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable
from typing import Any

MAX_INT = 2**63 - 1
Decoder = Callable[[Any], Any]


class DecodeError(ValueError):
    """A JSON value that does not fit its record: where (a field path) and what is wrong."""

    def __init__(self, problem: str, path: str = ""):
        super().__init__(problem)
        self.problem = problem
        self.path = path

    def within(self, step: str) -> DecodeError:
        """The same error, one step further from the value: a field name or `[index]`."""
        joiner = "" if not self.path or self.path.startswith("[") else "."
        self.path = f"{step}{joiner}{self.path}"
        return self

    def __str__(self) -> str:
        return f"{self.path or '(document)'}: {self.problem}"


def _what(value: Any) -> str:
    """A JSON value's kind, as an error names it (never the value: it may be huge or hostile)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    names = {str: "a string", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def number(value: Any) -> int | float:
    """A JSON number that fits: an int in 64 bits (kept an int), a float finite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DecodeError(f"expected a number, not {_what(value)}")
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise DecodeError(f"number out of range ({len(str(abs(value))):,} digits)")
    if isinstance(value, float) and not math.isfinite(value):
        raise DecodeError("number out of range (not finite)")
    return value


def whole_number(value: Any) -> int:
    """A JSON whole number in 64 bits."""
    if not isinstance(number(value), int):
        raise DecodeError("expected a whole number")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise DecodeError(f"expected a string, not {_what(value)}")
    return value


def _truth(value: Any) -> bool:
    if not isinstance(value, bool):
        raise DecodeError(f"expected true or false, not {_what(value)}")
    return value


def plain_json(value: Any) -> Any:
    """Any JSON value, its numbers checked all the way down."""
    if isinstance(value, dict):
        return {key: _step(plain_json, item, key) for key, item in value.items()}
    if isinstance(value, list):
        return [_step(plain_json, item, f"[{i}]") for i, item in enumerate(value)]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    return value


def _step(decoder: Decoder, value: Any, step: str) -> Any:
    try:
        return decoder(value)
    except DecodeError as error:
        raise error.within(step) from None


SCALARS: dict[Any, Decoder] = {
    int: whole_number,
    float: number,  # an int stays an int: it writes back the same
    str: _text,
    bool: _truth,
    Any: plain_json,
}


def _optional(hint: Any) -> Any | None:
    """X for `X | None`, else None."""
    args = typing.get_args(hint)
    is_union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    if not is_union or type(None) not in args:
        return None
    (inner,) = [arg for arg in args if arg is not type(None)]
    return inner


def _nullable(inner: Decoder) -> Decoder:
    return lambda value: None if value is None else inner(value)


def _tuple(item: Decoder) -> Decoder:
    def decode_items(value: Any) -> tuple:
        if not isinstance(value, list):
            raise DecodeError(f"expected a list, not {_what(value)}")
        try:
            return tuple(map(item, value))
        except DecodeError:  # again, one by one, to name the index
            return tuple(_step(item, v, f"[{i}]") for i, v in enumerate(value))

    return decode_items


def _mapping(item: Decoder) -> Decoder:
    def decode_mapping(value: Any) -> dict:
        if not isinstance(value, dict):
            raise DecodeError(f"expected an object, not {_what(value)}")
        return {key: _step(item, v, key) for key, v in value.items()}

    return decode_mapping


def _has_default(field: dataclasses.Field) -> bool:
    no_default = dataclasses.MISSING
    return field.default is not no_default or field.default_factory is not no_default


@functools.cache
def _plan(cls: type) -> list[tuple[str, Decoder, bool, bool]]:
    """(name, decoder, has a default, may be null) of each field (made on first use, so that
    a record may hold itself: a bench result holds the runs it was compared with)."""
    hints = typing.get_type_hints(cls)
    return [
        (f.name, decoder(hints[f.name]), _has_default(f), _optional(hints[f.name]) is not None)
        for f in dataclasses.fields(cls)
        if f.init
    ]


def _record(cls: type) -> Decoder:
    def decode_record(value: Any) -> Any:
        if not isinstance(value, dict):
            raise DecodeError(f"expected an object, not {_what(value)}")
        found = {}
        for name, decode_field, has_default, nullable in _plan(cls):
            if name in value:
                try:
                    found[name] = decode_field(value[name])
                except DecodeError as error:
                    raise error.within(name) from None
            elif nullable and not has_default:
                found[name] = None
            elif not has_default:
                raise DecodeError("missing", name)
        return cls(**found)

    return decode_record


@functools.cache
def decoder(hint: Any) -> Decoder:
    """The function that turns a JSON value into the type `hint` describes."""
    if dataclasses.is_dataclass(hint):
        return _record(hint)
    inner = _optional(hint)
    if inner is not None:
        return _nullable(decoder(inner))
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        return _tuple(decoder(args[0]))
    if origin is dict:
        return _mapping(decoder(args[1]))
    if hint in SCALARS:
        return SCALARS[hint]
    raise TypeError(f"a record field of type {hint!r} cannot be decoded")


def decode(hint: Any, value: Any) -> Any:
    """The value as the type `hint` describes (a DecodeError naming the path if it cannot be)."""
    return decoder(hint)(value)
