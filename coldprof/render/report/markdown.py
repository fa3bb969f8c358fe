"""The report as Markdown: GitHub-flavoured tables that render on a code host."""

from __future__ import annotations

from collections.abc import Sequence

from coldprof.render import layout, sections
from coldprof.render.report import overview
from coldprof.render.report.entries import Entry
from coldprof.render.report.findings import findings_section


def _entry(entry: Entry) -> str:
    """One result: a heading, then its own sections (as `--format markdown` shows them)."""
    title = f"{entry.source} ({entry.kind}: {overview.subject(entry)})"
    return layout.markdown(title, sections(entry.result), level=3).rstrip("\n")


def render_markdown(entries: Sequence[Entry]) -> str:
    """The whole report as Markdown."""
    summary = overview.summary(entries)
    parts = ["# coldprof report", layout.markdown_table(summary.headers, summary.rows)]
    parts += ["## Results", *map(_entry, entries)]
    compared = overview.comparisons(entries)
    if compared:
        parts.append(layout.markdown("Comparisons", compared).rstrip("\n"))
    findings = findings_section(entries)
    parts += ["## Findings", layout.markdown_table(findings.headers, findings.rows)]
    return "\n\n".join(parts) + "\n"
