"""-X importtime rows -> the import tree: real interpreter output first, then the FACTS.md rules."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from coldprof.errors import UsageError
from coldprof.imports.parser import cached_depth, parse_row, parse_rows
from coldprof.imports.tree import build_forest, find_module, median_tree, walk
from coldprof.sandbox import find_interpreter

KNOWN_TREE = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "known_tree"
IMPORT_APP = "import sys; sys.path.insert(0, '.'); import app"


def real_python(version: str) -> str | None:
    """The real executable of a working pythonX.Y, found as --runtime finds one, or None."""
    try:
        return find_interpreter(None, f"python{version}").executable
    except UsageError:
        return None


def importtime_lines(python: str) -> list[str]:
    """The stderr of a real `-X importtime` run of the known-tree fixture."""
    completed = subprocess.run(
        [python, "-I", "-S", "-B", "-X", "importtime", "-c", IMPORT_APP],
        cwd=KNOWN_TREE,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stderr.splitlines()


def tree_text(lines: list[str], module: str) -> list[tuple[int, str]]:
    root = find_module(build_forest(parse_rows(lines)), module)
    assert root is not None
    return [(depth, node.name) for node, depth, _ in walk(root)]


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13", "3.14"])
def test_real_importtime_output_gives_the_known_tree(version):
    python = real_python(version)
    if python is None:
        pytest.skip(f"python{version} is not installed")
    lines = importtime_lines(python)
    app = find_module(build_forest(parse_rows(lines)), "app")
    assert app is not None
    by_name = {node.name: (node, depth) for node, depth, _ in walk(app)}
    assert by_name["settings"][1] == 1
    assert by_name["slow_a"][1] == 1
    assert by_name["slow_b"][1] == 2
    slow_a, slow_b = by_name["slow_a"][0], by_name["slow_b"][0]
    assert slow_b.self_ms >= 20
    assert slow_a.self_ms >= 50
    assert slow_a.cumulative_ms >= slow_a.self_ms + slow_b.cumulative_ms - 0.01
    assert app.self_ms >= 30  # the module-level sleep after the imports
    assert app.cumulative_ms >= 100
    # the handler's own stderr line is not a row
    assert "noise" not in by_name


def test_depth_comes_from_two_space_indentation_in_post_order():
    lines = [
        "import time: self [us] | cumulative | imported package",
        "import time:        10 |         10 |     c",
        "import time:        20 |         30 |   b",
        "import time:         5 |          5 |   d",
        "import time:       100 |        135 | a",
    ]
    assert tree_text(lines, "a") == [(0, "a"), (1, "b"), (2, "c"), (1, "d")]
    b = find_module(build_forest(parse_rows(lines)), "b")
    assert (b.self_ms, b.cumulative_ms) == (0.02, 0.03)


def test_widened_columns_still_parse():
    row = parse_row("import time:  12345678901 |  123456789012 |   botocore.data")
    assert row is not None
    assert (row.self_us, row.cumulative_us, row.depth) == (12345678901, 123456789012, 1)
    assert row.name == "botocore.data"


def test_the_handler_row_is_chosen_by_name_not_by_largest_cumulative():
    lines = [
        "import time:      9000 |       9000 | encodings",
        "import time:        50 |         50 |   json.decoder",
        "import time:       400 |        450 | app",
        "import time:     50000 |      50000 | site",
    ]
    app = find_module(build_forest(parse_rows(lines)), "app")
    assert (app.name, app.cumulative_ms) == ("app", 0.45)
    assert find_module(build_forest(parse_rows(lines)), "missing") is None


def test_the_same_name_twice_gives_two_nodes_matched_by_position_across_runs():
    run = [
        "import time:       100 |        100 |   numpy._core._multiarray_umath",
        "import time:       300 |        300 |   numpy._core._multiarray_umath",
        "import time:        10 |        410 | numpy",
    ]
    slower = [line.replace("300 |        300", "500 |        500") for line in run]
    slower[-1] = "import time:        10 |        610 | numpy"
    roots = [find_module(build_forest(parse_rows(r)), "numpy") for r in (run, slower, run)]
    median = median_tree(roots)
    assert [child.self_ms for child in median.children] == [0.1, 0.3]
    assert median.cumulative_ms == 0.41
    keys = [key for _, _, key in walk(median)]
    assert keys[1:] == [
        (("numpy._core._multiarray_umath", 0),),
        (("numpy._core._multiarray_umath", 1),),
    ]


def test_medians_over_runs_and_modules_seen_in_only_some_runs():
    def run(app_us: int, extra: bool) -> list[str]:
        rows = [f"import time:       {app_us} |       {app_us + 1000} | app"]
        child = ["import time:      1000 |       1000 |   requests"]
        lazy = ["import time:       700 |        700 |   lazy"] if extra else []
        return child + lazy + rows

    roots = [
        find_module(build_forest(parse_rows(run(us, extra))), "app")
        for us, extra in ((2000, False), (3000, True), (9000, False))
    ]
    median = median_tree(roots)
    assert (median.self_ms, median.cumulative_ms, median.runs) == (3.0, 4.0, 3)
    by_name = {child.name: child for child in median.children}
    assert by_name["requests"].runs == 3
    assert (by_name["lazy"].runs, by_name["lazy"].self_ms) == (1, 0.7)


def test_python_314_cached_rows_are_leaves_without_time_or_depth():
    lines = [
        "import time: self [us] | cumulative | imported package",
        "import time:       100 |        100 |     b",
        "import time: cached    | cached     |    os",
        "import time:       200 |        300 |   a",
        "import time: cached    | cached     | sys",
        "import time:        50 |        350 | app",
    ]
    rows = parse_rows(lines)
    assert [(r.name, r.cached, r.depth) for r in rows if r.cached] == [
        ("os", True, None),
        ("sys", True, None),
    ]
    app = find_module(build_forest(rows), "app")
    assert [(depth, n.name, n.cached) for n, depth, _ in walk(app)] == [
        (0, "app", False),
        (1, "a", False),
        (2, "b", False),
        (2, "os", True),
        (1, "sys", True),
    ]
    assert app.cumulative_ms == 0.35
    assert find_module(build_forest(rows), "os") is None  # a cached row is never the handler


def test_user_stderr_between_rows_is_ignored():
    lines = [
        "import time:        10 |         10 |   child",
        "WARNING: something the handler printed",
        "import time: noise the handler wrote | not a row",
        "Traceback (most recent call last):",
        "",
        "partial line without newlineimport time:        20 |         20 |   other",
        "import time:        30 |         60 | app",
    ]
    assert tree_text(lines, "app") == [(0, "app"), (1, "child"), (1, "other")]


def test_hostile_rows_are_dropped_not_crashed_on():
    deep = "import time:        10 |         10 | " + " " * 20_000 + "deep"
    huge = "import time: " + "9" * 5000 + " | 1 | huge"
    assert parse_row(deep) is None
    assert parse_row(huge) is None
    chain = [f"import time: 1 | 1 | {' ' * 2 * d}m{d}" for d in range(200, -1, -1)]
    forest = build_forest(parse_rows(chain))
    assert len(forest) == 1
    assert max(depth for _, depth, _ in walk(median_tree(forest))) == 200


def row_text(self_us: int, cumulative_us: int, level: int, name: str) -> str:
    """A row as CPython's import.c writes it: "import time: %9ld | %10ld | %*s%s"."""
    row = (self_us, cumulative_us, level * 2, "", name)
    return "import time: %9d | %10d | %*s%s" % row  # noqa: UP031 (C's printf format, as it is)


def cached_text(level: int, name: str) -> str:
    """An -X importtime=2 row: "import time: cached    | cached     | %*s" (right-aligned)."""
    return "import time: cached    | cached     | %*s" % (level * 2, name)  # noqa: UP031


def test_python_315_rows_lazy_imports_resolved_later_and_padded_cached_rows():
    init = [
        "import time: self [us] | cumulative | imported package",
        row_text(150, 150, 2, "b"),
        cached_text(2, "os"),  # "  os": padded to a width of 4, so at depth 2
        cached_text(1, "sys"),  # wider than its field (2): written unpadded, depth unknown
        row_text(200, 350, 1, "a"),
        cached_text(3, "collections"),  # wider than its field (6): depth unknown
        row_text(50, 400, 0, "app"),
    ]
    rows = parse_rows(init)
    assert [(r.name, r.depth) for r in rows if r.cached] == [
        ("os", 2),
        ("sys", None),
        ("collections", None),
    ]
    app = find_module(build_forest(rows), "app")
    assert [(depth, n.name, n.cached) for n, depth, _ in walk(app)] == [
        (0, "app", False),
        (1, "a", False),
        (2, "b", False),
        (2, "os", True),
        (2, "sys", True),  # unknown depth: a leaf of the next row to complete
        (1, "collections", True),
    ]
    # a lazy import resolved by the handler during an invocation: its rows at depth 0
    resolved = [
        row_text(300, 300, 1, "json.decoder"),
        cached_text(1, "re"),  # as wide as its field: unpadded, depth unknown
        row_text(900, 1200, 0, "json"),
        cached_text(0, "os"),
    ]
    forest = build_forest(parse_rows(resolved))
    assert [(n.name, n.cumulative_ms, [c.name for c in n.children]) for n in forest] == [
        ("json", 1.2, ["json.decoder", "re"]),
        ("os", 0.0, []),
    ]


def test_a_cached_rows_depth_needs_an_even_padded_width():
    assert cached_depth("  ", "os") == 2
    assert cached_depth("", "os") is None
    assert cached_depth("   ", "os") is None  # 5: no width CPython writes
    assert cached_depth(" " * 999, "x") is None  # deeper than any real import
