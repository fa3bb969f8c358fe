"""What `coldprof serve` does as Lambda does it, through the real boto3 client: versions and
aliases, Event invocations, throttling, ClientContext, listings, names and ARNs, shutdown."""

from __future__ import annotations

import base64
import json
import threading
import time
import zipfile
from pathlib import Path

import psutil
import pytest
from botocore.exceptions import ClientError
from test_serve import ECHO, ROOT, echo, invoke, lambda_client, raw_request, running_server, served

from coldprof.bench.report_line import parse_reports
from coldprof.errors import TargetError
from coldprof.serve import ServeOptions, serve
from coldprof.serve.errors import throttled
from coldprof.serve.events import EventQueue, EventSettings, QueuedEvent

CONTEXT = ROOT / "fixtures" / "serve" / "context"
ARN = "arn:aws:lambda:us-east-1:000000000000:function"


def wait_for(predicate, what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def environments(function_name: str) -> set[int]:
    """The pids of this process's sandbox environments that run `function_name`."""
    found = set()
    for process in psutil.Process().children(recursive=True):
        try:
            if process.environ().get("AWS_LAMBDA_FUNCTION_NAME") == function_name:
                found.add(process.pid)
        except psutil.Error:  # gone meanwhile, or not ours to read
            continue
    return found


def in_flight(call, function_name: str) -> threading.Thread:
    """Start `call` in a thread; return once it runs in a new environment of the function (it
    holds its concurrency from before the environment starts until it ends)."""
    before = environments(function_name)
    thread = threading.Thread(target=call)
    thread.start()
    wait_for(lambda: environments(function_name) - before, f"{function_name} to start")
    return thread


def code_of(call) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def server():
    specs = [
        served("versions", CONTEXT),
        served("aliased", CONTEXT),
        served("named", CONTEXT),
        served("clients", CONTEXT),
        echo("listed"),
        echo("reserved"),
        echo("deleted"),
    ]
    with running_server(specs, max_environments=3) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    return lambda_client(server[0].url)


def payload_of(response) -> dict:
    return json.loads(response["Payload"].read())


def test_a_published_version_freezes_its_configuration_and_has_its_own_environments(client):
    first = client.publish_version(FunctionName="versions", Description="v1")
    assert (first["Version"], first["Description"]) == ("1", "v1")
    assert first["FunctionArn"] == f"{ARN}:versions:1"
    client.update_function_configuration(FunctionName="versions", MemorySize=512)
    second = client.publish_version(FunctionName="versions")
    assert (second["Version"], second["MemorySize"]) == ("2", 512)
    assert client.publish_version(FunctionName="versions")["Version"] == "2"  # nothing changed

    one = client.invoke(FunctionName="versions", Qualifier="1", LogType="Tail")
    two = client.invoke(FunctionName="versions:2", LogType="Tail")
    latest = client.invoke(FunctionName="versions")
    assert [r["ExecutedVersion"] for r in (one, two, latest)] == ["1", "2", "$LATEST"]
    seen_one, seen_two, seen_latest = (payload_of(r) for r in (one, two, latest))
    assert (seen_one["memory_mb"], seen_two["memory_mb"]) == ("128", "512")
    assert (seen_one["function_version"], seen_one["version_variable"]) == ("1", "1")
    assert seen_one["invoked_function_arn"] == f"{ARN}:versions:1"
    assert seen_latest["invoked_function_arn"] == f"{ARN}:versions"
    assert "[1]" in seen_one["log_stream_name"]
    assert len({seen_one["pid"], seen_two["pid"], seen_latest["pid"]}) == 3
    log = base64.b64decode(one["LogResult"]).decode()
    assert f"START RequestId: {one['ResponseMetadata']['RequestId']} Version: 1" in log
    versions = client.list_versions_by_function(FunctionName="versions")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    assert (
        client.get_function_configuration(FunctionName="versions", Qualifier="1")["MemorySize"]
        == 128
    )


def test_an_alias_routes_by_weight_and_names_the_version_that_ran(client):
    client.publish_version(FunctionName="aliased")
    client.update_function_configuration(FunctionName="aliased", Timeout=4)
    client.publish_version(FunctionName="aliased")
    alias = client.create_alias(
        FunctionName="aliased",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}},
    )
    assert alias["AliasArn"] == f"{ARN}:aliased:live"
    ran = [client.invoke(FunctionName="aliased:live")["ExecutedVersion"] for _ in range(60)]
    assert set(ran) == {"1", "2"}
    assert 5 <= ran.count("2") <= 35  # 30% of 60: p < 1e-4 outside this range
    seen = payload_of(client.invoke(FunctionName="aliased", Qualifier="live"))
    assert seen["invoked_function_arn"] == f"{ARN}:aliased:live"
    client.update_alias(FunctionName="aliased", Name="live", FunctionVersion="2", RoutingConfig={})
    assert {client.invoke(FunctionName="aliased:live")["ExecutedVersion"] for _ in range(5)} == {
        "2"
    }
    assert code_of(lambda: client.delete_function(FunctionName="aliased", Qualifier="2")) == (
        "ResourceConflictException"
    )
    client.delete_function(FunctionName="aliased", Qualifier="1")
    assert code_of(lambda: client.invoke(FunctionName="aliased:1")) == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("name", "params", "code"),
    [
        ("bad name", {}, "ValidationException"),
        ("x" * 65, {}, "ValidationException"),
        ("arn:aws:lambda:eu-west-1:000000000000:function:named", {}, "ResourceNotFoundException"),
        ("arn:aws:lambda:us-east-1:123456789012:function:named", {}, "ResourceNotFoundException"),
        ("123456789012:function:named", {}, "ResourceNotFoundException"),
        ("named:$LATEST", {"Qualifier": "1"}, "InvalidParameterValueException"),
        ("named", {"LogType": "Everything"}, "ValidationException"),
        ("named", {"InvocationType": "Later"}, "ValidationException"),
    ],
)
def test_names_arns_and_headers_are_validated_as_the_api_does(client, name, params, code):
    assert code_of(lambda: client.invoke(FunctionName=name, **params)) == code


def test_the_same_qualifier_twice_and_partial_arns_are_accepted(client):
    for name in ("named:$LATEST", "000000000000:function:named", f"{ARN}:named:$LATEST"):
        assert client.invoke(FunctionName=name, Qualifier="$LATEST")["StatusCode"] == 200


def test_client_context_reaches_the_handler_as_on_lambda(client):
    sent = {
        "client": {"installation_id": "i-1", "app_title": "Orders", "app_version_code": "42"},
        "custom": {"tenant": "acme"},
        "env": {"platform": "Android"},
    }
    encoded = base64.b64encode(json.dumps(sent).encode()).decode()
    seen = payload_of(client.invoke(FunctionName="clients", ClientContext=encoded))
    assert seen["client_context"] == {
        "custom": {"tenant": "acme"},
        "env": {"platform": "Android"},
        "client": {
            "installation_id": "i-1",
            "app_title": "Orders",
            "app_version_name": None,
            "app_version_code": "42",
            "app_package_name": None,
        },
    }
    assert payload_of(client.invoke(FunctionName="clients"))["client_context"] is None
    bad = base64.b64encode(b"[1, 2]").decode()
    assert code_of(lambda: client.invoke(FunctionName="clients", ClientContext=bad)) == (
        "InvalidRequestContentException"
    )
    too_long = base64.b64encode(json.dumps({"custom": {"x": "y" * 3000}}).encode()).decode()
    assert code_of(lambda: client.invoke(FunctionName="clients", ClientContext=too_long)) == (
        "InvalidParameterValueException"
    )


def test_list_functions_pages_through_every_function(client):
    names, marker = [], None
    while True:
        page = client.list_functions(MaxItems=2, **({"Marker": marker} if marker else {}))
        assert len(page["Functions"]) <= 2
        names += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if marker is None:
            break
    assert names == sorted(names) and {"listed", "reserved", "versions"} <= set(names)
    every = client.get_paginator("list_functions").paginate(FunctionVersion="ALL")
    arns = [f["FunctionArn"] for page in every for f in page["Functions"]]
    assert len(arns) == len(set(arns)) > len(names)


def test_get_function_says_the_code_is_local(client):
    function = client.get_function(FunctionName="listed")
    assert function["Code"] == {"RepositoryType": "Local", "Location": ECHO.resolve().as_uri()}


def test_reserved_concurrency_throttles_with_lambdas_reason(client):
    client.put_function_concurrency(FunctionName="reserved", ReservedConcurrentExecutions=1)
    assert client.get_function(FunctionName="reserved")["Concurrency"] == {
        "ReservedConcurrentExecutions": 1
    }
    busy = in_flight(lambda: invoke(client, "reserved", {"sleep_ms": 1500}), "reserved")
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="reserved")
    busy.join(10)
    response = raised.value.response
    assert response["Error"]["Code"] == "TooManyRequestsException"
    assert response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    client.put_function_concurrency(FunctionName="reserved", ReservedConcurrentExecutions=0)
    assert code_of(lambda: client.invoke(FunctionName="reserved")) == "TooManyRequestsException"
    client.delete_function_concurrency(FunctionName="reserved")
    assert client.invoke(FunctionName="reserved")["StatusCode"] == 200
    assert (
        code_of(
            lambda: client.put_function_concurrency(
                FunctionName="reserved", ReservedConcurrentExecutions=901
            )
        )
        == "InvalidParameterValueException"
    )


def test_the_account_limit_throttles_the_unreserved_functions():
    specs = [echo("a"), echo("b")]
    with running_server(specs, account_concurrency=1) as (server, _):
        client = lambda_client(server.url)
        busy = in_flight(lambda: invoke(client, "a", {"sleep_ms": 1500}), "a")
        with pytest.raises(ClientError) as raised:
            client.invoke(FunctionName="b")
        busy.join(10)
    assert raised.value.response["Reason"] == "ConcurrentInvocationLimitExceeded"


def test_the_machine_bound_is_reported_as_this_machines():
    with running_server([echo("a")], max_environments=1) as (server, _):
        client = lambda_client(server.url)
        busy = in_flight(lambda: invoke(client, "a", {"sleep_ms": 1500}), "a")
        with pytest.raises(ClientError) as raised:
            client.invoke(FunctionName="a")
        busy.join(10)
    response = raised.value.response
    assert response["Error"]["Code"] == "TooManyRequestsException"
    assert "Reason" not in response
    assert "--max-environments, this machine's bound" in response["Error"]["Message"]


def test_delete_function_removes_it(client):
    client.delete_function(FunctionName="deleted")
    assert code_of(lambda: client.get_function(FunctionName="deleted")) == (
        "ResourceNotFoundException"
    )


def events_of(server_url: str) -> dict:
    return raw_request(server_url, "GET", "/_coldprof/events").json()


def test_event_invocations_are_retried_after_a_function_error_then_dropped():
    with running_server([echo("events")], event_retry_delays_s=(0.2, 0.4)) as (server, lines):
        client = lambda_client(server.url)
        failing = client.invoke(
            FunctionName="events", InvocationType="Event", Payload=b'{"fail": "boom"}'
        )
        request_id = failing["ResponseMetadata"]["RequestId"]
        wait_for(lambda: events_of(server.url)["Dropped"] == 1, "the event to be dropped")
        client.put_function_event_invoke_config(FunctionName="events", MaximumRetryAttempts=0)
        client.invoke(FunctionName="events", InvocationType="Event", Payload=b'{"fail": "x"}')
        client.invoke(FunctionName="events", InvocationType="Event", Payload=b"{}")
        wait_for(lambda: events_of(server.url)["Pending"] == 0, "the events to finish")
        status = events_of(server.url)
    assert failing["StatusCode"] == 202
    first = next(e for e in status["Events"] if e["RequestId"] == request_id)
    assert (first["State"], first["Attempts"], first["ErrorType"]) == ("dropped", 3, "ValueError")
    assert first["DroppedBecause"] == "retries-exhausted"
    assert (status["Succeeded"], status["Dropped"], status["Retried"]) == (1, 2, 2)
    retried = [line for line in lines if f"event {request_id} attempt" in line]
    assert retried == [
        f"events: event {request_id} attempt 1 of 3 failed (ValueError); retrying in 0.2 s",
        f"events: event {request_id} attempt 2 of 3 failed (ValueError); retrying in 0.4 s",
    ]
    assert any(f"event {request_id} dropped (retries-exhausted)" in line for line in lines)


def test_a_full_event_queue_answers_429_and_queued_events_are_dropped_at_shutdown():
    lines: list[str] = []

    def slow_terminal(line: str) -> None:  # each drop is told before the server has stopped
        time.sleep(0.3 if "dropped" in line else 0)
        lines.append(line)

    options = ServeOptions(port=0, max_queued_events=2, no_auth=True, max_environments=1)
    with serve([SLOW], options, slow_terminal) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        slow = b'{"sleep_ms": 60000}'  # still running at shutdown, however slow the machine
        for _ in range(2):
            assert raw_request(server.url, "POST", INVOKE_SLOW, slow, key=None, headers=EVENT)
        full = raw_request(server.url, "POST", INVOKE_SLOW, slow, key=None, headers=EVENT)
        assert (full.status, full.headers["X-Amzn-ErrorType"]) == (429, "TooManyRequestsException")
        assert "--max-queued-events" in full.json()["message"]
        server.shutdown()
    dropped = [line for line in lines if "dropped (stopping)" in line]
    assert len(dropped) == 2, lines
    attempts = sorted(line.split(" after ")[1].split(",")[0] for line in dropped)
    assert attempts == ["0 attempt(s)", "1 attempt(s)"]  # the throttled one, the running one
    assert not any("Traceback" in line for line in lines)


def always_throttled(item: QueuedEvent):
    """An attempt that never runs: the function is always at its concurrency limit."""
    raise throttled("Rate Exceeded.")


def test_an_event_older_than_its_maximum_age_is_dropped_as_too_old():
    lines: list[str] = []
    queue = EventQueue(always_throttled, 10, (60.0,), lines.append)
    settings = EventSettings(maximum_retry_attempts=2, maximum_event_age_s=1)
    queue.submit(
        QueuedEvent(request_id="r-1", function="busy", qualifier=None, event={}, settings=settings)
    )
    wait_for(lambda: queue.status()["Dropped"] == 1, "the event to grow too old", 30)
    queue.close()
    (event,) = queue.status()["Events"]
    assert (event["State"], event["DroppedBecause"], event["Attempts"]) == ("dropped", "too-old", 0)
    assert event["AgeSeconds"] > 1  # it waited throttled past its age, tried every second
    assert "busy: event r-1 dropped (too-old) after 0 attempt(s)" in lines


SLOW = served("slow", ECHO, timeout_s=60)  # runs as long as it is asked to (up to 60 s)
INVOKE_SLOW = "/2015-03-31/functions/slow/invocations"
EVENT = {"X-Amz-Invocation-Type": "Event"}


def test_an_in_flight_invocation_gets_a_lambda_shaped_error_when_the_server_stops():
    lines: list[str] = []
    options = ServeOptions(port=0, no_auth=True)
    replies = []
    with serve([SLOW], options, lines.append) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        body = b'{"sleep_ms": 60000}'
        call = in_flight(
            lambda: replies.append(raw_request(server.url, "POST", INVOKE_SLOW, body, key=None)),
            "slow",
        )
        server.shutdown()
    call.join(10)
    (reply,) = replies
    assert (reply.status, reply.headers["X-Amzn-ErrorType"]) == (500, "ServiceException")
    assert reply.json() == {
        "Type": "Service",
        "Message": "coldprof serve stopped while the function ran",
    }


def test_an_event_of_more_than_1_mb_is_refused(client):
    body = b'"' + b"x" * 1_048_576 + b'"'
    assert (
        code_of(lambda: client.invoke(FunctionName="listed", InvocationType="Event", Payload=body))
        == "RequestTooLargeException"
    )
    assert client.invoke(FunctionName="listed", Payload=body)["StatusCode"] == 200


@pytest.mark.parametrize("damage", ["encrypted", "corrupt", "truncated"])
def test_a_zip_that_cannot_be_extracted_is_a_refused_function(tmp_path, damage):
    broken = _broken_zip(tmp_path / "broken.zip", damage)
    lines: list[str] = []
    options = ServeOptions(port=0, no_auth=True)
    specs = [served("broken", broken), echo("fine")]
    with serve(specs, options, lines.append) as server:
        refused = server.startup.refused
    ((name, why),) = refused
    assert name == "broken" and why.count(str(broken)) == 1 and "\n" not in why
    with (
        pytest.raises(TargetError, match="no function can be served"),
        serve([served("broken", broken)], options),
    ):
        pass


def _broken_zip(path: Path, damage: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n" * 200)
    data = bytearray(path.read_bytes())
    if damage == "encrypted":
        data[6] |= 0x01  # the local header's "encrypted" flag
        central = data.rfind(b"PK\x01\x02")
        data[central + 8] |= 0x01
    elif damage == "corrupt":
        data[40:60] = b"\xff" * 20  # inside the deflate stream
    else:
        data = data[: len(data) // 2]
    path.write_bytes(bytes(data))
    return path


def test_a_log_tail_names_the_version(client):
    response = client.invoke(FunctionName="versions", Qualifier="2", LogType="Tail")
    (report,) = parse_reports(base64.b64decode(response["LogResult"]).decode())
    assert report.memory_size_mb == 512
