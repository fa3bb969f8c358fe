"""The real AWS CLI (the `awscli` package) against `coldprof serve`, as a deployment script or an
integration test suite runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_serve import HANDLERS, echo, running_server, served

CLI_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def endpoint():
    specs = [
        echo("echo"),
        echo("deploy"),
        echo("queued"),
        served("failing", HANDLERS / "raises_in_handler"),
    ]
    with running_server(specs, event_retry_delays_s=(0.1, 0.2)) as (server, lines):
        yield server.url, lines


def aws(endpoint, *args: str, sign: bool = True, cwd: Path | None = None):
    """`aws lambda ARGS --endpoint-url URL` with the test key in the environment (no config)."""
    url = endpoint[0]
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent/config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
        "PATH": "/usr/bin:/bin",
    }
    command = [sys.executable, "-m", "awscli", "lambda", *args, "--endpoint-url", url]
    command += ["--output", "json"] + ([] if sign else ["--no-sign-request"])
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=CLI_TIMEOUT_S, cwd=cwd
    )


def ok(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_invoke_writes_the_response_and_the_log_tail(endpoint, tmp_path):
    out = tmp_path / "out.json"
    shown = ok(
        aws(
            endpoint,
            "invoke",
            "--function-name",
            "echo",
            "--payload",
            '{"order": 7}',
            "--log-type",
            "Tail",
            str(out),
        )
    )
    assert (shown["StatusCode"], shown["ExecutedVersion"]) == (200, "$LATEST")
    assert json.loads(out.read_text())["event"] == {"order": 7}
    assert "FunctionError" not in shown and shown["LogResult"]


def test_a_function_error_is_reported_as_the_cli_shows_it(endpoint, tmp_path):
    out = tmp_path / "out.json"
    shown = ok(aws(endpoint, "invoke", "--function-name", "failing", str(out)))
    assert shown["FunctionError"] == "Unhandled"
    assert json.loads(out.read_text())["errorType"] == "KeyError"


def test_a_deployment_script_publishes_a_version_and_shifts_an_alias(endpoint, tmp_path):
    updated = ok(
        aws(
            endpoint,
            "update-function-configuration",
            "--function-name",
            "deploy",
            "--environment",
            "Variables={STAGE=prod}",
        )
    )
    assert updated["Environment"]["Variables"] == {"STAGE": "prod"}
    ok(aws(endpoint, "wait", "function-updated-v2", "--function-name", "deploy"))
    version = ok(aws(endpoint, "publish-version", "--function-name", "deploy"))["Version"]
    ok(
        aws(
            endpoint,
            "wait",
            "published-version-active",
            "--function-name",
            "deploy",
            "--qualifier",
            version,
        )
    )
    alias = ok(
        aws(
            endpoint,
            "create-alias",
            "--function-name",
            "deploy",
            "--name",
            "live",
            "--function-version",
            version,
        )
    )
    assert alias["AliasArn"].endswith(":function:deploy:live")
    shown = ok(
        aws(
            endpoint,
            "invoke",
            "--function-name",
            "deploy",
            "--qualifier",
            "live",
            str(tmp_path / "out.json"),
        )
    )
    assert shown["ExecutedVersion"] == version
    aliases = ok(aws(endpoint, "list-aliases", "--function-name", "deploy"))["Aliases"]
    assert [a["Name"] for a in aliases] == ["live"]
    versions = ok(aws(endpoint, "list-versions-by-function", "--function-name", "deploy"))
    assert [v["Version"] for v in versions["Versions"]] == ["$LATEST", version]


def test_list_functions_is_paginated_by_the_cli(endpoint):
    listed = ok(aws(endpoint, "list-functions", "--page-size", "1"))
    assert [f["FunctionName"] for f in listed["Functions"]] == sorted(
        ["echo", "deploy", "queued", "failing"]
    )
    function = ok(aws(endpoint, "get-function", "--function-name", "echo"))
    assert function["Code"]["RepositoryType"] == "Local"


def test_concurrency_and_event_settings(endpoint, tmp_path):
    ok(
        aws(
            endpoint,
            "put-function-concurrency",
            "--function-name",
            "queued",
            "--reserved-concurrent-executions",
            "2",
        )
    )
    shown = ok(aws(endpoint, "get-function-concurrency", "--function-name", "queued"))
    assert shown == {"ReservedConcurrentExecutions": 2}
    config = ok(
        aws(
            endpoint,
            "put-function-event-invoke-config",
            "--function-name",
            "queued",
            "--maximum-retry-attempts",
            "0",
        )
    )
    assert config["MaximumRetryAttempts"] == 0
    shown = ok(
        aws(
            endpoint,
            "invoke",
            "--function-name",
            "queued",
            "--invocation-type",
            "Event",
            str(tmp_path / "out.json"),
        )
    )
    assert shown["StatusCode"] == 202


def test_an_unsigned_cli_is_refused(endpoint, tmp_path):
    result = aws(endpoint, "get-function", "--function-name", "echo", sign=False)
    assert result.returncode != 0
    assert "MissingAuthenticationTokenException" in result.stderr
    assert "Missing Authentication Token" in result.stderr
