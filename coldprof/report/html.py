"""The report as one self-contained HTML file: plotly.js inlined once, no network at view time."""

from __future__ import annotations

import html
from collections.abc import Sequence
from importlib.metadata import version

from coldprof.report import overview, tables
from coldprof.report.load import Document

# The page may run its own inline scripts and styles and show data: images, and fetch nothing.
OFFLINE_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
)
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
SECTIONS = ("Package size", "Init", "Latency", "Comparisons", "Findings", "Budgets")
SECTION_OF_KIND = {
    "analyze": "Package size",
    "imports": "Init",
    "bench": "Latency",
    "check": "Budgets",
}
STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1280px;
       padding: 1.5em; color: #1d2430; background: #fff; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { border-bottom: 1px solid #d5dae1; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #e4e7eb;
         vertical-align: top; }
th { background: #f3f5f7; }
.note { color: #5a6472; }
.chart { margin: 1em 0 2em; }
details { margin: 1em 0 2em; }
summary { cursor: pointer; color: #3969ac; }
"""


def _table(headers: list[str], body: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    lines = [
        "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in row) + "</tr>"
        for row in body
    ]
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _chart_divs(documents: Sequence[Document]) -> list[tuple[str, str]]:
    """(section, div) per chart; the first div carries plotly.js, the others reuse it."""
    from coldprof.report.charts import figures

    return [
        (
            section,
            figure.to_html(
                full_html=False,
                include_plotlyjs=index == 0,
                config=PLOTLY_CONFIG,
                default_height=f"{figure.layout.height or 500}px",
            ),
        )
        for index, (section, figure) in enumerate(figures(documents))
    ]


def _details(document: Document) -> str:
    """A document's detail tables, folded away except for a check's budgets."""
    shown = " open" if document.kind == "check" else ""
    title = f"Tables: {document.source} ({document.kind})"
    tables_html = "".join(
        f"<h3>{html.escape(name)}</h3>{_table(*content)}"
        for name, content in tables.document_tables(document)
    )
    return f"<details{shown}><summary>{html.escape(title)}</summary>{tables_html}</details>"


def _sections(documents: Sequence[Document]) -> list[str]:
    """Each section's heading, charts and tables, in reading order."""
    parts: dict[str, list[str]] = {name: [] for name in SECTIONS}
    for section, div in _chart_divs(documents):
        parts[section].append(f'<div class="chart">{div}</div>')
    for document in documents:
        parts[SECTION_OF_KIND[document.kind]].append(_details(document))
    for name, content in overview.comparisons(documents):
        parts["Comparisons"].append(f"<h3>{html.escape(name)}</h3>{_table(*content)}")
    return [
        f"<h2>{html.escape(name)}</h2>{''.join(content)}"
        for name, content in parts.items()
        if content
    ]


def render_html(documents: Sequence[Document]) -> str:
    """The whole report as one HTML page (needs plotly)."""
    body = [
        "<h1>coldprof report</h1>",
        f'<p class="note">coldprof {html.escape(version("coldprof"))}; '
        "works offline: every chart is drawn in this file.</p>",
        _table(*overview.summary(documents)),
        *_sections(documents),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{OFFLINE_POLICY}">'
        f"<title>coldprof report</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
