"""`coldprof invoke`: one invocation in a fresh environment, like `sam local invoke`."""

from __future__ import annotations

import sys
from typing import Any

import click

from coldprof.bench.event import load_event
from coldprof.bench.invoke import invoke_once
from coldprof.cli.common import handle_errors
from coldprof.cli.function import RUN_KEYS, function_options
from coldprof.errors import EXIT_FAILED
from coldprof.function import FunctionConfig
from coldprof.render.lifecycle import invocation_lines

event_option = click.option(
    "--event",
    help="The event: a JSON file, inline JSON, or - for standard input (default: {}).",
)


@click.command()
@function_options(*RUN_KEYS, required=("handler",))
@event_option
@handle_errors
def invoke(settings: dict[str, Any], event: str | None) -> None:
    """Invoke the handler once in a fresh environment, like `sam local invoke` without Docker.

    TARGET is the function's folder or deployment .zip; it is never modified. The handler's
    response is printed on stdout exactly as Lambda returns it (the runtime's JSON, or the
    bytes a handler returned); its log, framed as Lambda writes it (START, END, REPORT, and
    INIT_REPORT when init failed or passed Lambda's 10 s limit), on stderr.

    \b
    Examples:
      coldprof invoke build/ --handler app.handler
      coldprof invoke function.zip --handler app.handler --event events/get.json
      coldprof invoke build/ --handler app.handler --event '{"id": 42}' --memory 512
      echo '{"id": 42}' | coldprof invoke build/ --handler app.handler --event -

    The CPU is the memory size's share, as on Lambda (--cpu-share off: this machine's); after
    the REPORT line, lines starting `coldprof:` say how the environment was emulated here and
    name any work the handler left running when it returned.

    Exit status 1 when the function fails; stdout then holds Lambda's error payload
    (errorMessage, errorType, stackTrace).
    """
    outcome = invoke_once(FunctionConfig(**settings), load_event(event))
    click.echo(outcome.log(), err=True, nl=False)
    for line in invocation_lines(outcome):
        click.echo(f"coldprof: {line}", err=True)
    click.echo(outcome.payload())
    if not outcome.ok:
        sys.exit(EXIT_FAILED)
