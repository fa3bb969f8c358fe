"""ruff lint and format, as part of every test run."""

from __future__ import annotations

import ast
import itertools
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_check_is_clean():
    result = ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


# Text in Lambda's own words (its REPORT and INIT_REPORT lines, its error messages) and
# coldprof's log marker keep their exact format; every other size and time goes through
# coldprof/render/units.py.
EXACT_FORMATS = {
    "coldprof/render/units.py",
    "coldprof/bench/report_line.py",
    "coldprof/bench/invocation.py",
    "coldprof/serve/errors.py",
    "coldprof/serve/operations/invocation.py",
    "coldprof/sandbox/capture.py",
}
UNIT_AFTER_VALUE = re.compile(r"^ ?(ms|s|B|KiB|MiB|GiB|kB|MB|GB|bytes)\b")


def _ad_hoc_units(path: Path) -> list[str]:
    """f-strings in the file that put a unit right after a formatted value: "{x:.1f} MB"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.JoinedStr):
            continue
        parts = node.values
        for value, text in itertools.pairwise(parts):
            if not isinstance(value, ast.FormattedValue) or not isinstance(text, ast.Constant):
                continue
            if UNIT_AFTER_VALUE.match(str(text.value)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_sizes_and_times_are_worded_by_the_units_module_only():
    found = []
    for path in sorted((ROOT / "coldprof").rglob("*.py")):
        if str(path.relative_to(ROOT)) not in EXACT_FORMATS:
            found += [f for f in _ad_hoc_units(path) if "payload size" not in f]
    assert found == []
