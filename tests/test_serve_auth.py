"""Who may call `coldprof serve`: SigV4 as Lambda checks it (requests signed by botocore's own
signer), Lambda's 403 errors for the rest, no web pages, no rebinding Host, escaped logs, and a
400 for a request line that is not HTTP."""

from __future__ import annotations

import datetime
import json
import signal
import socket
import stat
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from test_serve import ECHO, TEST_KEY, echo, invoke, lambda_client, raw_request, running_server
from test_serve_cli import bare_environment, serve_process

from coldprof.serve import AccessKey

INVOKE = "/2015-03-31/functions/echo/invocations"
CONFIG = "/2015-03-31/functions/echo/configuration"


@pytest.fixture(scope="module")
def server():
    with running_server([echo("echo")]) as running:
        yield running


def error_of(reply) -> tuple[int, str, dict]:
    return reply.status, reply.headers["X-Amzn-ErrorType"], reply.json()


def test_a_signed_request_is_answered(server):
    reply = raw_request(server[0].url, "GET", CONFIG)
    assert reply.status == 200 and reply.json()["FunctionName"] == "echo"


def test_an_unsigned_request_gets_lambdas_missing_token_error(server):
    reply = raw_request(server[0].url, "POST", INVOKE, b"{}", key=None)
    assert error_of(reply) == (
        403,
        "MissingAuthenticationTokenException",
        {"message": "Missing Authentication Token"},
    )


def test_an_unknown_key_is_an_unrecognized_client(server):
    client = lambda_client(server[0].url, key=AccessKey("AKIAOTHER", "test"))
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName="echo")
    assert raised.value.response["Error"] == {
        "Code": "UnrecognizedClientException",
        "Message": "The security token included in the request is invalid.",
    }
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_wrong_secret_is_an_invalid_signature(server):
    client = lambda_client(server[0].url, key=AccessKey("test", "not the secret"))
    with pytest.raises(ClientError) as raised:
        client.get_function(FunctionName="echo")
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidSignatureException"
    assert error["Message"].startswith("The request signature we calculated does not match")


def test_a_body_changed_after_signing_is_refused(server):
    url = server[0].url
    signed = raw_request(url, "POST", INVOKE, b'{"n": 1}')
    assert signed.status == 200
    tampered = raw_request(url, "POST", INVOKE, b'{"n": 1}', unsigned={"X-Tamper": "1"})
    assert tampered.status == 200  # an unsigned extra header changes nothing signed
    # the same signature, another body of the same length
    request = AWSRequest(method="POST", url=url + INVOKE, data=b'{"n": 1}')
    SigV4Auth(Credentials("test", "test"), "lambda", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    reply = raw_request(url, "POST", INVOKE, b'{"n": 2}', key=None, unsigned=headers)
    assert error_of(reply)[:2] == (403, "InvalidSignatureException")


def test_a_claimed_payload_hash_must_be_the_bodys(server):
    headers = {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    reply = raw_request(server[0].url, "POST", INVOKE, b"{}", headers=headers)
    assert error_of(reply)[:2] == (403, "InvalidSignatureException")
    assert "x-amz-content-sha256" in reply.json()["message"]


@pytest.mark.parametrize(("minutes", "words"), [(-6, "Signature expired"), (6, "not yet current")])
def test_a_signature_outside_the_clock_skew_window_is_refused(server, monkeypatch, minutes, words):
    skewed = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    skewed += datetime.timedelta(minutes=minutes)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: skewed)
    with pytest.raises(ClientError) as raised:
        lambda_client(server[0].url).get_function(FunctionName="echo")
    error = raised.value.response["Error"]
    assert error["Code"] == "InvalidSignatureException"
    assert words in error["Message"] and "5 min." in error["Message"]


def test_a_signature_within_the_window_is_accepted(server, monkeypatch):
    skewed = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    monkeypatch.setattr(
        "botocore.auth.get_current_datetime", lambda: skewed - datetime.timedelta(minutes=4)
    )
    assert lambda_client(server[0].url).get_function(FunctionName="echo")["Configuration"]


def test_a_session_token_must_match_the_keys():
    key = AccessKey("ASIATEMP", "secret", token="the-token")
    with running_server([echo("echo")], accept_keys=(key,)) as (server, _):
        ok = boto3.client(
            "lambda",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="ASIATEMP",
            aws_secret_access_key="secret",
            aws_session_token="the-token",
        )
        assert ok.get_function(FunctionName="echo")["Configuration"]["FunctionName"] == "echo"
        other = AccessKey("ASIATEMP", "secret", token="another")
        reply = raw_request(server.url, "GET", CONFIG, key=other)
        missing = raw_request(server.url, "GET", CONFIG, key=AccessKey("ASIATEMP", "secret"))
    assert error_of(reply)[:2] == (403, "UnrecognizedClientException")
    assert error_of(missing)[:2] == (403, "UnrecognizedClientException")


def test_a_web_page_is_refused_even_when_signed(server):
    headers = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    reply = raw_request(server[0].url, "POST", INVOKE, b"{}", unsigned=headers)
    status, error_type, body = error_of(reply)
    assert (status, error_type) == (403, "AccessDeniedException")
    assert "Origin: https://evil.example" in body["message"]


def test_a_rebinding_host_is_refused(server):
    port = urlsplit(server[0].url).port
    reply = raw_request(
        server[0].url, "POST", INVOKE, b"{}", headers={"Host": f"evil.example:{port}"}
    )
    assert error_of(reply)[:2] == (403, "AccessDeniedException")
    wrong_port = raw_request(server[0].url, "GET", CONFIG, headers={"Host": "127.0.0.1:1"})
    assert error_of(wrong_port)[:2] == (403, "AccessDeniedException")
    localhost = raw_request(server[0].url, "GET", CONFIG, headers={"Host": f"localhost:{port}"})
    assert localhost.status == 200


def test_the_browser_attack_of_the_report_is_refused_and_runs_nothing():
    """A text/plain POST with a foreign Origin and a rebinding Host, as a web page sends it."""
    with running_server([echo("echo")], no_auth=True) as (server, lines):
        port = urlsplit(server.url).port
        headers = {
            "Host": f"rebind.evil.example:{port}",
            "Origin": "http://rebind.evil.example",
            "Content-Type": "text/plain",
        }
        reply = raw_request(server.url, "POST", INVOKE, b"{}", key=None, unsigned=headers)
    assert error_of(reply)[:2] == (403, "AccessDeniedException")
    assert not any("cold start" in line for line in lines)


def _send_raw(url: str, data: bytes) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        connection.sendall(data)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize(
    "line",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\n\r\n",
        b"GET / HTTP/9\r\n\r\n",
    ],
)
def test_a_malformed_request_line_gets_a_400_in_json(server, line):
    received = _send_raw(server[0].url, line)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), received[:200]
    assert b"X-Amzn-ErrorType: MalformedHttpRequestException" in head
    assert b'"message": ' in body and b"<html" not in body.lower()


@pytest.mark.parametrize("method", [b"GE\x1bT", b"G\x00ET", b"GET\x7f", b"G\x85ET"])
def test_a_method_with_a_control_byte_gets_a_400_logged_escaped(server, method):
    _, lines = server
    line = method + b" /2015-03-31/functions/ HTTP/1.1\r\nConnection: close\r\n\r\n"
    head = _send_raw(server[0].url, line).partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"X-Amzn-ErrorType: MalformedHttpRequestException" in head
    shown = method.decode("latin-1").encode("unicode_escape").decode("ascii")
    assert f"{shown} /2015-03-31/functions/ HTTP/1.1: 400 MalformedHttpRequestException" in lines
    assert not any(character in "".join(lines) for character in "\x1b\x00\x7f")


def test_control_characters_in_paths_and_headers_are_logged_escaped(server):
    _, lines = server
    request = b"GET /\x1b[31mred\x07 HTTP/1.1\r\nHost: x\x1b]0;t\x07\r\nConnection: close\r\n\r\n"
    answer = json.loads(_send_raw(server[0].url, request).partition(b"\r\n\r\n")[2])
    assert "(Host: x\\x1b]0;t\\x07)" in answer["message"]
    refused = [line for line in lines if "red" in line]
    assert refused and all("\x1b" not in line and "\x07" not in line for line in lines)
    assert refused[-1] == "GET /\\x1b[31mred\\x07: 403 AccessDeniedException"


def test_no_auth_warns_every_time_and_accepts_unsigned_requests():
    for _ in range(2):
        with serve_process("--function", f"echo={ECHO}:app.handler", "--no-auth", key=None) as (
            process,
            url,
            lines,
        ):
            reply = raw_request(url, "GET", CONFIG, key=None)
            process.send_signal(signal.SIGTERM)
        assert reply.status == 200
        assert any("WARNING: --no-auth: requests are not authenticated" in x for x in lines)


def test_this_environments_own_credentials_are_accepted():
    env = bare_environment(AWS_ACCESS_KEY_ID="AKIAFROMENV", AWS_SECRET_ACCESS_KEY="env-secret")
    with serve_process("--function", f"echo={ECHO}:app.handler", env=env, key=None) as (
        process,
        url,
        lines,
    ):
        mine = lambda_client(url, key=AccessKey("AKIAFROMENV", "env-secret"))
        _, payload, _ = invoke(mine, "echo", {"who": "me"})
        refused = raw_request(url, "GET", CONFIG, key=TEST_KEY)
        process.send_signal(signal.SIGTERM)
    assert payload["event"] == {"who": "me"}
    assert error_of(refused)[:2] == (403, "UnrecognizedClientException")
    assert any("accepting requests signed with AKIAFROMENV" in line for line in lines)
    assert not any("env-secret" in line for line in lines)


def test_without_credentials_a_key_pair_is_generated_for_this_user_alone(monkeypatch):
    with serve_process("--function", f"echo={ECHO}:app.handler", key=None) as (
        process,
        url,
        lines,
    ):
        (line,) = [line for line in lines if "no AWS credentials found" in line]
        path = Path(line.split("the pair is in ")[1].split()[0])
        mode = stat.S_IMODE(path.stat().st_mode)
        secret = path.read_text().split("aws_secret_access_key = ")[1].split()[0]
        for name, value in bare_environment(AWS_SHARED_CREDENTIALS_FILE=str(path)).items():
            if name.startswith("AWS_"):
                monkeypatch.setenv(name, value)
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        client = boto3.client("lambda", endpoint_url=url, region_name="us-east-1")
        _, payload, _ = invoke(client, "echo")
        process.send_signal(signal.SIGTERM)
    assert mode == 0o600
    assert client._request_signer._credentials.access_key in line
    assert not any(secret in text for text in lines)
    assert payload["event"] == {}
    assert not path.exists()
