"""`coldprof report` and every command's `--report FILE`: results in, one report file out.

Results are read back into their typed records (coldprof.results.load); the report itself
is drawn by the output layer (coldprof.render.report).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from coldprof.errors import UsageError
from coldprof.render.report import INSTALL_HINT, plotly_installed, render_report
from coldprof.results import display_path, load

FORMAT_BY_SUFFIX = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
REPORTS_FOLDER = Path("reports")
MAX_NAME_PARTS = 3

Results = Sequence[tuple[str, Any]]  # (source, result record) pairs


def format_for(path: Path) -> str:
    """The report format a file name asks for: html or markdown."""
    try:
        return FORMAT_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise UsageError(
            f"cannot tell the report format of {path.name!r}; name it .html or .md"
        ) from None


def default_path(inputs: Sequence[Path], fmt: str = "html") -> Path:
    """reports/<input names>.html (or .md): where a report goes when no file is named."""
    stems = list(dict.fromkeys(re.sub(r"[^A-Za-z0-9._-]+", "_", p.stem) for p in inputs))
    name = "+".join(stems[:MAX_NAME_PARTS]).strip("._") or "report"
    if len(stems) > MAX_NAME_PARTS:
        name += f"+{len(stems) - MAX_NAME_PARTS}-more"
    return REPORTS_FOLDER / f"{name}.{'html' if fmt == 'html' else 'md'}"


def refuse_overwriting(output: Path, inputs: Sequence[Path]) -> None:
    """A usage error when the report would be written over one of the results it reads."""
    for path in inputs:
        if path.exists() and output.exists() and output.samefile(path):
            raise UsageError(f"{output} is one of the results to read; write the report elsewhere")


def load_all(paths: Sequence[Path]) -> list[tuple[str, Any]]:
    """Every result file read back into its typed record, in the order given."""
    return [(display_path(str(path)), load(Path(path))) for path in paths]


def _write(path: Path, content: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write the report to {path}: {error.strerror}") from None


def write(results: Results, path: Path, fmt: str) -> Path:
    """Write the report; without plotly, write the Markdown beside it and say how to get HTML."""
    if fmt == "html" and not plotly_installed():
        fallback = path.with_suffix(".md")
        _write(fallback, render_report(results, "markdown"))
        raise UsageError(
            f"the HTML report needs plotly ({INSTALL_HINT}); wrote the Markdown to {fallback}"
        )
    _write(path, render_report(results, fmt))
    return path


def write_result_report(result: Any, path: Path) -> Path:
    """Write the report of one result record to a file (what every command's --report does)."""
    return write([(Path(path).stem, result)], path, format_for(path))
