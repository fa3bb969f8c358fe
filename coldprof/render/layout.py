"""Sections of a result, laid out for a terminal, as GitHub-flavoured Markdown, or as HTML.

Each kind's renderer says what to show as a list of Sections (a table with its header row, or
lines, or preformatted text); the layouts here decide how it looks and escape every cell for
the output it goes to (coldprof.render.escape).
"""

from __future__ import annotations

import math
import os
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tabulate import tabulate

from coldprof.render import escape

NONE = "(none)"
COLUMN_GAP = 2  # tabulate's "simple" format puts two spaces between columns
MIN_WRAP_WIDTH = 10  # a wrapped column never gets narrower than this ("249.57 MiB")
HEADER_PADDING = 2  # tabulate makes a column at least its header plus this (MIN_PADDING)
COMFORT_WIDTH = 16  # a narrow terminal drops optional columns before text gets narrower
GLUE = "\u2060"  # stands for a space that must not break while a cell is wrapped
QUANTITY = re.compile(r"\(?[\d.,]+ (?:B|KiB|MiB|GiB|kB|MB|GB|ms|s|files?)\)?")


@dataclass(frozen=True)
class Section:
    """A titled part of an output: a table (headers and rows), lines, or preformatted text."""

    title: str
    headers: tuple[str, ...] = ()  # a table has a header row, always
    rows: tuple[tuple[Any, ...], ...] = ()
    lines: tuple[str, ...] = ()  # notes, warnings: one item each
    code: tuple[str, ...] = ()  # a traceback, kept as it is
    widths: tuple[int | None, ...] = ()  # on a terminal, wrap columns at these widths
    optional: tuple[str, ...] = ()  # columns a narrow terminal may leave out, first first

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
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence = (),
    optional: Sequence[str] = (),
) -> Section:
    """A table section."""
    return Section(
        title,
        tuple(headers),
        tuple(tuple(row) for row in rows),
        widths=tuple(widths),
        optional=tuple(optional),
    )


def wrapped_table(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    caps: dict[str, int],
    optional: Sequence[str] = (),
) -> Section:
    """A table whose text columns wrap at their cap (`caps`: header -> width) on a terminal,
    and shrink further to fit its width."""
    return table(title, headers, rows, [caps.get(h) for h in headers], optional)


def _alignment(rows: Sequence[Sequence[Any]]) -> list[str]:
    """Numbers right-aligned, anything else left."""
    columns = zip(*rows, strict=True)
    return ["right" if all(map(_is_number, column)) else "left" for column in columns]


def _tabulate(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    fmt: str,
    escaped: Callable[[Any], str],
    **more: Any,
) -> str:
    """A table of escaped cells, numbers right-aligned; text is never parsed ("3.20" stays)."""
    cells = [[_cell(value, escaped) for value in row] for row in rows]
    return tabulate(
        cells,
        [escaped(h) for h in headers],
        tablefmt=fmt,
        colalign=_alignment(rows),
        disable_numparse=True,
        **more,
    )


def terminal_width() -> int | None:
    """The width to fit tables to: COLUMNS, else the terminal's; None when neither is known."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return None


def _natural(cells: Sequence[str]) -> int:
    return max((len(line) for cell in cells for line in cell.splitlines() or [""]), default=0)


def _longest_quantity(cells: Sequence[str]) -> int:
    """The longest quantity with its unit in the cells ("262,144,000 B"): never broken."""
    return max((len(m[0]) for cell in cells for m in QUANTITY.finditer(cell)), default=0)


def _column_widths(
    headers: Sequence[str], cells: Sequence[Sequence[str]], caps: Sequence[int | None]
) -> tuple[list[int], list[int]]:
    """Each column's width before fitting (natural, up to its cap) and the least it can take."""
    widths, floors = [], []
    for index, header in enumerate(headers):
        column = [row[index] for row in cells]
        natural = max(_natural(column), len(header) + HEADER_PADDING)
        floor = max(len(word) for word in header.split() or [""]) + HEADER_PADDING
        floor = max(floor, _longest_quantity(column))
        cap = caps[index]
        widths.append(min(natural, max(cap, floor)) if cap else natural)
        floors.append(min(max(floor, MIN_WRAP_WIDTH), widths[-1]) if cap else natural)
    return widths, floors


def fit_widths(
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    caps: Sequence[int | None],
    width: int | None,
) -> list[int | None]:
    """Column widths that keep a table within `width`: only capped (wrappable) columns shrink.

    Each wrappable column keeps its natural width up to its cap; when the table is still too
    wide, they give up room in proportion to what they have above their floor (the header's
    longest word plus tabulate's MIN_PADDING, and at least MIN_WRAP_WIDTH).
    """
    caps = list(caps) + [None] * (len(headers) - len(caps))
    widths, floors = _column_widths(headers, cells, caps)
    if width is not None:
        excess = sum(widths) + COLUMN_GAP * (len(widths) - 1) - width
        room = [w - f for w, f in zip(widths, floors, strict=True)]
        if excess > 0 and sum(room):
            share = min(1.0, excess / sum(room))
            widths = [w - math.ceil(r * share) for w, r in zip(widths, room, strict=True)]
    return [w if cap else None for w, cap in zip(widths, caps, strict=True)]


def _comfortable_width(headers: Sequence[str], cells: Sequence[Sequence[str]], caps: list) -> int:
    """The table's width with each wrapped column at COMFORT_WIDTH (or less when it needs less)."""
    widths, floors = _column_widths(headers, cells, caps)
    comfortable = [min(w, max(f, COMFORT_WIDTH)) for w, f in zip(widths, floors, strict=True)]
    return sum(comfortable) + COLUMN_GAP * (len(widths) - 1)


def narrowed(section: Section, width: int | None) -> tuple[Section, list[str]]:
    """The table without its optional columns, first first, until its text columns can keep
    COMFORT_WIDTH within `width`."""
    left_out: list[str] = []
    for name in section.optional:
        cells = [[_cell(value, escape.plain) for value in row] for row in section.rows]
        caps = list(section.widths) + [None] * (len(section.headers) - len(section.widths))
        if width is None or _comfortable_width(section.headers, cells, caps) <= width:
            break
        if name not in section.headers:
            continue
        index = section.headers.index(name)
        keep = [i for i in range(len(section.headers)) if i != index]
        section = replace(
            section,
            headers=tuple(section.headers[i] for i in keep),
            rows=tuple(tuple(row[i] for i in keep) for row in section.rows),
            widths=tuple(caps[i] for i in keep),
        )
        left_out.append(name)
    return section, left_out


def _glued(text: str) -> str:
    """The text with the spaces inside "12.5 KiB", "(12.8 kB)", "3 ms" made unbreakable."""
    return QUANTITY.sub(lambda m: m[0].replace(" ", GLUE), text)


def wrap_cell(text: str, width: int | None) -> str:
    """A cell wrapped to `width` columns, never inside a quantity and its unit."""
    if width is None or len(text) <= width:
        return text
    lines = [textwrap.fill(_glued(line), width) for line in text.splitlines()]
    return "\n".join(lines).replace(GLUE, " ")


def _terminal_table(section: Section, width: int | None) -> str:
    section, left_out = narrowed(section, width)
    note = f"\n(left out to fit {width} columns: {', '.join(left_out)})" if left_out else ""
    return _fitted_table(section, width) + note


def _fitted_table(section: Section, width: int | None) -> str:
    cells = [[_cell(value, escape.plain) for value in row] for row in section.rows]
    headers = [escape.plain(h) for h in section.headers]
    widths = fit_widths(headers, cells, section.widths, width)
    return tabulate(
        [[wrap_cell(c, w) for c, w in zip(row, widths, strict=True)] for row in cells],
        [wrap_cell(h, w and w - HEADER_PADDING) for h, w in zip(headers, widths, strict=True)],
        tablefmt="simple",
        colalign=_alignment(section.rows),
        disable_numparse=True,
    )


def _wrapped(text: str, indent: str, width: int | None) -> str:
    if width is None or len(indent) + len(text) <= width:
        return indent + text
    room = max(width - len(indent), 20)
    return textwrap.fill(text, room, initial_indent=indent, subsequent_indent=indent + "  ")


def _terminal_body(section: Section, width: int | None) -> str | None:
    if section.is_table:
        return _terminal_table(section, width) if section.rows else NONE
    lines = [_wrapped(escape.plain(line), "  ", width) for line in section.lines]
    lines += [f"    {escape.plain(line)}" for line in section.code]
    return "\n".join(lines) or None


def terminal(title: str | None, sections: Sequence[Section], width: int | None = None) -> str:
    """Plain-text tables for a terminal, under '== ' headings, fitted to `width` columns
    (default: the terminal's, see terminal_width; unknown: tables keep their natural width)."""
    width = width if width is not None else terminal_width()
    parts = [f"== {escape.plain(title)}"] if title else []
    for section in sections:
        parts.append(f"== {escape.plain(section.title)}")
        body = _terminal_body(section, width)
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
