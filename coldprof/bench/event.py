"""The event a handler is invoked with: a JSON file, inline JSON, or standard input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from coldprof.data import lambda_facts
from coldprof.errors import UsageError


def _limit_bytes() -> int:
    return lambda_facts()["limits"]["payload_sync_bytes"]


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(_limit_bytes() + 1)
    except OSError as error:
        raise UsageError(f"--event: cannot read {path}: {error.strerror or error}") from None


def _is_file(path: Path) -> bool:
    """True when path names a file; False also when it cannot be a path at all (too long)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _is_folder(path: Path) -> bool:
    """True when path names a folder (never raises, like _is_file)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _event_bytes(value: str) -> tuple[bytes, str]:
    """The JSON bytes --event names, and where they came from."""
    if value == "-":
        return sys.stdin.buffer.read(_limit_bytes() + 1), "standard input"
    path = Path(value)
    if _is_file(path):
        return _read_file(path), str(path)
    if _is_folder(path):
        raise UsageError(f"--event: {path} is a folder; give a JSON file, inline JSON, or -")
    return value.encode("utf-8", "surrogateescape"), f"{value[:40]!r} (not a file, so inline JSON)"


def load_event(value: str | None) -> Any:
    """The event --event names (a JSON file, inline JSON, or - for stdin); {} when not given."""
    if value is None:
        return {}
    data, source = _event_bytes(value)
    if len(data) > _limit_bytes():
        raise UsageError(
            f"--event: {source} is over Lambda's {_limit_bytes():,}-byte payload limit"
        )
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise UsageError(f"--event: {source} is not valid JSON: {error}") from None
    except RecursionError:
        raise UsageError(f"--event: {source} is nested too deeply") from None
