"""`coldprof check`: the click command."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from coldprof.check.run import check as run_check
from coldprof.cli.common import emit, handle_errors, output_options
from coldprof.cli.function import RUN_KEYS, function_options
from coldprof.config import MAX_RUNS, load_config
from coldprof.errors import EXIT_FAILED, EXIT_OK
from coldprof.function import with_settings

# The settings the command line may override; the package itself (target, handler, layers)
# is what [tool.coldprof] describes.
PACKAGE_KEYS = ("target", "handler", "layers")
OVERRIDES = ("arch", *(key for key in RUN_KEYS if key not in PACKAGE_KEYS))


def _progress(message: str) -> None:
    click.echo(f"coldprof: {message}", err=True)


@click.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("pyproject.toml"),
    show_default=True,
    help="The file holding [tool.coldprof] and [tool.coldprof.budget].",
)
@click.option(
    "--runs",
    type=click.IntRange(1, MAX_RUNS),
    help="Fresh environments to time init in (default: runs from the config, else 5).",
)
@click.option(
    "--update-baseline",
    is_flag=True,
    help="Write the baseline file with this run's sizes and init median instead of "
    "comparing growth against it.",
)
@function_options(*OVERRIDES, defaults=False)
@output_options(["table", "json", "github", "junit", "markdown"])
@handle_errors
def check(
    config_path: Path,
    runs: int | None,
    update_baseline: bool,
    settings: dict[str, Any],
    fmt: str | None,
    output: Path | None,
) -> None:
    """Fail CI when the package or its cold start goes over budget.

    Reads [tool.coldprof] from pyproject.toml (see docs/check.md): the function (target,
    handler, layers, runtime, python, runtime_sdk, env, memory, timeout, ...; Lambda's
    defaults where unset), and the budgets: zipped, unzipped, init_ms, forbid,
    max_distribution, require_valid_bytecode, allow_incompatible_extensions, baseline and
    max_growth. Sizes are "50 MiB" (2^20 bytes), "50 MB" (10^6 bytes) or whole bytes. init_ms
    compares the median of fresh runs. An option given here overrides the file's key
    (--env adds to its env).

    \b
    Exit status: 0 within budget, 1 over budget, 2 configuration or usage error.

    \b
    Examples:
      coldprof check                                   # ./pyproject.toml, a table
      coldprof check --format github                   # annotations in a GitHub Actions job
      coldprof check --format junit --output reports/check.xml
      coldprof check --config service/pyproject.toml --runs 10
      coldprof check --update-baseline                 # accept today's sizes as the baseline
      coldprof check --runtime python3.12 --memory 256 # another runtime and memory size
    """
    config = load_config(config_path)
    config = replace(config, function=with_settings(config.function, settings))
    if runs is not None:
        config = replace(config, runs=runs)
    observer = _progress if sys.stderr.isatty() else None
    result = run_check(config, observer, update_baseline=update_baseline)
    emit(result, fmt, output)
    if result.baseline_written:
        click.echo(f"wrote baseline {result.baseline}", err=True)
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)
