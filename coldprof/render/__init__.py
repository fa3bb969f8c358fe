"""The output layer: every output of every result kind, rendered from the typed records.

Each kind has a module here (`coldprof.render.analyze`, ...) with its `sections`, a `title`
and a `RENDERERS` dict of format -> function. JSON is the result's own versioned document and
HTML is the report (`coldprof.render.report`) of that one result; both serve every kind.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from coldprof.errors import UsageError
from coldprof.results import to_json

FORMAT_BY_SUFFIX = {
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".xml": "junit",
    ".txt": "table",
}


def _module(kind: str) -> ModuleType:
    return importlib.import_module(f"coldprof.render.{kind}")


def formats_for(kind: str) -> list[str]:
    """The format names a result kind can be rendered in."""
    return ["json", *_module(kind).RENDERERS, "html"]


def sections(result: Any) -> list:
    """What a result's table and Markdown show, as layout Sections."""
    return _module(result.kind).sections(result)


def render(result: Any, fmt: str) -> str:
    """The result as text in the given format."""
    if fmt == "json":
        return to_json(result)
    if fmt == "html":
        from coldprof.render.report import render_report  # it reads this module

        return render_report([("result", result)], "html")
    try:
        renderer = _module(result.kind).RENDERERS[fmt]
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
