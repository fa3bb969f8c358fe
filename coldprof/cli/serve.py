"""`coldprof serve`: the click command."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

import click

from coldprof.cli.common import handle_errors
from coldprof.cli.function import function_options
from coldprof.serve import SERVE_KEYS, parse_function
from coldprof.serve import serve as run_server

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Stop(Exception):
    """SIGINT, SIGTERM or SIGHUP arrived: stop serving and end every environment."""


def _stop(signum: int, frame: FrameType | None) -> None:
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise _Stop(signal.Signals(signum).name)


def _say(message: str) -> None:
    click.echo(f"coldprof serve: {message}", err=True)


@click.command()
@click.option(
    "--function",
    "functions",
    multiple=True,
    required=True,
    metavar="NAME=TARGET:module.handler[,key=value...]",
    help="A function to serve: its name, its folder or .zip, its handler, then its own "
    f"settings ({', '.join(SERVE_KEYS)}; env.NAME=VALUE); repeatable.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=9001,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--max-environments",
    default=4,
    show_default=True,
    type=click.IntRange(1),
    help="Environments per function at once; beyond, invocations get TooManyRequestsException.",
)
@click.option(
    "--idle-timeout",
    "idle_timeout_s",
    default=300.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds an environment may stay idle before it is ended.",
)
@function_options(*SERVE_KEYS)
@click.option("--quiet", is_flag=True, help="Print nothing per request.")
@handle_errors
def serve(
    functions: tuple[str, ...],
    host: str,
    port: int,
    max_environments: int,
    idle_timeout_s: float,
    settings: dict[str, Any],
    quiet: bool,
) -> None:
    """A local Lambda Invoke API endpoint: boto3 and the AWS CLI work against it unchanged.

    Each function keeps warm environments and reuses them; a configuration change
    (UpdateFunctionConfiguration) ends them, so the next invocation is a cold start.
    Stop with Ctrl-C, SIGTERM or SIGHUP: every environment is ended.

    Every function gets Lambda's defaults (128 MB, 3 s), then the settings given as options
    (--memory, --env, ...: for every function), then its own after its handler, with the
    keys of [tool.coldprof]: --function api=build/:app.handler,memory=512,env.STAGE=dev.
    A value holding a comma is quoted, as in CSV: 'api=build/:app.handler,"env.TAGS=a,b"'.

    \b
    Examples:
      coldprof serve --function hello=build/:app.handler
      coldprof serve --function api=function.zip:api.main.handler --port 3001
      coldprof serve --function api=build/:app.handler,memory=512,timeout=10,env.STAGE=dev
      coldprof serve --runtime python3.12 --function a=a/:app.handler --function b=b/:app.main
      aws lambda invoke --endpoint-url http://127.0.0.1:9001 --function-name hello out.json
      coldprof bench --function-name hello --endpoint-url http://127.0.0.1:9001
    """
    served = [parse_function(text, settings) for text in functions]
    previous = {signum: signal.signal(signum, _stop) for signum in STOP_SIGNALS}
    try:
        with run_server(
            served,
            host=host,
            port=port,
            max_environments=max_environments,
            idle_timeout_s=idle_timeout_s,
            region=settings.get("region"),
            observer=None if quiet else _say,
        ) as server:
            names = ", ".join(function.function_name for function in served)
            _say(f"serving {names} on {server.url} (Ctrl-C to stop)")
            server.serve_forever()
    except _Stop as stop:
        _say(f"{stop}: stopped; every environment ended")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
