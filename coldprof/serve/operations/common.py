"""What the operations share: JSON replies and Lambda's pagination (Marker, MaxItems)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from coldprof.data import lambda_facts
from coldprof.serve.errors import bad_parameter
from coldprof.serve.request import Request

if TYPE_CHECKING:
    from coldprof.serve.api import Functions

Reply = tuple[int, dict[str, str], bytes]
Operation = Callable[["Functions", Request], Reply]
Item = TypeVar("Item")


def json_reply(document: Mapping[str, Any], status: int = 200) -> Reply:
    """A JSON response."""
    return status, {"Content-Type": "application/json"}, json.dumps(document).encode()


def no_content() -> Reply:
    """204, as Lambda answers a deletion."""
    return 204, {}, b""


def page(items: Sequence[Item], params: Mapping[str, Any]) -> tuple[Sequence[Item], str | None]:
    """One page of a listing from Marker, at most MaxItems (and at most Lambda's 50), and the
    marker of the next page (None on the last)."""
    start = _start(params.get("Marker"), len(items))
    size = min(params.get("MaxItems", 50), lambda_facts()["limits"]["list_page_items"])
    end = start + size
    marker = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], marker


def _start(marker: str | None, count: int) -> int:
    """Where the page a marker names starts; InvalidParameterValueException for a bad marker."""
    if marker is None:
        return 0
    try:
        start = int(base64.urlsafe_b64decode(marker.encode()).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        start = -1
    if not 0 <= start <= count:
        raise bad_parameter(f"Invalid Marker: {marker}")
    return start


def listing(key: str, items: Sequence[dict], params: Mapping[str, Any]) -> Reply:
    """A paginated listing reply: {key: [...], "NextMarker": ...} (NextMarker only when more)."""
    shown, marker = page(items, params)
    document: dict[str, Any] = {key: list(shown)}
    if marker is not None:
        document["NextMarker"] = marker
    return json_reply(document)
