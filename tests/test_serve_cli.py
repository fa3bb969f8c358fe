"""`coldprof serve` as a real process: start, serve, stop on a signal; usage errors."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from botocore.exceptions import BotoCoreError, ClientError
from click.testing import CliRunner
from test_serve import ECHO, echo, invoke, lambda_client, raw_request, running_server

from coldprof.cli.serve import serve
from coldprof.sandbox import awslambdaric
from coldprof.sandbox.readonly import read_only_mode
from coldprof.sandbox.storage import RAM_FOLDER

SERVE = "from coldprof.cli.serve import serve; serve()"
START_TIMEOUT_S = 30
NO_AWS_CONFIGURATION = {
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def bare_environment(**extra: str) -> dict[str, str]:
    """This environment without AWS credentials or configuration, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, **NO_AWS_CONFIGURATION, **extra}


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


@contextmanager
def serve_process(
    *args: str,
    env: dict[str, str] | None = None,
    key: str | None = "test:test",
    code: str = SERVE,
) -> Iterator[tuple[subprocess.Popen, str, list[str]]]:
    """`coldprof serve ... --port 0` (run by `code`) in a subprocess accepting `key` (no AWS
    credentials of its own unless `env` gives some): the process, its URL, its stderr lines."""
    accept = ["--accept-key", key] if key else []
    command = [sys.executable, "-c", code, "--port", "0", *accept, *args]
    process = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env or bare_environment(),
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(process.stderr, lines), daemon=True).start()
    seen: list[str] = []
    try:
        while not any("serving" in line for line in seen):
            line = lines.get(timeout=START_TIMEOUT_S)
            assert line is not None, seen
            seen.append(line)
        url = seen[-1].split(" on ")[1].split()[0]
        yield process, url, seen
        process.wait(timeout=20)
        while (line := lines.get(timeout=5)) is not None:
            seen.append(line)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _invoke_until_stopped(client, answers: list) -> None:
    try:
        invoke(client, "echo", {"sleep_ms": 20_000})
    except ClientError as error:
        answers.append(error.response["Error"])
    except BotoCoreError as error:  # the server was gone before it could answer
        answers.append(repr(error))


def environments_of(process: subprocess.Popen) -> list[psutil.Process]:
    return psutil.Process(process.pid).children(recursive=True)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_stops_the_server_and_ends_every_environment(signum):
    function = f"echo={ECHO}:app.handler"
    with serve_process("--function", function, "--timeout", "30") as (process, url, lines):
        client = lambda_client(url)
        answers: list = []
        busy = threading.Thread(target=_invoke_until_stopped, args=(client, answers), daemon=True)
        busy.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not environments_of(process):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        _, payload, _ = invoke(client, "echo")
        children = environments_of(process)
        assert len(children) == 2
        assert payload["pid"] in [child.pid for child in children]
        process.send_signal(signum)
        busy.join(20)
    assert answers == [
        {"Code": "ServiceException", "Message": "coldprof serve stopped while the function ran"}
    ]
    assert process.returncode == 0, lines
    assert (
        f"coldprof serve: {signal.Signals(signum).name}: stopped; every environment ended\n"
        in lines
    )
    assert not [child for child in children if child.is_running() and child.status() != "zombie"]
    assert not any("Traceback" in line for line in lines)
    assert payload["tmp"] == "/tmp" or not Path(payload["tmp"]).exists()  # "/tmp": namespace
    for folder in (RAM_FOLDER, tempfile.gettempdir()):
        assert not list(Path(folder).glob(f"coldprof-tmp-{process.pid}-*"))


@pytest.mark.skipif(not awslambdaric.available(), reason=awslambdaric.INSTALL_HINT)
def test_sigterm_during_an_awslambdaric_invocation_answers_that_serve_stopped():
    function = f"echo={ECHO}:app.handler,runtime_client=awslambdaric"
    with serve_process("--function", function, "--timeout", "30") as (process, url, lines):
        answers: list = []
        busy = threading.Thread(
            target=_invoke_until_stopped, args=(lambda_client(url), answers), daemon=True
        )
        busy.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not environments_of(process):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.0)  # its init done, the handler sleeping (stopped in init: the same answer)
        children = environments_of(process)
        process.send_signal(signal.SIGTERM)
        busy.join(20)
    assert answers == [
        {"Code": "ServiceException", "Message": "coldprof serve stopped while the function ran"}
    ]
    assert process.returncode == 0, lines
    assert not [line for line in lines if "could not run" in line or "Traceback" in line]
    assert not [child for child in children if child.is_running() and child.status() != "zombie"]


# The signal arrives while the server accepts a connection (inside socketserver's own
# `except Exception`), as it can on a busy machine; a hook times it there every time.
SIGNALLED_WHILE_ACCEPTING = (
    """
import os, signal
from coldprof.serve.server import LambdaServer
accept = LambdaServer.process_request
def process_request(server, request, client_address):
    os.kill(os.getpid(), signal.SIGTERM)
    accept(server, request, client_address)
LambdaServer.process_request = process_request
"""
    + SERVE
)


def test_a_signal_while_a_connection_is_accepted_stops_the_server():
    function = f"echo={ECHO}:app.handler"
    with serve_process("--function", function, code=SIGNALLED_WHILE_ACCEPTING) as (
        process,
        url,
        lines,
    ):
        host, port = url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=START_TIMEOUT_S):
            pass  # connecting is enough: the signal arrives while it is accepted
    assert process.returncode == 0, lines
    assert "coldprof serve: SIGTERM: stopped; every environment ended\n" in lines


def test_repeated_signals_after_a_request_stop_the_server_once_and_end_every_environment():
    function = f"echo={ECHO}:app.handler"
    with serve_process("--function", function) as (process, url, lines):
        _, payload, _ = invoke(lambda_client(url), "echo")
        children = environments_of(process)
        for _ in range(5):  # a user pressing Ctrl-C again, a supervisor sending TERM again
            process.send_signal(signal.SIGTERM)
            time.sleep(0.05)
    assert process.returncode == 0, lines
    assert payload["pid"] in [child.pid for child in children]
    assert [line for line in lines if "stopped" in line] == [
        "coldprof serve: SIGTERM: stopped; every environment ended\n"
    ]
    assert not [child for child in children if child.is_running() and child.status() != "zombie"]
    assert not any("Traceback" in line for line in lines)


def test_each_function_has_its_own_settings_over_the_shared_ones():
    own = f'api={ECHO}:app.handler,memory=512,timeout=10,"env.TAGS=a,b",region=eu-west-3'
    args = ["--memory", "256", "--env", "STAGE=dev", "--function", own]
    with serve_process(*args, "--function", f"plain={ECHO}:app.handler") as (process, url, _):
        client = lambda_client(url)
        api, plain = (client.get_function_configuration(FunctionName=n) for n in ("api", "plain"))
        _, payload, _ = invoke(client, "api")
        process.send_signal(signal.SIGTERM)
    assert (api["MemorySize"], api["Timeout"], plain["MemorySize"], plain["Timeout"]) == (
        512,
        10,
        256,
        3,
    )
    assert api["Environment"]["Variables"] == {"STAGE": "dev", "TAGS": "a,b"}
    assert plain["Environment"]["Variables"] == {"STAGE": "dev"}
    assert api["FunctionArn"].startswith("arn:aws:lambda:eu-west-3:")
    assert api["Runtime"] == f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert payload["memory_mb"] == "512" and 9_000 < payload["remaining_ms"] <= 10_000


def test_requests_are_reported_on_stderr(tmp_path):
    with serve_process("--function", f"hello={ECHO}:app.handler") as (process, url, lines):
        invoke(lambda_client(url), "hello")
        process.send_signal(signal.SIGTERM)
    assert any(line.startswith("coldprof serve: hello: cold start, init ") for line in lines)
    mode = read_only_mode("auto", sys.executable)  # what the environment said it used
    assert any(f" ms, package read-only by {mode}, duration " in line for line in lines)


@pytest.mark.parametrize(
    ("method", "path", "body", "unsigned", "expected"),
    [
        ("GET", "/2015-03-31/functionz", b"", {}, (404, "UnknownOperationException")),
        ("PATCH", "/2015-03-31/functions/echo", b"", {}, (404, "UnknownOperationException")),
        ("OPTIONS", "/2015-03-31/functions/echo", b"", {}, (404, "UnknownOperationException")),
        ("BREW", "/", b"", {}, (404, "UnknownOperationException")),
        (
            "POST",
            "/2015-03-31/functions/echo/policies",
            b"{}",
            {},
            (404, "UnknownOperationException"),
        ),
        (
            "PUT",
            "/2015-03-31/functions/echo/configuration",
            b" " * 70_000,
            {},
            (413, "RequestTooLargeException"),
        ),
        (
            "POST",
            "/2015-03-31/functions/echo/invocations",
            b"{}",
            {"Content-Length": "many"},
            (400, "InvalidRequestContentException"),
        ),
        (
            "POST",
            "/2015-03-31/functions/echo/invocations",
            b"2\r\n{}\r\n0\r\n\r\n",
            {"Transfer-Encoding": "chunked"},
            (400, "InvalidRequestContentException"),
        ),
        (
            "PUT",
            "/2015-03-31/functions/echo/configuration",
            b"[1]",
            {},
            (400, "InvalidRequestContentException"),
        ),
    ],
)
def test_malformed_requests_get_aws_shaped_errors(method, path, body, unsigned, expected):
    with running_server([echo("echo")]) as (server, lines):
        reply = raw_request(server.url, method, path, body, unsigned=unsigned)
    assert (reply.status, reply.headers["X-Amzn-ErrorType"]) == expected
    assert reply.headers["x-amzn-RequestId"]
    assert reply.json()["message"]
    assert not any("Traceback" in line for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--function", "nonsense"], "expected NAME=TARGET:module.handler"),
        (["--function", "bad name=x:app.handler"], "the name must be 1 to 64 letters"),
        (["--function", f"echo={ECHO}:handler"], 'handler: expected a handler like "app.handler"'),
        (
            ["--function", f"echo={ECHO}:app.handler,memroy=512"],
            "memroy: unknown key; did you mean 'memory'?",
        ),
        (
            ["--function", f"echo={ECHO}:app.handler,memory=64"],
            "memory: expected a memory size in MB, a whole number from 128 to 10240",
        ),
        (
            ["--function", f"echo={ECHO}:app.handler,timeout={'9' * 400}"],
            "timeout: expected a timeout in seconds, above 0 and at most 900",
        ),
        (
            ["--function", f"echo={ECHO}:app.handler,env.AWS_REGION=x"],
            "env.AWS_REGION: expected a variable Lambda lets a function set; AWS_REGION is",
        ),
        (["--function", f"echo={ECHO}:app.handler,arch=arm64"], "arch: unknown key; known keys"),
        (["--function", f"echo={ECHO}:app.handler,memory"], "memory: expected key=value"),
        (
            ["--function", f"e={ECHO}:app.handler,runtime=python3.99"],
            "runtime: expected one of Lambda's Python runtimes: python3.9,",
        ),
        (["--function", "echo=/no/such/dir:app.handler"], "/no/such/dir: no such file or folder"),
        (
            ["--function", f"a={ECHO}:app.handler", "--function", f"a={ECHO}:app.handler"],
            "the name 'a' is given twice",
        ),
    ],
)
def test_usage_errors_are_one_line(args, message):
    result = CliRunner().invoke(serve, args)
    assert result.exit_code == 2
    assert result.output.startswith("coldprof: error: ")
    assert message in result.output
    assert result.output.count("\n") == 1


def test_a_port_in_use_is_a_usage_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            serve, ["--function", f"echo={ECHO}:app.handler", "--port", str(port)]
        )
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.output
