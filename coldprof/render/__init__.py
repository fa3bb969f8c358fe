"""Renderers: each result kind has a module here with a `RENDERERS` dict of format -> function.

JSON is shared by every kind (the result's own versioned document); the other formats are
looked up in `coldprof.render.<kind>`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from coldprof.errors import UsageError
from coldprof.results import to_json

FORMAT_BY_SUFFIX = {
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".csv": "csv",
    ".xml": "junit",
    ".txt": "table",
}


def formats_for(kind: str) -> list[str]:
    """The format names a result kind can be rendered in."""
    module = importlib.import_module(f"coldprof.render.{kind}")
    return ["json", *module.RENDERERS]


def render(result: Any, fmt: str) -> str:
    """The result as text in the given format."""
    if fmt == "json":
        return to_json(result)
    module = importlib.import_module(f"coldprof.render.{result.kind}")
    try:
        renderer = module.RENDERERS[fmt]
    except KeyError:
        known = ", ".join(formats_for(result.kind))
        raise UsageError(
            f"{result.kind} results cannot be written as {fmt!r}; use {known}"
        ) from None
    return renderer(result)


def format_for_path(path: Path) -> str:
    """The format an output file's extension asks for (json, markdown, ...)."""
    try:
        return FORMAT_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMAT_BY_SUFFIX))
        raise UsageError(
            f"cannot tell the format of {path.name!r} from its extension; use one of {known} "
            "or pass --format"
        ) from None
