"""`coldprof serve`: the click command."""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

import click

from coldprof.cli.common import handle_errors
from coldprof.cli.function import function_options
from coldprof.data import lambda_facts
from coldprof.function.record import SERVE_KEYS

if TYPE_CHECKING:  # coldprof.serve loads botocore: only when serve runs
    from coldprof.serve import AccessKey, LambdaServer

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_POLL_S = 0.1  # how often the main thread looks whether a stop signal has arrived


class _StopSignals:
    """SIGINT, SIGTERM and SIGHUP armed, while in use, to note the first that arrives (a repeat
    changes nothing). The handler only notes it: an exception raised from a handler would be
    swallowed by socketserver's `except Exception`, or would cut the ending of environments.
    Once one has arrived, they are ignored from then on: the process is ending, and Python
    resets a handler of its own to the default while it shuts down, where a repeat would kill
    it."""

    def __init__(self) -> None:
        self.received: str | None = None

    def __enter__(self) -> _StopSignals:
        self._previous = {signum: signal.signal(signum, self._note) for signum in STOP_SIGNALS}
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: TracebackType | None):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if self.received is None else signal.SIG_IGN)

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.received = self.received or signal.Signals(signum).name


def _serve_until_stopped(server: LambdaServer, signals: _StopSignals) -> None:
    """Serve in a thread until a stop signal arrives, then stop the loop (the main thread only
    waits, so a signal never lands inside the server's own code)."""
    loop = threading.Thread(target=server.serve_forever, name="serve", daemon=True)
    loop.start()
    while signals.received is None and loop.is_alive():
        time.sleep(STOP_POLL_S)
    server.shutdown()


def _say(message: str) -> None:
    click.echo(f"coldprof serve: {message}", err=True)


def _accept_keys(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple:
    """Each --accept-key KEY_ID:SECRET as an AccessKey."""
    from coldprof.serve import parse_key

    try:
        return tuple(parse_key(value) for value in values)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _startup_lines(server: LambdaServer) -> list[str]:
    """Who may call the server and which functions it refused, worded for the terminal."""
    startup = server.startup
    lines = [f"refused {name}: {why}" for name, why in startup.refused]
    if startup.credentials_problem:
        problem = startup.credentials_problem
        lines.append(f"this environment's AWS credentials cannot be read: {problem}")
    if startup.no_auth:
        lines.append(
            f"WARNING: --no-auth: requests are not authenticated; any program or user that "
            f"reaches {server.url} can run code as you"
        )
    elif startup.generated_key_file is not None:
        path = startup.generated_key_file
        lines.append(
            f"no AWS credentials found: accepting the generated key {startup.key_ids[0]}; the "
            f"pair is in {path} (readable by you alone): AWS_SHARED_CREDENTIALS_FILE={path} "
            "makes boto3 and the AWS CLI sign with it"
        )
    else:
        lines.append(f"accepting requests signed with {', '.join(startup.key_ids)}")
    return lines


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
    help="Environments of one function at once, this machine's bound (Lambda's are "
    "--account-concurrency and reserved concurrency); beyond, TooManyRequestsException.",
)
@click.option(
    "--account-concurrency",
    default=lambda_facts()["concurrency"]["account_default"],
    show_default=True,
    type=click.IntRange(1),
    help="The account's concurrency limit Lambda throttles at (many regions start at 1,000).",
)
@click.option(
    "--max-queued-events",
    default=100,
    show_default=True,
    type=click.IntRange(1),
    help="Event invocations queued or running at once; beyond, TooManyRequestsException.",
)
@click.option(
    "--event-retry-delay",
    "event_retry_delay_s",
    default=float(lambda_facts()["async"]["retry_delays_s"][0]),
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds before an Event invocation that failed is tried again (twice that before "
    "the last try), as Lambda's 1 and 2 minutes.",
)
@click.option(
    "--accept-key",
    "accept_keys",
    multiple=True,
    metavar="KEY_ID:SECRET",
    callback=_accept_keys,
    help="Also accept requests signed with this key (repeatable); this environment's own AWS "
    "credentials are always accepted.",
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Accept unsigned requests: any local program could then run code as you.",
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
    account_concurrency: int,
    max_queued_events: int,
    event_retry_delay_s: float,
    accept_keys: tuple[AccessKey, ...],
    no_auth: bool,
    idle_timeout_s: float,
    settings: dict[str, Any],
    quiet: bool,
) -> None:
    """A local Lambda API endpoint: boto3 and the AWS CLI work against it unchanged.

    Each function keeps warm environments and reuses them; a configuration change
    (UpdateFunctionConfiguration) ends them, so the next invocation is a cold start.
    Versions, aliases, Event invocations, reserved concurrency and throttling work as on
    Lambda (docs/serve.md). Stop with Ctrl-C, SIGTERM or SIGHUP: every environment is ended.

    Every request must be signed (AWS Signature Version 4) with this environment's own AWS
    credentials or a key given with --accept-key, as Lambda checks them; with none, a key
    pair is generated into a file only you can read.

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
      coldprof serve --function hello=build/:app.handler --accept-key test:test
      aws lambda invoke --endpoint-url http://127.0.0.1:9001 --function-name hello out.json
      coldprof bench --function-name hello --endpoint-url http://127.0.0.1:9001
    """
    from coldprof.serve import ServeOptions, parse_function
    from coldprof.serve import serve as run_server

    served = [parse_function(text, settings) for text in functions]
    options = ServeOptions(
        host=host,
        port=port,
        max_environments=max_environments,
        idle_timeout_s=idle_timeout_s,
        account_concurrency=account_concurrency,
        max_queued_events=max_queued_events,
        event_retry_delays_s=(event_retry_delay_s, 2 * event_retry_delay_s),
        accept_keys=accept_keys,
        no_auth=no_auth,
        region=settings.get("region"),
    )
    with _StopSignals() as signals:
        with run_server(served, options, None if quiet else _say) as server:
            for line in _startup_lines(server):
                _say(line)
            refused = {name for name, _ in server.startup.refused}
            names = ", ".join(f.function_name for f in served if f.function_name not in refused)
            _say(f"serving {names} on {server.url} (Ctrl-C to stop)")
            _serve_until_stopped(server, signals)
        _say(f"{signals.received or 'the server loop ended'}: stopped; every environment ended")
