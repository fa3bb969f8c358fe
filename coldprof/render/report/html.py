"""The report as one self-contained HTML file: plotly.js inlined once, no network at view time."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

from coldprof.render import escape, layout, sections
from coldprof.render.report import overview
from coldprof.render.report.entries import Entry

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
    "slim": "Package size",
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
pre { white-space: pre-wrap; background: #f3f5f7; padding: .6em; }
"""


def _chart_divs(entries: Sequence[Entry]) -> list[tuple[str, str]]:
    """(section, div) per chart; the first div carries plotly.js, the others reuse it."""
    from coldprof.render.report.charts import figures

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
        for index, (section, figure) in enumerate(figures(entries))
    ]


def _details(entry: Entry) -> str:
    """A result's own tables, folded away except for a check's budgets."""
    shown = " open" if entry.kind == "check" else ""
    title = escape.markup(f"Tables: {entry.source} ({entry.kind})")
    tables = layout.html_sections(sections(entry.result))
    return f"<details{shown}><summary>{title}</summary>{tables}</details>"


def _sections(entries: Sequence[Entry]) -> list[str]:
    """Each section's heading, charts and tables, in reading order."""
    parts: dict[str, list[str]] = {name: [] for name in SECTIONS}
    for section, div in _chart_divs(entries):
        parts[section].append(f'<div class="chart">{div}</div>')
    for entry in entries:
        parts[SECTION_OF_KIND[entry.kind]].append(_details(entry))
    parts["Comparisons"].append(layout.html_sections(overview.comparisons(entries)))
    return [
        f"<h2>{escape.markup(name)}</h2>{''.join(content)}"
        for name, content in parts.items()
        if "".join(content)
    ]


def render_html(entries: Sequence[Entry]) -> str:
    """The whole report as one HTML page (needs plotly)."""
    summary = overview.summary(entries)
    body = [
        "<h1>coldprof report</h1>",
        f'<p class="note">coldprof {escape.markup(version("coldprof"))}; '
        "works offline: every chart is drawn in this file.</p>",
        layout.html_table(summary.headers, summary.rows),
        *_sections(entries),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{OFFLINE_POLICY}">'
        f"<title>coldprof report</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
