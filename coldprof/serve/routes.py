"""Which operation a request is: each operation's method and path, as botocore's model has them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from coldprof.serve.model import operation_model

LABEL = re.compile(r"\{(?P<name>[A-Za-z0-9]+)(?P<greedy>\+?)\}")
EVENTS_STATUS = "ColdprofEventStatus"  # coldprof's own: what happened to each Event invocation
OWN_ROUTES = {EVENTS_STATUS: ("GET", "/_coldprof/events")}


@dataclass(frozen=True)
class Route:
    """One operation's method and path pattern."""

    operation: str
    method: str
    pattern: re.Pattern


def routes(operations: Iterable[str]) -> tuple[Route, ...]:
    """The routes of the operations served: the model's requestUri for Lambda's, then coldprof's."""
    found = []
    for name in operations:
        if name in OWN_ROUTES:
            method, uri = OWN_ROUTES[name]
        else:
            http = operation_model(name).http
            method, uri = http["method"], http["requestUri"]
        found.append(Route(name, method, _compile(uri)))
    return tuple(found)


def _compile(uri: str) -> re.Pattern:
    """`/2015-03-31/functions/{FunctionName}/invocations` as a regex with a group per label."""
    path = uri.split("?")[0].rstrip("/")
    parts, last = [], 0
    for label in LABEL.finditer(path):
        parts.append(re.escape(path[last : label.start()]))
        parts.append(f"(?P<{label['name']}>{'.+' if label['greedy'] else '[^/]+'})")
        last = label.end()
    parts.append(re.escape(path[last:]))
    return re.compile("".join(parts) + "/?")


def match(table: Iterable[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route a request takes and its path labels (still percent-encoded); None for none."""
    for route in table:
        found = route.pattern.fullmatch(path)
        if found is not None and route.method == method:
            return route, found.groupdict()
    return None
