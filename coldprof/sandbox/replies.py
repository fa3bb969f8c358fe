"""The child's reply lines, checked before they are used: a handler can write anything into
coldprof's control pipe (garbage, deeply nested JSON, huge numbers, wrong types), and nothing
it writes may crash the parent. A line that is not exactly what the bootstrap sends is None
here, and the environment ends with Sandbox.ProtocolError."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from coldprof.sandbox.left_running import Running, text
from coldprof.sandbox.spec import ErrorInfo

MAX_DURATION_NS = 10**15  # no invocation lasts 11 days: a larger figure is not the bootstrap's
MAX_LEFT = 50


@dataclass(frozen=True)
class InvokeReply:
    """A well-formed reply to an invocation."""

    ok: bool
    duration_ns: int
    response: Any  # the handler's value (ok), else None
    error: ErrorInfo | None
    running: tuple[Running, ...]  # threads and tasks left running (empty: not reported)


def decode(line: bytes) -> dict | None:
    """A reply line as a JSON object, or None."""
    try:
        decoded = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None


def error_info(payload: Any) -> ErrorInfo | None:
    """ErrorInfo from a Lambda-shaped error payload, or None when it is not one."""
    if not isinstance(payload, dict):
        return None
    error_type, message = payload.get("errorType"), payload.get("errorMessage")
    trace = payload.get("stackTrace", [])
    if not isinstance(error_type, str) or not isinstance(message, str):
        return None
    if not isinstance(trace, list) or not all(isinstance(line, str) for line in trace):
        return None
    return ErrorInfo(error_type, message, tuple(trace))


def init_reply(decoded: dict | None) -> bool | ErrorInfo | None:
    """True for ready, the init error, or None when the line is not the bootstrap's."""
    if decoded is None:
        return None
    if decoded.get("ready") is True and len(decoded) == 1:
        return True
    return error_info(decoded["error"]) if set(decoded) == {"error"} else None


def invoke_reply(decoded: dict | None) -> InvokeReply | None:
    """The reply to an invocation, or None when the line is not the bootstrap's."""
    if decoded is None or not isinstance(decoded.get("ok"), bool):
        return None
    duration_ns = decoded.get("duration_ns")
    if type(duration_ns) is not int or not 0 <= duration_ns <= MAX_DURATION_NS:
        return None
    running = _running(decoded.get("left", []))
    if running is None:
        return None
    if decoded["ok"]:
        if "response" not in decoded:
            return None
        return InvokeReply(True, duration_ns, decoded["response"], None, running)
    error = error_info(decoded.get("error"))
    return None if error is None else InvokeReply(False, duration_ns, None, error, running)


def _running(items: Any) -> tuple[Running, ...] | None:
    """The threads and tasks reported left running, or None when the list is malformed."""
    if not isinstance(items, list) or len(items) > MAX_LEFT:
        return None
    found = []
    for item in items:
        if not isinstance(item, dict) or item.get("kind") not in ("thread", "task"):
            return None
        key = item.get("id")
        if type(key) is not int:
            return None
        name, where = text(item.get("name", "")), text(item.get("where", ""))
        found.append(Running(item["kind"], key, name, where))
    return tuple(found)
