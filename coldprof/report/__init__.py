"""`coldprof report`: analyze, imports, bench and check results as HTML charts or Markdown.

The HTML needs plotly, an optional extra (`pip install "coldprof[report]"`), imported only
when an HTML report is written; the Markdown needs nothing beyond coldprof itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any

from coldprof.errors import UsageError
from coldprof.report.load import Document, from_result
from coldprof.report.markdown import render_markdown

FORMATS = ("html", "markdown")
FORMAT_BY_SUFFIX = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
INSTALL_HINT = 'pip install "coldprof[report]"'
REPORTS_FOLDER = Path("reports")
MAX_NAME_PARTS = 3


def format_for(path: Path) -> str:
    """The report format a file name asks for: html or markdown."""
    try:
        return FORMAT_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise UsageError(
            f"cannot tell the report format of {path.name!r}; name it .html or .md"
        ) from None


def default_path(inputs: Sequence[Path], fmt: str = "html") -> Path:
    """reports/<input names>.html (or .md): where a report goes when no file is named."""
    stems = list(dict.fromkeys(re.sub(r"[^A-Za-z0-9._-]+", "_", p.stem) for p in inputs))
    name = "+".join(stems[:MAX_NAME_PARTS]).strip("._") or "report"
    if len(stems) > MAX_NAME_PARTS:
        name += f"+{len(stems) - MAX_NAME_PARTS}-more"
    return REPORTS_FOLDER / f"{name}.{'html' if fmt == 'html' else 'md'}"


def refuse_overwriting(output: Path, inputs: Sequence[Path]) -> None:
    """A usage error when the report would be written over one of the results it reads."""
    for path in inputs:
        if path.exists() and output.exists() and output.samefile(path):
            raise UsageError(f"{output} is one of the results to read; write the report elsewhere")


def plotly_installed() -> bool:
    """Whether the HTML report can be drawn."""
    try:
        import plotly  # noqa: F401
    except ImportError:
        return False
    return True


def render(documents: Sequence[Document], fmt: str) -> str:
    """The report as text: an HTML page or Markdown."""
    if fmt == "markdown":
        return render_markdown(documents)
    if not plotly_installed():
        raise UsageError(f"the HTML report needs plotly: {INSTALL_HINT}")
    from coldprof.report.html import render_html

    return render_html(documents)


def _write(path: Path, content: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write the report to {path}: {error.strerror}") from None


def write(documents: Sequence[Document], path: Path, fmt: str) -> Path:
    """Write the report; without plotly, write the Markdown beside it and say how to get HTML."""
    if fmt == "html" and not plotly_installed():
        fallback = path.with_suffix(".md")
        _write(fallback, render_markdown(documents))
        raise UsageError(
            f"the HTML report needs plotly ({INSTALL_HINT}); wrote the Markdown to {fallback}"
        )
    _write(path, render(documents, fmt))
    return path


def write_result_report(result: Any, path: Path) -> Path:
    """Write the report of one result record to a file (what every command's --report does)."""
    return write(from_result(result, PurePath(path).stem), path, format_for(path))
