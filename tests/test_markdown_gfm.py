"""Every Markdown output is GitHub-flavoured Markdown that a real parser reads as meant.

markdown-it-py (CommonMark, tables enabled, as GitHub renders them) parses the output of every
kind, normal and empty, and the report's: each table the output means is a table token with
its header row and every cell, and each cell reads back as the text it holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from test_results import RESULT_NAMES as KINDS

from coldprof.analyze import analyze
from coldprof.render import escape, render, sections
from coldprof.render.layout import Section
from coldprof.render.report import overview, render_report
from coldprof.render.report.entries import entries
from coldprof.render.report.findings import findings_section

# linkify on (linkify-it-py, fuzzy links and emails as its defaults): a bare URL, `www.`, a
# `name.tld` or an email in a name must read back as text, never as a link.
PARSER = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "linkify"])


def parsed_tables(markdown: str) -> list[list[list[str]]]:
    """Every table the parser finds: rows (the header first) of cell texts."""
    tables: list[list[list[str]]] = []
    inside = False
    for token in PARSER.parse(markdown):
        if token.type in ("table_open", "table_close"):
            inside = token.type == "table_open"
            tables += [[]] if inside else []
        elif inside and token.type == "tr_open":
            tables[-1].append([])
        elif inside and token.type == "inline":
            tables[-1][-1].append(text_of(token))
    return tables


def markup(markdown: str) -> set[str]:
    """The kinds of markup anywhere in a text that should hold none: HTML, links, emphasis."""
    tokens = PARSER.parse(markdown)
    found = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    return found & {"html_block", "html_inline", "link_open", "image", "em_open", "strong_open"}


def text_of(inline: Token) -> str:
    """The text an inline token renders as; any markup in it fails the test."""
    kinds = {child.type for child in inline.children or []}
    assert kinds <= {"text"}, (kinds, inline.content)
    return "".join(child.content for child in inline.children or [])


def shown(value: object) -> str:
    """What a cell should read: numbers with separators, text as printable text."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return f"{value:,}" if is_number else escape.plain(value)


def expected_tables(parts: Sequence[Section]) -> list[list[list[str]]]:
    """The tables the sections mean: a header row and every row, for each table with rows."""
    return [
        [[shown(h) for h in part.headers], *[[shown(c) for c in row] for row in part.rows]]
        for part in parts
        if part.is_table and part.rows
    ]


def test_parser_reads_cells_and_refuses_markup():
    (table,) = parsed_tables("| a | b |\n|---|---|\n| x\\|y | &lt;i&gt; |\n")
    assert table == [["a", "b"], ["x|y", "<i>"]]
    with pytest.raises(AssertionError):
        parsed_tables("| a |\n|---|\n| *x* |\n")


@pytest.mark.parametrize("name", KINDS)
def test_every_table_of_every_kind_parses_as_a_table(real_results, name):
    result = real_results[name]
    markdown = render(result, "markdown")
    tables = parsed_tables(markdown)
    assert tables == expected_tables(sections(result))
    assert markup(markdown) == set()
    assert all(len(row) == len(table[0]) for table in tables for row in table)


def report_sections(results: Sequence[tuple[str, object]]) -> list[Section]:
    """The tables the report's Markdown means, in order."""
    found = entries(results)
    parts = [overview.summary(found)]
    parts += [part for entry in found for part in sections(entry.result)]
    return parts + overview.comparisons(found) + [findings_section(found)]


def test_every_table_of_the_report_parses_as_a_table(real_results):
    results = [(name, real_results[name]) for name in KINDS]
    markdown = render_report(results, "markdown")
    tables = parsed_tables(markdown)
    assert tables == expected_tables(report_sections(results))
    assert markup(markdown) == set()
    assert len(tables) > 30


URLS = [
    "see https://evil.com/login?next=1 now",
    "www.evil.com",
    "mail me: someone@evil.com",
    "evil.com/path and app.py",
    "HTTP://EVIL.COM",
]


@pytest.mark.parametrize("text", URLS)
def test_a_bare_url_is_text_not_a_link(text):
    (table,) = parsed_tables(f"| a |\n|---|\n| {escape.markdown(text)} |\n")
    assert table == [["a"], [text]]
    assert markup(f"- {escape.markdown_item(text)}\n\n## {escape.markdown(text)}\n") == set()


def test_names_that_look_like_urls_stay_text_in_analyze_s_markdown(tmp_path):
    for name in ("www.evil.com", "someone@evil.com", "evil.com"):
        (tmp_path / name).write_bytes(b"x" * 100_000)
    result = analyze(tmp_path)
    markdown = render(result, "markdown")
    assert markup(markdown) == set()
    assert [
        row[0] for table in parsed_tables(markdown) for row in table if row[0] == "www.evil.com"
    ][:1] == ["www.evil.com"]


def test_the_tables_that_had_no_header_row_have_one(real_results):
    analyze = parsed_tables(render(real_results["analyze"], "markdown"))
    assert analyze[0][0] == ["total", "value"]
    imports = parsed_tables(render(real_results["imports"], "markdown"))
    assert imports[0][0] == ["measure", "value"]
