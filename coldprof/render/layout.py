"""Sections of a result, laid out for a terminal, as GitHub-flavoured Markdown, or as HTML.

Each kind's renderer says what to show as a list of Sections (a table with its header row, or
lines, or preformatted text); the layouts here decide how it looks and escape every cell for
the output it goes to (coldprof.render.escape).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tabulate import tabulate

from coldprof.render import escape

NONE = "(none)"


@dataclass(frozen=True)
class Section:
    """A titled part of an output: a table (headers and rows), lines, or preformatted text."""

    title: str
    headers: tuple[str, ...] = ()  # a table has a header row, always
    rows: tuple[tuple[Any, ...], ...] = ()
    lines: tuple[str, ...] = ()  # notes, warnings: one item each
    code: tuple[str, ...] = ()  # a traceback, kept as it is
    widths: tuple[int | None, ...] = ()  # on a terminal, wrap columns at these widths

    @property
    def is_table(self) -> bool:
        """Whether the section is a table (it may have no rows)."""
        return bool(self.headers)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any, escaped: Callable[[Any], str]) -> str:
    """A number with thousands separators, anything else as escaped text."""
    return f"{value:,}" if _is_number(value) else escaped(value)


def table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence = ()
) -> Section:
    """A table section."""
    return Section(title, tuple(headers), tuple(tuple(row) for row in rows), widths=tuple(widths))


def _tabulate(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    fmt: str,
    escaped: Callable[[Any], str],
    **more: Any,
) -> str:
    """A table of escaped cells, numbers right-aligned; text is never parsed ("3.20" stays)."""
    columns = zip(*rows, strict=True)
    align = ["right" if all(map(_is_number, column)) else "left" for column in columns]
    cells = [[_cell(value, escaped) for value in row] for row in rows]
    return tabulate(
        cells,
        [escaped(h) for h in headers],
        tablefmt=fmt,
        colalign=align,
        disable_numparse=True,
        **more,
    )


def _terminal_body(section: Section) -> str | None:
    if section.is_table:
        if not section.rows:
            return NONE
        widths = list(section.widths) or None
        return _tabulate(section.rows, section.headers, "simple", escape.plain, maxcolwidths=widths)
    lines = [f"  {escape.plain(line)}" for line in section.lines]
    lines += [f"    {escape.plain(line)}" for line in section.code]
    return "\n".join(lines) or None


def terminal(title: str | None, sections: Sequence[Section]) -> str:
    """Plain-text tables for a terminal, under '== ' headings."""
    parts = [f"== {escape.plain(title)}"] if title else []
    for section in sections:
        parts.append(f"== {escape.plain(section.title)}")
        body = _terminal_body(section)
        if body is not None:
            parts.append(body)
    return "\n\n".join(parts) + "\n"


def markdown_table(headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured table: a header row, then every cell escaped; '(none)' without rows."""
    if not rows:
        return NONE
    return _tabulate(rows, headers, "github", escape.markdown)


def _markdown_body(section: Section) -> str | None:
    if section.is_table:
        return markdown_table(section.headers, section.rows)
    parts = []
    if section.lines:
        parts.append("\n".join(f"- {escape.markdown_item(line)}" for line in section.lines))
    if section.code:
        parts.append(escape.code_fence([escape.plain(line) for line in section.code]))
    return "\n\n".join(parts) or None


def markdown(title: str | None, sections: Sequence[Section], level: int = 2) -> str:
    """GitHub-flavoured Markdown: the title, then each section under a heading one level down."""
    parts = [f"{'#' * level} {escape.markdown(title)}"] if title else []
    for section in sections:
        parts.append(f"{'#' * (level + 1)} {escape.markdown(section.title)}")
        body = _markdown_body(section)
        if body is not None:
            parts.append(body)
    return "\n\n".join(parts) + "\n"


def html_table(headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """An HTML table, every cell escaped."""
    head = "".join(f"<th>{escape.markup(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape.markup(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_body(section: Section) -> str:
    if section.is_table:
        if not section.rows:
            return f'<p class="note">{NONE}</p>'
        return html_table(section.headers, section.rows)
    items = "".join(f"<li>{escape.markup(line)}</li>" for line in section.lines)
    code = "\n".join(escape.markup(line) for line in section.code)
    return (f"<ul>{items}</ul>" if items else "") + (f"<pre>{code}</pre>" if code else "")


def html_sections(sections: Sequence[Section], level: int = 3) -> str:
    """The sections as HTML, each under a heading of the given level."""
    return "".join(
        f"<h{level}>{escape.markup(s.title)}</h{level}>{_html_body(s)}" for s in sections
    )
