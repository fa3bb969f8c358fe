"""Reading `python -X importtime` rows from a child's stderr.

Each row is `import time: <self us> | <cumulative us> | <2*depth spaces><dotted name>`, written
in post-order (children before their parent). Python 3.14's `-X importtime=2` adds
`import time: cached    | cached     | <name>` rows whose name is right-aligned, so their depth
cannot be read. Anything else (the header, the user's own stderr) is ignored.
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
    depth: int | None  # from the indentation; None for a cached row
    cached: bool


def parse_row(line: str) -> Row | None:
    """The row in a line, or None when the line is not an import time row."""
    match = ROW.search(line)
    if match is None:
        return None
    if "cached" in (match["self"], match["cumulative"]):
        return Row(match["name"], 0, 0, None, True)
    depth = len(match["indent"]) // 2
    if depth > MAX_DEPTH:
        return None
    return Row(match["name"], int(match["self"]), int(match["cumulative"]), depth, False)


def parse_rows(lines: Iterable[str]) -> list[Row]:
    """The import time rows among the lines, in the order they were written."""
    return [row for row in map(parse_row, lines) if row is not None]
