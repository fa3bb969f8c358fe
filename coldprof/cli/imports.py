"""`coldprof imports`: the click command."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import click

from coldprof.bench.event import load_event
from coldprof.cli.common import emit, handle_errors, output_options
from coldprof.cli.function import RUN_KEYS, function_options
from coldprof.errors import EXIT_FAILED, UsageError
from coldprof.function import FunctionConfig
from coldprof.imports.flamegraph import flamegraph
from coldprof.imports.profile import DEFAULT_EVENTS, profile_imports
from coldprof.imports.result import ImportsResult
from coldprof.imports.runs import Event


def progress(done: int, total: int) -> None:
    """Run count on stderr, rewritten in place."""
    click.echo(f"\rcold starts: {done}/{total}", err=True, nl=done == total)


@click.command()
@function_options(*RUN_KEYS, required=("handler",))
@click.option(
    "--repeat",
    default=5,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Fresh processes per kind of run.",
)
@click.option(
    "--top",
    default=30,
    show_default=True,
    type=click.IntRange(1),
    help="Modules shown in the tree (largest cumulative times).",
)
@click.option(
    "--min-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Hide modules whose cumulative time is below this.",
)
@click.option(
    "--event",
    "events",
    multiple=True,
    metavar="EVENT",
    help="Invoke the handler after init with this event (a JSON file, inline JSON, or - for "
    "standard input); repeatable: the events are invoked in order in each environment. "
    "Default: one invocation with {}.",
)
@click.option(
    "--no-invoke",
    is_flag=True,
    help="Profile init only: invoke nothing (no deferred imports, no usage measured).",
)
@click.option(
    "--flamegraph",
    "flamegraph_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the import tree to FILE: speedscope JSON for .json, else collapsed stacks.",
)
@output_options(["table", "json", "markdown"])
@handle_errors
def imports(
    settings: dict[str, Any],
    repeat: int,
    top: int,
    min_ms: float,
    events: tuple[str, ...],
    no_invoke: bool,
    flamegraph_file: Path | None,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Where the init phase goes, module by module and dependency by dependency, and what of it
    the invocations need.

    TARGET is the function's folder or deployment .zip; it is never modified. Each run is a
    fresh child interpreter set up like a Lambda execution environment: runs without
    -X importtime give the init time, runs with it the import tree, runs with a warmed
    bytecode cache outside the package what shipping valid .pyc files would save. The
    profiled runs then invoke the events: what an invocation imports that init had not (an
    import inside the handler) is shown as deferred to it. One more run, apart and never timed,
    watches what the events use: the modules init loaded that no event used (lazy-import
    candidates) and the package files never loaded. "Used" is what these events exercised,
    not a proof. The function gets Lambda's defaults, as on invoke and bench: 128 MB, and an init
    past Lambda's own 10 s limit is stopped and run again under --timeout, as Lambda runs it
    inside the first invocation.

    \b
    Examples:
      coldprof imports build/ --handler app.handler
      coldprof imports build/ --handler app.handler --event events/get.json --event events/put.json
      coldprof imports function.zip --handler app.handler --layer layer.zip --repeat 10
      coldprof imports build/ --handler app.handler --runtime python3.15 --lazy-imports all
      coldprof imports build/ --handler app.handler --no-invoke --flamegraph init.speedscope.json
      coldprof imports build/ --handler app.handler --format json --output imports.json

    Exit status 1 when the handler fails to initialise (the JSON document is still written); an
    invocation that fails is reported, and the status stays 0.
    """
    if no_invoke and events:
        raise UsageError("--no-invoke and --event: give one or the other")
    result = profile_imports(
        FunctionConfig(**settings),
        repeat=repeat,
        observer=progress if sys.stderr.isatty() else None,
        events=chosen_events(events, no_invoke),
    )
    result = dataclasses.replace(result, top=top, min_ms=min_ms)
    emit(result, fmt, output)
    if flamegraph_file is not None:
        write_flamegraph(result, flamegraph_file)
    if result.error is not None:
        click.echo(f"coldprof: {result.error.type}: {result.error.message}", err=True)
        sys.exit(EXIT_FAILED)


def chosen_events(values: tuple[str, ...], no_invoke: bool) -> tuple[Event, ...]:
    """The events to invoke, each with the name it was given (none with --no-invoke)."""
    if no_invoke:
        return ()
    return tuple((value, load_event(value)) for value in values) or DEFAULT_EVENTS


def write_flamegraph(result: ImportsResult, path: Path) -> None:
    """Write the flame graph file and say so on stderr (UsageError when it cannot be written)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(flamegraph(result, path), encoding="utf-8")
    except OSError as error:
        raise UsageError(f"--flamegraph {path}: cannot write: {error.strerror or error}") from None
    click.echo(f"wrote {path}", err=True)
