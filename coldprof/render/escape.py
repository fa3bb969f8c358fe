"""Text from a result made safe for each output, so that a name cannot act on its reader.

Names, paths and messages come from the package and the handler: a file can be called
`=HYPERLINK(...)`, `<a href=...>`, `a|b` or hold a newline. Each output gets its own rule:

- terminal and plain text: control characters and undecodable bytes shown escaped (`\\n`);
- Markdown: that, then `\\`, `|` and the characters that start emphasis, code, links and
  strike-through backslash-escaped, and `<`, `>`, `&` written as entities; and what an
  autolinker reads as a link (`https://`, `www.`, `name.tld`, `a@b`) broken by escapes, so a
  URL in a name shows as text, never as a link (GitHub's and linkify's extended autolinks);
- HTML and plotly labels (plotly draws `<a href>`, `<b>` and `style` in labels): entities;
- CSV: text on one line (control characters escaped, so no cell starts with a tab or a
  carriage return), and a cell that a spreadsheet would run as a formula (first character
  `=`, `+`, `-` or `@`, as OWASP lists them with tab and carriage return) starts with `'`.
  Numbers are written as numbers, so a negative number stays a number.
"""

from __future__ import annotations

import html
import re
from typing import Any

from coldprof.results import display_path

MARKDOWN_SPECIAL = "\\`*[]|~#"  # and "_" unless between letters or digits (never emphasis)
LIST_MARKER = re.compile(r"^(\s*\d{0,9})([-+]|(?<=\d)[.)])(?=\s|$)")  # a list item's marker
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(value: Any) -> str:
    """Any value as one line of printable text."""
    return display_path(str(value))


def markdown(value: Any) -> str:
    """Any value as Markdown text that renders as itself, on one line, inside a table or not."""
    text = html.escape(plain(value), quote=False)
    return "".join(
        f"\\{ch}" if ch in MARKDOWN_SPECIAL or _emphasis(text, i) or _link(text, i) else ch
        for i, ch in enumerate(text)
    )


def markdown_item(value: Any) -> str:
    """Any value as the text of a Markdown list item: `- x` or `1. x` in it is no nested list."""
    return LIST_MARKER.sub(r"\1\\\2", markdown(value), count=1)


def _emphasis(text: str, index: int) -> bool:
    """Whether the character is an underscore that could open or close emphasis."""
    if text[index] != "_":
        return False
    before = text[index - 1] if index else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    return not (before.isalnum() and after.isalnum())


def _link(text: str, index: int) -> bool:
    """Whether the character could join an autolink: the `:` of `://`, any `@`, and a `.`
    between a letter or digit and a letter (`www.`, `example.com`, `app.py`)."""
    ch = text[index]
    if ch == "@":
        return True
    if ch == ":":
        return text.startswith("//", index + 1)
    if ch != "." or index == 0 or index + 1 == len(text):
        return False
    return text[index - 1].isalnum() and text[index + 1].isalpha()


def markup(value: Any) -> str:
    """Any value as HTML text, also for plotly's labels, hover text and titles.

    Quotes stay as they are: text is never put in an attribute, and plotly shows `&quot;`
    literally (it decodes `&lt;`, `&gt;` and `&amp;` only).
    """
    return html.escape(plain(value), quote=False)


def code_fence(lines: list[str]) -> str:
    """A fenced Markdown code block that no line of the text can close early."""
    longest = max((len(run) for line in lines for run in re.findall("`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([fence, *lines, fence])


def csv_cell(value: Any) -> Any:
    """A CSV value: numbers and empty cells as they are, text that could run as a formula quoted."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = plain(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text
