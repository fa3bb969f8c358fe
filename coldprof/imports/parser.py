"""Reading `python -X importtime` rows from a child's stderr.

Each row is `import time: <self us> | <cumulative us> | <2*depth spaces><dotted name>`, written
in post-order (children before their parent). Python 3.14's `-X importtime=2` (and 3.15's)
adds `import time: cached    | cached     | <name>` rows for a module already imported, written
with `%*s` and a width of twice the depth: the name is right-aligned, so the depth is known only
when the name is padded (the padding plus the name is the width); an unpadded name leaves it
unknown. Python 3.15 writes the same rows for a lazy import (PEP 810) when it is resolved, at
the depth where it is resolved: at 0 for one resolved by the handler during an invocation.
Anything else (the header, the user's own stderr) is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Deeper rows are noise: each nested import takes about six frames of Python's default
# recursion limit of 1,000, so real nesting stays well below this.
MAX_DEPTH = 200
ROW = re.compile(
    r"import time:\s*(?P<self>\d{1,15}|cached)\s*\|\s*(?P<cumulative>\d{1,15}|cached)\s*\|"
    r" (?P<indent> *)(?P<name>[^\W\d][\w.]*)\s*$"
)


@dataclass(frozen=True)
class Row:
    """One `-X importtime` row."""

    name: str
    self_us: int  # 0 for a cached row
    cumulative_us: int  # 0 for a cached row
    depth: int | None  # from the indentation; None for a cached row whose name is not padded
    cached: bool


def parse_row(line: str) -> Row | None:
    """The row in a line, or None when the line is not an import time row."""
    match = ROW.search(line)
    if match is None:
        return None
    if "cached" in (match["self"], match["cumulative"]):
        return Row(match["name"], 0, 0, cached_depth(match["indent"], match["name"]), True)
    depth = len(match["indent"]) // 2
    if depth > MAX_DEPTH:
        return None
    return Row(match["name"], int(match["self"]), int(match["cumulative"]), depth, False)


def cached_depth(padding: str, name: str) -> int | None:
    """The depth of a cached row: its right-aligned name fills a width of twice the depth, so a
    padded name gives it; an unpadded one (as wide as the field or wider) does not."""
    width = len(padding) + len(name)
    if not padding or width % 2 or width // 2 > MAX_DEPTH:
        return None
    return width // 2


def parse_rows(lines: Iterable[str]) -> list[Row]:
    """The import time rows among the lines, in the order they were written."""
    return [row for row in map(parse_row, lines) if row is not None]
