"""`coldprof slim`: the click command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from coldprof.bench.event import load_event
from coldprof.cli.common import emit, handle_errors, output_options
from coldprof.cli.function import RUN_KEYS, function_options
from coldprof.cli.invoke import event_option
from coldprof.errors import EXIT_FAILED
from coldprof.function import FunctionConfig
from coldprof.render.slim import failure_line
from coldprof.slim import STEP_RULES, SlimOptions, parse_steps
from coldprof.slim import slim as run_slim
from coldprof.slim.bytecode import MODES

STAGES = {
    "reading": "reading files",
    "copying": "copying files",
    "compiling": "compiling modules",
    "zipping": "zipping",
    "init": "cold starts, before and after",
}


def progress(stage: str, done: int, total: int) -> None:
    """The stage and its count on stderr, rewritten in place."""
    label = STAGES.get(stage, stage)
    if total == 0:
        if done % 500 == 0:
            click.echo(f"\r\033[K{label}: {done:,}", err=True, nl=False)
        return
    click.echo(f"\r\033[K{label}: {done:,}/{total:,}", err=True, nl=False)
    if done == total:
        click.echo("\r\033[K", err=True, nl=False)


@click.command()
@function_options(*RUN_KEYS, "arch", required=("handler",))
@click.option(
    "--output",
    "-o",
    "package_path",
    type=click.Path(path_type=Path),
    help="The slimmed package to write: OUT.zip (a reproducible zip) or OUT/ (a new folder).",
)
@click.option(
    "--drop",
    default="safe",
    show_default=True,
    metavar="STEP,...",
    help=f"What to take out: any of {', '.join(STEP_RULES)}; `safe` is tests, docs, examples, "
    "c-sources, type-stubs and clutter.",
)
@click.option(
    "--bytecode",
    type=click.Choice(MODES),
    default="unchecked-hash",
    show_default=True,
    help="The .pyc to compile for the runtime (none: compile nothing; valid .pyc are kept).",
)
@event_option
@click.option(
    "--repeat",
    default=5,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Fresh environments per side for the init times.",
)
@click.option("--check", is_flag=True, help="Measure what slim would do and save; write nothing.")
@click.option(
    "--keep-secrets",
    is_flag=True,
    help="Copy files that look like secrets (.env, private keys, .aws/credentials) into the "
    "package; without it slim refuses a target holding them.",
)
@output_options(["table", "json", "markdown"], output_flags=("--result",))
@handle_errors
def slim(
    settings: dict[str, Any],
    package_path: Path | None,
    drop: str,
    bytecode: str,
    event: str | None,
    repeat: int,
    check: bool,
    keep_secrets: bool,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Write a smaller package built from analyze's findings, and prove it is better.

    TARGET (a folder or a deployment .zip) is only read. Each --drop step acts on analyze's
    findings; dist-info folders stay and their RECORD files are rewritten to describe what is
    left. Every module gets bytecode from the --runtime's own interpreter, .so files of the
    debug-symbols step are stripped (copies only) and checked to still load. Then both
    packages are measured side by side in one run: sizes, init over --repeat fresh
    environments, and the handler's answer to --event, which must not change (or nothing is
    written and the exit status is 1). A target holding what analyze calls secret files is
    refused unless --keep-secrets; symbolic links are copied as the files they point to when
    they stay inside the package, and refused when they leave it.

    \b
    Examples:
      coldprof slim build/ --handler app.handler -o dist/function.zip
      coldprof slim build/ --handler app.handler -o slim/ --runtime python3.12 --event event.json
      coldprof slim build/ --handler app.handler --drop safe,debug-symbols --check
      coldprof slim function.zip --handler app.handler -o small.zip --result slim.json
    """
    options = SlimOptions(
        output=package_path,
        drop=parse_steps(drop),
        bytecode=bytecode,
        event=load_event(event),
        repeat=repeat,
        check=check,
        keep_secrets=keep_secrets,
    )
    observer = progress if sys.stderr.isatty() else None
    result = run_slim(FunctionConfig(**settings), options, observer)
    emit(result, fmt, output)
    if not result.ok:
        click.echo(f"coldprof: slim failed: {failure_line(result)}; nothing written", err=True)
        sys.exit(EXIT_FAILED)
    if result.output is not None:
        click.echo(f"wrote {result.output}", err=True)
