"""Result records shared by every command, and their JSON form."""

from __future__ import annotations

import dataclasses
import json
from typing import Any


def to_dict(result: Any) -> dict[str, Any]:
    """The JSON-ready dict of a result record (dataclasses all the way down)."""
    return dataclasses.asdict(result)


def to_json(result: Any) -> str:
    """The versioned JSON document of a result record."""
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"


def display_path(path: str) -> str:
    """A path made safe to print: undecodable bytes and control characters escaped."""
    raw = path.encode("utf-8", "surrogateescape")
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
