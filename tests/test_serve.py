"""`coldprof serve` through the real boto3 client: invoke, logs, errors, configuration, pool."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from coldprof.bench.report_line import parse_reports
from coldprof.function import FunctionConfig
from coldprof.serve import AccessKey, LambdaServer, ServeOptions, serve

ROOT = Path(__file__).resolve().parent.parent
ECHO = ROOT / "fixtures" / "serve" / "echo"
HANDLERS = ROOT / "fixtures" / "handlers"
PAYLOAD_LIMIT_BYTES = 6_291_456
TEST_KEY = AccessKey("test", "test")  # what the tests' boto3 clients sign with


@contextmanager
def running_server(specs: list[FunctionConfig], **options) -> Iterator[tuple[LambdaServer, list]]:
    """`coldprof serve` on a free port of 127.0.0.1, in a thread, accepting TEST_KEY (and not
    this environment's credentials); the observer's lines kept."""
    lines: list[str] = []
    settings = {"accept_keys": (TEST_KEY,), "credential_chain": False, **options}
    with serve(specs, ServeOptions(port=0, **settings), lines.append) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server, lines
        finally:
            server.shutdown()
            thread.join(10)


def lambda_client(url: str, attempts: int = 1, key: AccessKey = TEST_KEY):
    """The real boto3 Lambda client, signing with `key`, pointed at the server."""
    return boto3.client(
        "lambda",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key.key_id,
        aws_secret_access_key=key.secret,
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


@dataclass(frozen=True)
class RawReply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def raw_request(
    url: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict | None = None,
    key: AccessKey | None = TEST_KEY,
    unsigned: dict | None = None,
) -> RawReply:
    """A request sent as given: signed by botocore's SigV4 signer with `key` (no signature when
    None), then `unsigned` headers added (Host too may be replaced there)."""
    parts = urlsplit(url)
    request = AWSRequest(method=method, url=url + path, data=body, headers=headers or {})
    if key is not None:
        credentials = Credentials(key.key_id, key.secret, key.token)
        SigV4Auth(credentials, "lambda", "us-east-1").add_auth(request)
    sent = {"Host": parts.netloc, **dict(request.headers.items()), **(unsigned or {})}
    if body and "Content-Length" not in sent and "Transfer-Encoding" not in sent:
        sent["Content-Length"] = str(len(body))
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return RawReply(response.status, response.headers, response.read())
    finally:
        connection.close()


def served(name: str, target: Path, **settings) -> FunctionConfig:
    """A function to serve under `name`: app.handler in target, Lambda's defaults."""
    return FunctionConfig(function_name=name, target=target, handler="app.handler", **settings)


def echo(name: str) -> FunctionConfig:
    return served(name, ECHO)


def invoke(client, name: str, event: dict | None = None, **kwargs) -> tuple[dict, dict, str]:
    """Invoke with LogType=Tail: the response, its decoded payload, its decoded log tail."""
    response = client.invoke(
        FunctionName=name, Payload=json.dumps(event or {}), LogType="Tail", **kwargs
    )
    payload = json.loads(response["Payload"].read())
    return response, payload, base64.b64decode(response["LogResult"]).decode()


@pytest.fixture(scope="module")
def zipped_echo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("zip") / "echo.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(ECHO / "app.py", "app.py")
    return path


@pytest.fixture(scope="module")
def server(zipped_echo: Path) -> Iterator[tuple[LambdaServer, list]]:
    specs = [
        echo("echo"),
        echo("events"),
        echo("config"),
        echo("json_logs"),
        echo("busy"),
        echo("guarded"),
        served("zipped", zipped_echo),
        served("failing", HANDLERS / "raises_in_handler"),
        served("crashing", HANDLERS / "segfault"),
        served("hanging", HANDLERS / "hangs_in_handler"),
        served("hungry", HANDLERS / "eats_memory"),
    ]
    with running_server(specs, max_environments=2) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    return lambda_client(server[0].url)


def test_first_invocation_is_cold_then_the_environment_is_reused(client):
    response, payload, log = invoke(client, "echo", {"order": 7})
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert payload["event"] == {"order": 7}
    assert 0 < payload["remaining_ms"] <= 3000
    request_id = response["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id} Version: $LATEST" in log
    assert "echo: init done" in log
    assert "echo: invoked with ['order']" in log
    (first,) = parse_reports(log)
    assert first.request_id == request_id
    assert first.cold and first.init_duration_ms > 0
    assert first.memory_size_mb == 128
    assert first.billed_duration_ms >= first.duration_ms + first.init_duration_ms

    _, again, warm_log = invoke(client, "echo")
    (second,) = parse_reports(warm_log)
    assert "Init Duration" not in warm_log and not second.cold
    assert "echo: init done" not in warm_log
    assert again["pid"] == payload["pid"]


def test_the_log_tail_is_the_last_4_kb(client):
    _, _, log = invoke(client, "echo", {"say": "x" * 10_000})
    assert len(log.encode()) == 4096
    assert log.rstrip("\n").split("\n")[-1].startswith("REPORT RequestId: ")


def test_a_handler_error_sets_function_error_with_lambdas_payload(client):
    response, payload, log = invoke(client, "failing")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "KeyError"
    assert payload["errorMessage"] == "'order_id'"
    assert any("validate" in line for line in payload["stackTrace"])
    assert "[ERROR] KeyError: 'order_id'" in log
    assert parse_reports(log)[0].request_id == response["ResponseMetadata"]["RequestId"]


def test_a_crash_at_init_is_reported_and_the_next_invocation_is_cold_again(client):
    for _ in range(2):
        response, payload, log = invoke(client, "crashing")
        assert response["FunctionError"] == "Unhandled"
        assert payload["errorType"] == "Runtime.ExitError"
        assert payload["errorMessage"] == "Runtime exited with error: signal: segmentation fault"
        (report,) = parse_reports(log)
        assert report.error_type == "Runtime.ExitError"
        assert "INIT_REPORT Init Duration: " in log
        assert "\tPhase: init\tStatus: error\tError Type: Runtime.ExitError\n" in log
        # the failed init, run again inside the invocation, as Lambda runs it
        assert "\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError\n" in log


def test_a_timeout_ends_the_environment_with_status_timeout(client):
    client.update_function_configuration(FunctionName="hanging", Timeout=1)
    response, payload, log = invoke(client, "hanging")
    assert response["FunctionError"] == "Unhandled"
    (report,) = parse_reports(log)
    rid = report.request_id
    assert (payload["errorType"], payload["errorMessage"]) == (
        "Sandbox.Timedout",
        f"RequestId: {rid} Error: Task timed out after 1.00 seconds",
    )
    assert (report.status, report.error_type) == ("timeout", None)
    assert report.duration_ms == 1000  # a timed-out invocation's Duration is the timeout
    assert f"Z {rid} Task timed out after 1.00 seconds\n" in log


def test_memory_size_is_enforced_on_resident_memory(client):
    _, payload, log = invoke(client, "hungry", {"mb": 400})
    assert payload["errorType"] == "Runtime.OutOfMemory"
    assert payload["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    (report,) = parse_reports(log)
    # a peak just past 128 MB prints as "128 MB", as Lambda reports an out-of-memory invocation
    assert report.max_memory_used_mb >= 128 and report.error_type == "Runtime.OutOfMemory"
    _, kept, _ = invoke(client, "hungry", {"mb": 16})
    assert kept == {"kept_mb": 16}


def test_event_invocations_are_accepted_with_202_and_run_in_the_background(server, client):
    _, lines = server
    response = client.invoke(FunctionName="events", InvocationType="Event", Payload=b'{"n": 1}')
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    deadline = time.monotonic() + 10
    while not any(line.startswith("events: cold start") for line in lines):
        assert time.monotonic() < deadline, lines
        time.sleep(0.02)


def test_dry_run_answers_204_up_to_the_payload_limit(client):
    body = b'"' + b"x" * (PAYLOAD_LIMIT_BYTES - 2) + b'"'
    response = client.invoke(FunctionName="echo", InvocationType="DryRun", Payload=body)
    assert response["StatusCode"] == 204
    with pytest.raises(client.exceptions.RequestTooLargeException) as raised:
        client.invoke(FunctionName="echo", InvocationType="DryRun", Payload=body + b" ")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert "6291456 bytes" in raised.value.response["Error"]["Message"]


def test_an_unknown_function_is_resource_not_found(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.invoke(FunctionName="nope")
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"
    )
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="echo", Qualifier="7")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_configuration(FunctionName="nope")


def test_a_function_answers_to_its_arn_and_to_latest(client):
    arn = "arn:aws:lambda:us-east-1:000000000000:function:echo"
    response = client.invoke(FunctionName=arn, Qualifier="$LATEST", Payload=b"{}")
    assert json.loads(response["Payload"].read())["event"] == {}


def test_a_body_that_is_not_json_is_invalid_request_content(client):
    with pytest.raises(client.exceptions.InvalidRequestContentException) as raised:
        client.invoke(FunctionName="echo", Payload=b"{not json")
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"].startswith("Could not parse request body into json")


def test_a_payload_over_6_mb_is_request_too_large(client):
    with pytest.raises(client.exceptions.RequestTooLargeException) as raised:
        client.invoke(FunctionName="echo", Payload=b"[" + b" " * PAYLOAD_LIMIT_BYTES + b"]")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_configuration_has_what_boto3_and_the_waiter_read(client):
    config = client.get_function_configuration(FunctionName="echo")
    assert config["FunctionName"] == "echo"
    assert config["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:echo"
    assert config["Runtime"].startswith("python3.")
    assert config["Handler"] == "app.handler"
    assert (config["MemorySize"], config["Timeout"]) == (128, 3)
    assert (config["State"], config["LastUpdateStatus"]) == ("Active", "Successful")
    assert config["Version"] == "$LATEST"
    assert len(config["RevisionId"]) == 36
    config.pop("ResponseMetadata")
    assert client.get_function(FunctionName="echo")["Configuration"] == config


def test_a_configuration_change_makes_the_next_invocation_cold(client):
    _, before, _ = invoke(client, "config")
    _, _, warm_log = invoke(client, "config")
    assert not parse_reports(warm_log)[0].cold
    updated = client.update_function_configuration(
        FunctionName="config",
        MemorySize=256,
        Timeout=5,
        Environment={"Variables": {"COLDPROF_COLD": "round-1"}},
    )
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["MemorySize"] == 256
    client.get_waiter("function_updated_v2").wait(FunctionName="config")
    _, after, log = invoke(client, "config")
    (report,) = parse_reports(log)
    assert report.cold and report.memory_size_mb == 256
    assert after["marker"] == "round-1" and after["memory_mb"] == "256"
    assert after["pid"] != before["pid"]
    assert 3000 < after["remaining_ms"] <= 5000
    config = client.get_function_configuration(FunctionName="config")
    assert config["Environment"] == {"Variables": {"COLDPROF_COLD": "round-1"}}
    assert config["RevisionId"] == updated["RevisionId"] != ""


def test_json_log_format_writes_a_platform_report(client):
    client.update_function_configuration(
        FunctionName="json_logs", LoggingConfig={"LogFormat": "JSON"}
    )
    _, _, log = invoke(client, "json_logs")
    report_event = json.loads(log.strip().split("\n")[-1])
    assert report_event["type"] == "platform.report"
    assert report_event["record"]["metrics"]["initDurationMs"] > 0
    assert parse_reports(log)[0].cold


def test_bad_configuration_changes_are_refused_like_lambda(client):
    errors = client.exceptions
    with pytest.raises(ClientError) as raised:
        client.update_function_configuration(FunctionName="guarded", MemorySize=20_000)
    assert raised.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "'MemorySize' value failed to satisfy constraint: Member must have value less "
        "than or equal to 10240",
    }
    with pytest.raises(errors.InvalidParameterValueException, match="AWS_REGION"):
        client.update_function_configuration(
            FunctionName="guarded", Environment={"Variables": {"AWS_REGION": "eu-west-1"}}
        )
    with pytest.raises(errors.InvalidParameterValueException, match="4KB"):
        client.update_function_configuration(
            FunctionName="guarded", Environment={"Variables": {"BIG": "x" * 5000}}
        )
    with pytest.raises(errors.InvalidParameterValueException, match="not Handler"):
        client.update_function_configuration(FunctionName="guarded", Handler="other.handler")
    with pytest.raises(errors.PreconditionFailedException):
        client.update_function_configuration(
            FunctionName="guarded", Timeout=10, RevisionId="00000000-0000-0000-0000-000000000000"
        )
    assert client.get_function_configuration(FunctionName="guarded")["Timeout"] == 3


def test_concurrent_invocations_get_separate_environments_up_to_the_limit(client):
    results: list = []
    barrier = threading.Barrier(3)

    def call() -> None:
        barrier.wait()
        try:
            results.append(invoke(client, "busy", {"sleep_ms": 2000})[1]["pid"])
        except client.exceptions.TooManyRequestsException as error:
            results.append(error.response["ResponseMetadata"]["HTTPStatusCode"])

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    pids = [value for value in results if value != 429]
    assert sorted(results, key=str).count(429) == 1
    assert len(set(pids)) == 2


def test_a_zip_target_is_extracted_and_removed_when_the_server_stops(zipped_echo):
    with running_server([served("zipped", zipped_echo)]) as (server, _):
        _, payload, _ = invoke(lambda_client(server.url), "zipped")
        task_root = Path(payload["task_root"])
        assert (task_root / "app.py").is_file()
    assert not task_root.exists()


def test_idle_environments_are_retired(tmp_path):
    with running_server([echo("echo")], idle_timeout_s=0.2) as (server, lines):
        client = lambda_client(server.url)
        _, first, _ = invoke(client, "echo")
        deadline = time.monotonic() + 10
        while not any("idle environment(s) ended" in line for line in lines):
            assert time.monotonic() < deadline, lines
            time.sleep(0.05)
        _, second, log = invoke(client, "echo")
    assert parse_reports(log)[0].cold
    assert second["pid"] != first["pid"]
