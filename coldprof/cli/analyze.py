"""`coldprof analyze`: the click command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from coldprof.analyze import DEFAULT_TOP
from coldprof.analyze import analyze as run_analyze
from coldprof.analyze.runtime import ARCHES, runtime_named
from coldprof.cli.common import emit, handle_errors, layer_option, output_options
from coldprof.errors import UsageError


def _progress(count: int) -> None:
    if count % 500 == 0:
        click.echo(f"\rreading files: {count:,}", err=True, nl=False)


@click.command()
@click.argument("target", type=click.Path(path_type=Path))
@layer_option
@click.option("--runtime", help="Target runtime, e.g. python3.12 (default: this Python's).")
@click.option("--arch", type=click.Choice(ARCHES), default="x86_64", show_default=True)
@click.option(
    "--top",
    default=DEFAULT_TOP,
    show_default=True,
    type=click.IntRange(1),
    help="How many of the largest folders and files to list.",
)
@click.option(
    "--add",
    "additions",
    multiple=True,
    metavar="PACKAGE[==VERSION]",
    help="What adding this package would cost: installed with pip for the runtime and "
    "architecture, its new distributions measured (repeatable).",
)
@click.option(
    "--handler",
    metavar="MODULE.FUNCTION",
    help="With --add: also measure the init ms that importing the new modules adds.",
)
@click.option(
    "--repeat",
    default=5,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="With --add and --handler: fresh environments per side.",
)
@output_options(["table", "json", "markdown"])
@handle_errors
def analyze(
    target: Path,
    layers: tuple[Path, ...],
    runtime: str | None,
    arch: str,
    top: int,
    additions: tuple[str, ...],
    handler: str | None,
    repeat: int,
    fmt: str | None,
    output: Path | None,
) -> None:
    """What a deployment package weighs, why, and what can go.

    TARGET is a package folder (pip install --target, sam build) or a deployment .zip.
    Nothing in it is imported, run or changed.

    \b
    Examples:
      coldprof analyze build/ --runtime python3.12
      coldprof analyze function.zip --layer layer.zip --format json
      coldprof analyze build/ --output reports/build.json   # table on screen, JSON in the file
      coldprof analyze build/ --runtime python3.12 --add pandas --add requests==2.32.3
      coldprof analyze build/ --add pyyaml --handler app.handler   # and the init ms it adds
    """
    observer = _progress if sys.stderr.isatty() else None
    target_runtime = runtime_named(runtime) if runtime else None
    if handler is not None and not additions:
        raise UsageError("--handler is for --add: it measures the init the added modules cost")
    if additions:
        click.echo(f"resolving {' '.join(additions)} with pip...", err=True)
    result = run_analyze(
        target,
        layers,
        target_runtime,
        arch,
        top,
        observer,
        add=additions,
        handler=handler,
        repeat=repeat,
    )
    if observer:
        click.echo("\r" + " " * 40 + "\r", err=True, nl=False)
    emit(result, fmt, output)
