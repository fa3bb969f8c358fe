"""`coldprof report`: the click command."""

from __future__ import annotations

from pathlib import Path

import click

from coldprof.cli.common import handle_errors
from coldprof.render.report import FORMATS, render_report
from coldprof.report import default_path, format_for, load_all, refuse_overwriting, write


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE (default: HTML under reports/, named after the inputs; "
    "Markdown to stdout).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="html (default, needs plotly) or markdown; guessed from --output's extension.",
)
@handle_errors
def report(results: tuple[Path, ...], output: Path | None, fmt: str | None) -> None:
    """Charts and tables from JSON results of analyze, imports, bench and check.

    RESULTS are JSON files written with --format json (any mix of kinds; several of one
    kind are compared side by side). The HTML file is self-contained and works offline.

    \b
    Examples:
      coldprof report build.json imports.json bench.json
      coldprof report before.json after.json -o reports/compare.html
      coldprof report build.json --format markdown >> "$GITHUB_STEP_SUMMARY"
    """
    fmt = fmt or (format_for(output) if output else "html")
    loaded = load_all(results)
    if fmt == "markdown" and output is None:
        click.echo(render_report(loaded, fmt), nl=False)
        return
    path = output or default_path(results, fmt)
    refuse_overwriting(path, results)
    click.echo(f"wrote {write(loaded, path, fmt)}", err=True)
