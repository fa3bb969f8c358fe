"""Settings written as `key=value` texts (`serve --function NAME=TARGET:HANDLER,key=value,...`),
read with the same keys and parsers as [tool.coldprof]."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coldprof.function.record import KEYS, SETTINGS
from coldprof.function.settings import MAP, collect, read_item, unknown_key


def read_key_values(texts: Sequence[str], keys: Sequence[str]) -> dict[str, Any]:
    """Field -> value from `key=value` texts; a LIST key may repeat, a MAP key is `env.NAME=V`.

    ValueError names the key and what is expected, or the closest of `keys`."""
    items: dict[str, list[Any]] = {}
    for text in texts:
        key, equals, value = text.partition("=")
        if not equals:
            raise ValueError(f"{text}: expected key=value")
        name = _field(key.partition(".")[0], keys)
        items.setdefault(name, []).append(_item(name, key, value))
    return {name: _collect(name, values) for name, values in items.items()}


def _field(key: str, keys: Sequence[str]) -> str:
    if key not in keys:
        raise ValueError(f"{key}: {unknown_key(key, keys)}")
    return KEYS[key]


def _item(name: str, key: str, value: str) -> Any:
    setting = SETTINGS[name]
    try:
        if setting.kind == MAP:
            return setting.parse((key.partition(".")[2], value))
        return read_item(setting, value)
    except ValueError as error:
        raise ValueError(f"{key}: expected {error}") from None


def _collect(name: str, values: list[Any]) -> Any:
    setting = SETTINGS[name]
    try:
        return collect(setting, values)
    except ValueError as error:
        raise ValueError(f"{setting.key}: expected {error}") from None
