"""`coldprof analyze`: the click command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from coldprof.analyze import DEFAULT_TOP
from coldprof.analyze import analyze as run_analyze
from coldprof.analyze.runtime import ARCHES, runtime_named
from coldprof.cli.common import emit, handle_errors, output_options
from coldprof.cli.function import function_options


def _progress(count: int) -> None:
    if count % 500 == 0:
        click.echo(f"\rreading files: {count:,}", err=True, nl=False)


@click.command()
@function_options("target", "handler", "layers", "runtime_sdk")
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
    "--no-cache",
    is_flag=True,
    help="Deflate every file again instead of reusing the sizes cached by content "
    "($XDG_CACHE_HOME/coldprof, else ~/.cache/coldprof).",
)
@click.option(
    "--add",
    "additions",
    multiple=True,
    metavar="PACKAGE[==VERSION]",
    help="What adding this package would cost: installed with pip for the runtime and "
    "architecture, its new distributions measured (repeatable; with --handler, the init ms "
    "importing them adds too).",
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
    settings: dict[str, Any],
    runtime: str | None,
    arch: str,
    top: int,
    no_cache: bool,
    additions: tuple[str, ...],
    repeat: int,
    fmt: str | None,
    output: Path | None,
) -> None:
    """What a deployment package weighs, why, what can go, and what fails on Lambda.

    TARGET is a package folder (pip install --target, sam build) or a deployment .zip.
    Nothing in it is imported, run or changed. Findings of severity `error` are what Lambda
    would fail on (a missing dependency, a handler it cannot import, unreadable files, code
    where the runtime never looks, native code that cannot load); the exit status is 0 for
    any analysis that ran: `coldprof check` is the gate for CI.

    \b
    Examples:
      coldprof analyze build/ --runtime python3.12 --handler app.handler
      coldprof analyze function.zip --layer layer.zip --format json
      coldprof analyze build/ --runtime-sdk sdk/   # boto3 & co. as the runtime ships them
      coldprof analyze build/ --output reports/build.json   # table on screen, JSON in the file
      coldprof analyze build/ --runtime python3.12 --add pandas --add requests==2.32.3
      coldprof analyze build/ --add pyyaml --handler app.handler   # and the init ms it adds
    """
    observer = _progress if sys.stderr.isatty() else None
    target_runtime = runtime_named(runtime) if runtime else None
    if additions:
        click.echo(f"resolving {' '.join(additions)} with pip...", err=True)
    result = run_analyze(
        settings["target"],
        settings.get("layers", ()),
        target_runtime,
        arch,
        top,
        observer,
        handler=settings.get("handler"),
        runtime_sdk=settings.get("runtime_sdk"),
        cache=not no_cache,
        add=additions,
        repeat=repeat,
    )
    if observer:
        click.echo("\r" + " " * 40 + "\r", err=True, nl=False)
    emit(result, fmt, output)
