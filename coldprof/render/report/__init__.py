"""The report: analyze, imports, bench and check results together, as HTML charts or Markdown.

The HTML needs plotly, an optional extra (`pip install "coldprof[report]"`), imported only
when an HTML report is drawn; the Markdown needs nothing beyond coldprof itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coldprof.errors import UsageError
from coldprof.render.report.entries import entries
from coldprof.render.report.markdown import render_markdown

FORMATS = ("html", "markdown")
INSTALL_HINT = 'pip install "coldprof[report]"'


def plotly_installed() -> bool:
    """Whether the HTML report can be drawn."""
    try:
        import plotly  # noqa: F401
    except ImportError:
        return False
    return True


def render_report(results: Sequence[tuple[str, Any]], fmt: str) -> str:
    """The report of (source, result record) pairs: an HTML page or Markdown."""
    found = entries(results)
    if fmt == "markdown":
        return render_markdown(found)
    if not plotly_installed():
        raise UsageError(f"the HTML report needs plotly: {INSTALL_HINT}")
    from coldprof.render.report.html import render_html

    return render_html(found)
