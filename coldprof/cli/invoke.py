"""`coldprof invoke`: one invocation in a fresh environment, like `sam local invoke`."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from coldprof.bench.event import load_event
from coldprof.bench.invoke import InvokeOutcome, invoke_once, lambda_log
from coldprof.cli.common import handle_errors
from coldprof.cli.function import RUN_KEYS, function_options
from coldprof.errors import EXIT_FAILED
from coldprof.function import FunctionConfig
from coldprof.render.lifecycle import ADVICE, emulation_lines, left_running_line

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
    response is printed as JSON on stdout; its log and a Lambda-style REPORT line on stderr.

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
    function = FunctionConfig(**settings)
    outcome = invoke_once(function, load_event(event))
    click.echo(lambda_log(outcome), err=True, nl=False)
    for line in _coldprof_lines(outcome, function.memory_mb):
        click.echo(f"coldprof: {line}", err=True)
    click.echo(json.dumps(outcome.response, ensure_ascii=False))
    if not outcome.ok:
        sys.exit(EXIT_FAILED)


def _coldprof_lines(outcome: InvokeOutcome, memory_mb: int) -> list[str]:
    """How the environment lived, and the left-running finding with its advice."""
    lines = []
    if outcome.emulation is not None:
        held = outcome.cpu_ms / outcome.round_trip_ms if outcome.round_trip_ms > 0 else None
        lines += emulation_lines(outcome.emulation, memory_mb, held, outcome.ephemeral_peak_mb)
    if outcome.left_running:
        lines += [f"left running: {left_running_line(item)}" for item in outcome.left_running]
        lines.append(f"advice: {ADVICE}")
    return lines
