"""A request as an operation's input: its members read from the path, query, headers and JSON
body where the model places them, then checked against the model's constraints."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import unquote

from botocore.model import Shape

from coldprof.serve.errors import bad_content, validation
from coldprof.serve.model import NUMBERS, camel, constraint_problems, operation_model, type_problem


@dataclass(frozen=True)
class Request:
    """One call of an operation: its input members by their model names, and the raw body."""

    operation: str
    params: dict[str, Any]
    body: bytes = b""
    request_id: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


def query_pairs(query: str) -> list[tuple[str, str]]:
    """The query's (name, value) pairs, percent-decoded ('+' stays '+', as SigV4 reads it)."""
    pairs = []
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        pairs.append((unquote(name), unquote(value)))
    return pairs


def parse_request(
    operation: str,
    labels: Mapping[str, str],
    query: str,
    headers: Message,
    body: bytes,
    request_id: str,
) -> Request:
    """The operation's input members from the request; ValidationException for broken ones."""
    shape = operation_model(operation).input_shape
    members = shape.members if shape is not None else {}
    payload = shape.serialization.get("payload") if shape is not None else None
    document = _json_body(body) if members and payload is None else {}
    found = {**_located(members, labels, dict(query_pairs(query)), headers), **document}
    params = {name: value for name, value in found.items() if name in members}
    for name, value in params.items():
        problem = type_problem(members[name], value, name)
        if problem is not None:
            raise bad_content(problem)
    problems = [_missing(name) for name in _required(shape) if name not in params]
    for name, value in params.items():
        problems += constraint_problems(members[name], value, camel(name))
    if problems:
        raise validation(problems)
    return Request(operation, params, body, request_id, dict(headers.items()))


def _located(
    members: Mapping[str, Shape], labels: Mapping[str, str], query: dict, headers: Message
) -> dict[str, Any]:
    """The members carried in the path, the query string and the headers."""
    found: dict[str, Any] = {}
    for name, member in members.items():
        where, key = member.serialization.get("location"), member.serialization.get("name")
        sources = {"uri": labels, "querystring": query, "header": headers}
        value = sources[where].get(key) if where in sources else None
        if value is not None:
            found[name] = unquote(value) if where == "uri" else _scalar(member, value)
    return found


def _scalar(member: Shape, text: str) -> Any:
    """A query or header value as its member's type (a number stays text if it is not one)."""
    if member.type_name not in NUMBERS:
        return text
    try:
        return int(text)
    except ValueError:
        return text


def _json_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a body (an empty body is {})."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise bad_content(str(error)) from None
    if not isinstance(value, dict):
        raise bad_content("expected a JSON object")
    return value


def _required(shape: Shape | None) -> list[str]:
    return list(shape.required_members) if shape is not None else []


def _missing(name: str) -> str:
    return f"Value null at '{camel(name)}' failed to satisfy constraint: Member must not be null"
