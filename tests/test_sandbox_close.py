"""An environment closed from another thread (serve stopping) while it runs the function: the
running thread ends the child and raises EnvironmentStopped; nothing breaks, nothing is left."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import psutil
import pytest

from coldprof.sandbox import Environment, EnvironmentStopped, awslambdaric
from coldprof.sandbox.runtime_api import RuntimeApi
from helpers import sandbox_spec

HANDLERS = Path(__file__).resolve().parent.parent / "fixtures" / "handlers"
ROUNDS = {"coldprof": 50, "awslambdaric": 10}  # an awslambdaric start takes ~0.5 s
CLOSE_AFTER_S = (0.0, 0.001, 0.003, 0.01, 0.03)  # close at different points of the invocation
RUNTIME_CLIENTS = [
    "coldprof",
    pytest.param(
        "awslambdaric",
        marks=pytest.mark.skipif(not awslambdaric.available(), reason=awslambdaric.INSTALL_HINT),
    ),
]


def children() -> set[int]:
    """This process's living descendants (other tests may have left some: compare sets)."""
    found = psutil.Process().children(recursive=True)
    return {child.pid for child in found if child.is_running() and child.status() != "zombie"}


def run_in_thread(call) -> tuple[threading.Thread, list]:
    """Start `call` in a thread; the list receives what it returned or raised."""
    outcome: list = []

    def target() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # the test looks at whatever it was
            outcome.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def close_while(environment: Environment, call, after_s: float) -> object:
    """Run `call` in a thread, close the environment from this one after `after_s`; what the
    call returned or raised."""
    thread, outcome = run_in_thread(call)
    time.sleep(after_s)
    environment.close()
    thread.join(30)
    assert not thread.is_alive()
    return outcome[0]


@pytest.mark.parametrize("runtime_client", RUNTIME_CLIENTS)
def test_close_from_another_thread_while_invoke_runs_stops_it_with_a_typed_error(runtime_client):
    spec = sandbox_spec(HANDLERS / "hangs_in_handler", timeout_s=60, runtime_client=runtime_client)
    outcomes, before = [], children()
    rounds = ROUNDS[runtime_client]
    for round_number in range(rounds):
        environment = Environment(spec)
        assert environment.start().ok
        after_s = CLOSE_AFTER_S[round_number % len(CLOSE_AFTER_S)]
        outcome = close_while(environment, lambda env=environment: env.invoke({}), after_s)
        outcomes.append(type(outcome).__name__)
        assert environment.ended
        assert children() <= before
    assert outcomes == ["EnvironmentStopped"] * rounds


@pytest.mark.parametrize("runtime_client", RUNTIME_CLIENTS)
def test_close_from_another_thread_while_init_runs_stops_it_with_a_typed_error(runtime_client):
    spec = sandbox_spec(HANDLERS / "hangs_at_import", runtime_client=runtime_client)
    environment, before = Environment(spec), children()
    outcome = close_while(environment, environment.start, 0.2)
    assert isinstance(outcome, EnvironmentStopped)
    assert outcome.message == "the environment was stopped while the function ran"
    assert children() <= before


def test_an_environment_closed_before_it_started_does_not_start():
    environment, before = Environment(sandbox_spec(HANDLERS / "trivial")), children()
    environment.close()
    with pytest.raises(EnvironmentStopped):
        environment.start()
    assert children() <= before


def test_an_invocation_that_ends_before_the_close_keeps_its_result():
    with Environment(sandbox_spec(HANDLERS / "trivial")) as environment:
        assert environment.start().ok
        result = environment.invoke({})
    assert result.ok and not result.environment_ended
    with pytest.raises(EnvironmentStopped):
        environment.invoke({})


def test_a_closed_runtime_api_never_uses_its_pipe_numbers_again():
    request_read, request_write = os.pipe()
    reply_read, reply_write = os.pipe()
    late_request, late_reply = os.pipe(), os.pipe()  # another environment's pipes, to be
    api = RuntimeApi(request_read, reply_write, 1024, "token")
    waiting, asked = run_in_thread(api.next_invocation)  # tells "ready", then waits for a line
    assert json.loads(os.read(reply_read, 1024))["ready"] is True
    os.close(request_write)  # the parent lets go of its end, then closes the Runtime API
    api.close()
    waiting.join(10)
    assert asked == [None]
    # the other pipes get the numbers the Runtime API had: a late request thread of the closed
    # one must neither read from them nor write to them
    os.dup2(late_request[0], request_read)
    os.dup2(late_reply[1], reply_write)
    os.write(late_request[1], b"{}\n")
    assert api.next_invocation() is None
    assert api.error(b"late") == 202
    os.set_blocking(late_reply[0], False)
    with pytest.raises(BlockingIOError):
        os.read(late_reply[0], 1024)
    assert os.read(late_request[0], 1024) == b"{}\n"
    for fd in (*late_request, *late_reply, request_read, reply_write, reply_read):
        os.close(fd)
