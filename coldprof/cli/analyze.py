"""`coldprof analyze`: the click command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from coldprof.analyze import DEFAULT_TOP, analyze_function
from coldprof.cli.common import emit, handle_errors, output_options
from coldprof.cli.function import function_options
from coldprof.config import load_config
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig, with_settings

# The settings that change what analyze finds; TARGET may come from [tool.coldprof].
ANALYZE_KEYS = ("target", "handler", "layers", "runtime", "arch", "runtime_sdk")
DEFAULT_CONFIG = Path("pyproject.toml")


def _progress(count: int) -> None:
    if count % 500 == 0:
        click.echo(f"\rreading files: {count:,}", err=True, nl=False)


def function_of(settings: dict[str, Any], config_path: Path | None) -> FunctionConfig:
    """The function to analyse: [tool.coldprof] of --config (or of ./pyproject.toml without
    TARGET), the options given overriding its keys; else the options alone."""
    if config_path is None and "target" not in settings:
        if not DEFAULT_CONFIG.is_file():
            raise UsageError(
                "give TARGET (a package folder or .zip), or run where a pyproject.toml with "
                "[tool.coldprof] names it (or pass --config)"
            )
        config_path = DEFAULT_CONFIG
    if config_path is None:
        return FunctionConfig(**settings)
    return with_settings(load_config(config_path).function, settings)


@click.command()
@function_options(*ANALYZE_KEYS, defaults=False, optional_target=True)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A pyproject.toml whose [tool.coldprof] describes the function (target, handler, "
    "layers, runtime, arch, runtime_sdk); options given here override its keys. Without "
    "TARGET, ./pyproject.toml is read.",
)
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
    config_path: Path | None,
    top: int,
    no_cache: bool,
    additions: tuple[str, ...],
    repeat: int,
    fmt: str | None,
    output: Path | None,
) -> None:
    """What a deployment package weighs, why, what can go, and what fails on Lambda.

    TARGET is a package folder (pip install --target, sam build) or a deployment .zip; without
    it, the function [tool.coldprof] describes in ./pyproject.toml (or --config's) is analysed,
    with its layers, runtime, arch, handler and runtime_sdk (docs/function.md).
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
      coldprof analyze                      # the function of ./pyproject.toml's [tool.coldprof]
    """
    function = function_of(settings, config_path)
    observer = _progress if sys.stderr.isatty() else None
    if additions:
        click.echo(f"resolving {' '.join(additions)} with pip...", err=True)
    result = analyze_function(
        function, top, observer, cache=not no_cache, add=additions, repeat=repeat
    )
    if observer:
        click.echo("\r" + " " * 40 + "\r", err=True, nl=False)
    emit(result, fmt, output)
