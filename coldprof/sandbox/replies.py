"""The runtime's reply lines, checked before they are used: a handler can write anything into
coldprof's control pipe (garbage, deeply nested JSON, huge numbers, wrong types), and nothing
it writes may crash the parent. A line that is not exactly what the runtime sends (bootstrap.py,
or runtime_api.py for awslambdaric) is None here, and the environment ends with
Sandbox.ProtocolError."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from coldprof.sandbox.left_running import Running, text
from coldprof.sandbox.spec import ErrorInfo
from coldprof.sandbox.usage import Usage, parse_usage

MAX_DURATION_NS = 10**15  # no invocation lasts 11 days: a larger figure is not the runtime's
MAX_LEFT = 50
READ_ONLY_USED = ("mount-namespace", "audit-hook")
RUNTIME_KEYS = {"runtime", "at_ns", "read_only"}
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class RuntimeStarted:
    """The runtime's first line: it has started (its clock reading), and how it keeps the
    package read-only."""

    at_ns: int
    read_only: str


@dataclass(frozen=True)
class Ready:
    """The handler is ready; the threads and tasks running as init ended (empty: none, or not
    reported: AWS's client reports none)."""

    running: tuple[Running, ...]


@dataclass(frozen=True)
class InitError:
    """The init error the runtime posted: its exact bytes, and what they say."""

    payload: bytes
    error: ErrorInfo


@dataclass(frozen=True, kw_only=True)
class InvokeReply:
    """A well-formed reply to an invocation."""

    ok: bool
    duration_ns: int
    payload: bytes  # the response (or error) exactly as the runtime returned it
    content_type: str
    response: Any  # the payload decoded as JSON (None: not JSON)
    error: ErrorInfo | None
    running: tuple[Running, ...]  # threads and tasks left running (empty: not reported)
    response_bytes: int | None = None  # a response over the limit: its size (the runtime exits)
    import_ns: int | None = None  # time spent importing (the import clock; None: not asked)
    usage: Usage | None = None  # what it used of init, files loaded (a usage run; None: not one)


def decode(line: bytes) -> dict | None:
    """A reply line as a JSON object, or None."""
    decoded = json_or_none(line)
    return decoded if isinstance(decoded, dict) else None


def json_or_none(data: bytes | str) -> Any:
    """JSON decoded, or None when it is not JSON (or nested past the parser's depth)."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


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


def runtime_started(decoded: dict | None) -> RuntimeStarted | None:
    """The runtime's start line, or None when the line is not one."""
    if decoded is None or set(decoded) != RUNTIME_KEYS or decoded["runtime"] is not True:
        return None
    at_ns, read_only = decoded["at_ns"], decoded["read_only"]
    if type(at_ns) is not int or read_only not in READ_ONLY_USED:
        return None
    return RuntimeStarted(at_ns, read_only)


def _signed(decoded: dict | None, token: str) -> dict | None:
    """The line without its token, or None when it does not carry the one expected (a line the
    handler wrote into the pipe itself)."""
    if decoded is None or decoded.get("token") != token:
        return None
    return {key: value for key, value in decoded.items() if key != "token"}


def init_reply(decoded: dict | None, token: str) -> Ready | InitError | None:
    """Ready (with what runs as init ends), the init error, or None when the line is not the
    runtime's (`token`: the init's)."""
    decoded = _signed(decoded, token)
    if decoded is None:
        return None
    if decoded.get("ready") is True and set(decoded) <= {"ready", "running"}:
        running = _running(decoded.get("running", []))
        return None if running is None else Ready(running)
    body = decoded.get("init_error")
    if set(decoded) != {"init_error"} or not isinstance(body, str):
        return None
    error = error_info(json_or_none(body))
    return None if error is None else InitError(body.encode("utf-8", "surrogatepass"), error)


def invoke_reply(decoded: dict | None, token: str) -> InvokeReply | None:
    """The reply to an invocation, or None when the line is not the runtime's (`token`: the
    request's)."""
    decoded = _signed(decoded, token)
    if decoded is None or not isinstance(decoded.get("ok"), bool):
        return None
    duration_ns = decoded.get("duration_ns")
    if type(duration_ns) is not int or not 0 <= duration_ns <= MAX_DURATION_NS:
        return None
    running = _running(decoded.get("left", []))
    measured = _measured(decoded)
    if running is None or measured is None:
        return None
    if "response_bytes" in decoded:
        return _too_large(decoded, duration_ns, running)
    body = _body(decoded)
    if body is None:
        return None
    payload, content_type = body
    response = json_or_none(payload) if content_type == JSON_TYPE else None
    error = None if decoded["ok"] else error_info(response)
    if not decoded["ok"] and error is None:
        return None
    return InvokeReply(
        ok=decoded["ok"],
        duration_ns=duration_ns,
        payload=payload,
        content_type=content_type,
        response=response,
        error=error,
        running=running,
        import_ns=measured[0],
        usage=measured[1],
    )


def _measured(decoded: dict) -> tuple[int | None, Usage | None] | None:
    """The import clock's time and the usage a reply carries (each None when absent), or None
    when either is there but malformed."""
    import_ns, usage = decoded.get("import_ns"), None
    if import_ns is not None and not _duration(import_ns):
        return None
    if "usage" in decoded:
        usage = parse_usage(decoded["usage"])
        if usage is None:
            return None
    return import_ns, usage


def _duration(value: Any) -> bool:
    """A time in ns the runtime could have measured."""
    return type(value) is int and 0 <= value <= MAX_DURATION_NS


def _too_large(decoded: dict, duration_ns: int, running: tuple) -> InvokeReply | None:
    """A response the runtime refused for its size (the runtime exits after it)."""
    size = decoded["response_bytes"]
    if decoded["ok"] or type(size) is not int or size < 0:
        return None
    return InvokeReply(
        ok=False,
        duration_ns=duration_ns,
        payload=b"",
        content_type=JSON_TYPE,
        response=None,
        error=None,
        running=running,
        response_bytes=size,
    )


def _body(decoded: dict) -> tuple[bytes, str] | None:
    """The response's exact bytes and content type from a reply line (None: malformed)."""
    content_type = decoded.get("content_type", JSON_TYPE)
    if not isinstance(content_type, str):
        return None
    if isinstance(decoded.get("body"), str):
        return decoded["body"].encode("utf-8", "surrogatepass"), content_type
    if isinstance(decoded.get("body_latin1"), str):
        try:
            return decoded["body_latin1"].encode("latin-1"), content_type
        except UnicodeEncodeError:
            return None
    return None


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
        found.append(Running(item["kind"], key, name, where, text(item.get("started_at", ""))))
    return tuple(found)
