"""The report as Markdown: GitHub-flavoured tables that render on a code host."""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate

from coldprof.report import findings, overview, tables
from coldprof.report.load import Document


def cell(value: object) -> str:
    """A value made safe inside a Markdown table cell."""
    shown = str(value).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(shown.split())


def table(headers: list[str], body: list[list]) -> str:
    """A GitHub-flavoured table, or a note when there is nothing to list."""
    if not body:
        return "(none)"
    safe = [[cell(value) for value in row] for row in body]
    return tabulate(safe, [cell(h) for h in headers], tablefmt="github")


def _document_sections(document: Document) -> list[str]:
    """The headed tables of one document."""
    title = f"### {cell(document.source)} ({document.kind}: {cell(overview.subject(document))})"
    parts = tables.document_tables(document)
    return [title, *(f"**{name}**\n\n{table(*content)}" for name, content in parts)]


def render_markdown(documents: Sequence[Document]) -> str:
    """The whole report as Markdown."""
    parts = ["# coldprof report", table(*overview.summary(documents)), "## Results"]
    for document in documents:
        parts += _document_sections(document)
    compared = overview.comparisons(documents)
    if compared:
        parts.append("## Comparisons")
        parts += [f"**{name}**\n\n{table(*content)}" for name, content in compared]
    parts += ["## Findings", table(*findings.finding_rows(documents))]
    return "\n\n".join(parts) + "\n"
