"""`coldprof invoke`: one invocation in a fresh environment, like `sam local invoke`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from coldprof.bench.event import load_event
from coldprof.bench.function import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, FunctionConfig
from coldprof.bench.invoke import invoke_once, lambda_log
from coldprof.cli.common import handle_errors, layer_option, parse_env
from coldprof.data import lambda_facts
from coldprof.errors import EXIT_FAILED

LIMITS = lambda_facts()["limits"]


def function_options(command: Callable) -> Callable:
    """The options that configure the function: handler, event, layers, interpreter, limits."""
    options = [
        click.option("--handler", required=True, help="The function's handler, e.g. app.handler."),
        click.option(
            "--event",
            help="The event: a JSON file, inline JSON, or - for standard input (default: {}).",
        ),
        layer_option,
        click.option("--python", help="Interpreter to run the handler (default: this one)."),
        click.option("--runtime", help="Lambda runtime, e.g. python3.12: must match --python."),
        click.option(
            "--runtime-sdk",
            type=click.Path(file_okay=False, path_type=Path),
            help="Folder with the SDK the runtime provides (boto3, ...), after the layers.",
        ),
        click.option(
            "--env", "env", multiple=True, callback=parse_env, help="NAME=VALUE (repeatable)."
        ),
        click.option(
            "--memory",
            "memory_mb",
            default=DEFAULT_MEMORY_MB,
            show_default=True,
            type=click.IntRange(LIMITS["memory_min_mb"], LIMITS["memory_max_mb"]),
            help="Memory size in MB: resident memory above it ends the environment (OOM).",
        ),
        click.option(
            "--timeout",
            "timeout_s",
            default=DEFAULT_TIMEOUT_S,
            show_default=True,
            type=click.FloatRange(0, LIMITS["timeout_max_s"], min_open=True),
            help="Seconds an invocation may run before it is killed.",
        ),
        click.option(
            "--region",
            default="us-east-1",
            show_default=True,
            help="AWS_REGION inside the function (costs use us-east-1 prices, and say so).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def function_config(
    layers: tuple[Path, ...],
    python: str | None,
    runtime: str | None,
    runtime_sdk: Path | None,
    env: dict[str, str],
    memory_mb: int,
    timeout_s: float,
    region: str,
) -> FunctionConfig:
    """The FunctionConfig the function options describe."""
    return FunctionConfig(layers, python, runtime, runtime_sdk, env, memory_mb, timeout_s, region)


@click.command()
@click.argument("target", type=click.Path(path_type=Path))
@function_options
@handle_errors
def invoke(
    target: Path,
    handler: str,
    event: str | None,
    layers: tuple[Path, ...],
    python: str | None,
    runtime: str | None,
    runtime_sdk: Path | None,
    env: dict[str, str],
    memory_mb: int,
    timeout_s: float,
    region: str,
) -> None:
    """Invoke the handler once in a fresh environment, like `sam local invoke` without Docker.

    TARGET is the function's folder or deployment .zip; it is never modified. The handler's
    response is printed as JSON on stdout; its log and a Lambda-style REPORT line on stderr.

    \b
    Examples:
      coldprof invoke build/ --handler app.handler
      coldprof invoke function.zip --handler app.handler --event events/get.json
      coldprof invoke build/ --handler app.handler --event '{"id": 42}' --memory 512
      echo '{"id": 42}' | coldprof invoke build/ --handler app.handler --event -

    Exit status 1 when the function fails; stdout then holds Lambda's error payload
    (errorMessage, errorType, stackTrace).
    """
    config = function_config(
        layers, python, runtime, runtime_sdk, env, memory_mb, timeout_s, region
    )
    outcome = invoke_once(target, handler, load_event(event), config)
    click.echo(lambda_log(outcome), err=True, nl=False)
    click.echo(json.dumps(outcome.response, ensure_ascii=False))
    if not outcome.ok:
        sys.exit(EXIT_FAILED)
