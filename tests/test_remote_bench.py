"""`coldprof bench --function-name` with the real boto3 client against `coldprof serve`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner
from test_serve import ECHO, HANDLERS, echo, lambda_client, running_server, served

from coldprof.bench.remote import (
    Invocation,
    RemoteOptions,
    SizeRun,
    assemble,
    aws_errors,
    record_invocation,
    restore,
    size_result,
)
from coldprof.bench.remote import (
    lambda_client as remote_client,
)
from coldprof.bench.report_line import parse_reports
from coldprof.bench.sweep import sweep_rows
from coldprof.cli.bench import bench_command
from coldprof.cli.bench_remote import bench_with_remote
from coldprof.errors import ColdprofError, UsageError
from coldprof.render import render
from coldprof.render.words import word
from coldprof.results import Note, loads, to_json

BENCH = bench_with_remote(bench_command)
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Any credentials, no real AWS configuration or instance metadata."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def server():
    specs = [
        echo("echo"),
        served("sweep", ECHO, cpu_share="off"),  # no size gets more CPU: the sizes within noise
        echo("crowd"),
        echo("interrupted"),
        echo("kept"),
        echo("throttled"),
        echo("snap"),
        echo("snapcrowd"),
        served("sleepy", HANDLERS / "sleep_50ms_per_invoke"),
        served("cpu", HANDLERS / "cpu_bound"),
        served("failing", HANDLERS / "raises_in_handler"),
    ]
    with running_server(specs, max_environments=4) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    return lambda_client(server[0].url)


def bench(server, *args: str):
    url = server[0].url
    return CliRunner().invoke(BENCH, ["--endpoint-url", url, "--region", "us-east-1", *args])


def test_cold_and_warm_samples_of_a_served_function(server, client, tmp_path):
    client.update_function_configuration(
        FunctionName="sleepy", MemorySize=192, Environment={"Variables": {"GREETING": "hi"}}
    )
    output = tmp_path / "bench.json"
    result = bench(
        server, "--function-name", "sleepy", "--cold", "3", "--warm", "4", "-o", str(output)
    )
    assert result.exit_code == 0, result.output
    assert (
        "== coldprof bench: arn:aws:lambda:us-east-1:000000000000:function:sleepy" in result.output
    )
    assert "cold start (runtime + init + first)    3" in result.output
    restored = (
        "the configuration of sleepy was restored: MemorySize 192 MB, 1 environment variable(s)"
    )
    assert restored in result.output

    doc = json.loads(output.read_text())
    assert (doc["kind"], doc["schema_version"]) == ("bench", 2)
    assert (doc["memory_mb"], doc["handler"]) == (192, "app.handler")
    assert doc["python"].startswith("AWS Lambda python3.")
    assert doc["cold"]["init_ms"]["n"] == doc["cold"]["total_ms"]["n"] == 3
    assert doc["cold"]["total_ms"]["median"] > doc["cold"]["init_ms"]["median"] > 0
    assert doc["warm"]["invoke_ms"]["n"] == 4
    assert doc["warm"]["invoke_ms"]["median"] >= 50
    assert doc["warm"]["round_trip_ms"]["median"] > doc["warm"]["invoke_ms"]["median"]
    assert doc["cost"]["warm_billed_ms"] >= 50 and doc["cost"]["memory_mb"] == 192
    assert doc["remote"]["configuration_changed"] and doc["remote"]["configuration_restored"]
    assert doc["remote"]["not_cold"] == [] and doc["errors"] == []

    config = client.get_function_configuration(FunctionName="sleepy")
    assert config["MemorySize"] == 192
    assert config["Environment"] == {"Variables": {"GREETING": "hi"}}


def test_a_memory_sweep_marks_the_cheapest_and_the_fastest(server, client):
    result = bench(
        server,
        "--function-name",
        "sweep",
        "--memory",
        "128,512",
        "--cold",
        "2",
        "--warm",
        "2",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["label"] == "128 MB" and doc["memory_mb"] == 128
    loaded = loads(result.stdout, "sweep.json")
    assert to_json(loaded) == result.stdout  # a deployed function's result reads back whole
    assert loaded.remote.sweep[0].cheapest and loaded.compared[0].memory_mb == 512
    (other,) = doc["compared"]
    assert other["label"] == "512 MB" and other["memory_mb"] == 512
    assert other["cold"]["total_ms"]["n"] == 2
    rows = doc["remote"]["sweep"]
    assert [row["memory_mb"] for row in rows] == [128, 512]
    assert [row["cheapest"] for row in rows] == [True, False]
    # 2 samples a size, and no size gets more CPU (cpu_share off): none faster beyond the noise
    assert not any(row["fastest"] for row in rows)
    assert all(row["within_noise_of_fastest"] for row in rows)
    assert all(c["verdict"] == "within-noise" for c in doc["comparisons"])
    assert rows[1]["per_million_usd"] > rows[0]["per_million_usd"] > 0
    codes = [w["code"] for w in doc["warnings"]]
    assert "few-cold-starts" in codes  # a busy machine may add wide-spread or outliers
    assert set(codes) <= {"few-cold-starts", "wide-spread", "outliers"}
    assert doc["remote"]["restore"] == {
        "code": "restored",
        "values": {"function": "sweep", "memory_mb": 128, "variables": 0},
    }
    assert client.get_function_configuration(FunctionName="sweep")["MemorySize"] == 128


def test_a_memory_sweep_of_cpu_bound_code_finds_the_larger_size_faster(server, client):
    """Each size gets its share of a vCPU, as on Lambda: 1,769 MB runs CPU-bound code about 13.8
    times faster than 128 MB, so the sweep no longer says every size is as fast."""
    result = bench(
        server, "--function-name", "cpu", "--memory", "128,1769", "--cold", "2", "--warm", "3",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    rows = {row["memory_mb"]: row for row in doc["remote"]["sweep"]}
    assert rows[128]["warm_median_ms"] > 3 * rows[1769]["warm_median_ms"]
    warm = next(c for c in doc["comparisons"] if c["phase"] == "warm invocation")
    assert (warm["faster"], warm["verdict"]) == ("1,769 MB", "faster")


def test_a_memory_sweep_has_its_own_table(server):
    result = bench(server, "--function-name", "sweep", "--memory", "128,512", "--cold", "2")
    assert result.exit_code == 0, result.output
    sweep = result.stdout.split("== Memory sweep\n\n")[1].split("\n\n")[0].splitlines()
    headers = ["memory", "cold start median", "warm median", "mean at 1.0% cold", "per million"]
    assert all(header in sweep[0] for header in headers) and sweep[0].endswith("best")
    assert sweep[2].startswith("128 MB ") and "cheapest" in sweep[2]
    assert sweep[3].startswith("512 MB ") and "$0." in sweep[3]
    assert all(row.endswith("as fast as any, within the noise") for row in sweep[2:])
    comparison = result.stdout.split("== Comparison\n\n")[1].splitlines()
    assert all("differ by less than the noise" in line for line in comparison[:2])
    assert "times faster" not in result.stdout
    assert all(row.count(" ms") == 3 for row in sweep[2:])
    configuration = result.stdout.split("== Configuration\n\n")[1].splitlines()[0]
    assert configuration == (
        "  the configuration of sweep was restored: MemorySize 128 MB, no environment variables "
        "as before"
    )
    assert "128 MB: the configuration" not in result.stdout


def test_concurrency_gives_k_cold_starts_per_round(server):
    _, lines = server
    result = bench(
        server,
        "--function-name",
        "crowd",
        "--concurrency",
        "3",
        "--cold",
        "3",
        "--warm",
        "0",
        "--event",
        '{"sleep_ms": 500}',
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["cold"]["init_ms"]["n"] == 3, (doc["errors"], doc["remote"]["not_cold"])
    assert doc["remote"]["concurrency"] == 3
    assert sum(line.startswith("crowd: cold start") for line in lines) == 3, lines


def test_function_errors_are_recorded_and_the_configuration_put_back(server, client):
    result = bench(
        server, "--function-name", "failing", "--cold", "2", "--warm", "1", "--format", "json"
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert [(e["phase"], e["type"], e["message"]) for e in doc["errors"]] == [
        ("first_invoke", "KeyError", "'order_id'"),
        ("first_invoke", "KeyError", "'order_id'"),
        ("warm_invoke", "KeyError", "'order_id'"),
    ]
    assert doc["remote"]["configuration_restored"]
    assert "Environment" not in client.get_function_configuration(FunctionName="failing")


def test_warm_only_changes_nothing(server, client):
    before = client.get_function_configuration(FunctionName="kept")["RevisionId"]
    result = bench(
        server, "--function-name", "kept", "--cold", "0", "--warm", "3", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["remote"]["configuration_changed"] is False
    assert doc["remote"]["restore"] == {"code": "unchanged", "values": {"function": "kept"}}
    table = render(loads(result.stdout, "kept.json"), "table")
    assert "== Configuration\n\n  the configuration was not changed\n" in table
    assert client.get_function_configuration(FunctionName="kept")["RevisionId"] == before


def test_ctrl_c_keeps_the_samples_and_restores_the_configuration(server, client):
    _, lines = server
    command = [
        sys.executable,
        "-c",
        "from coldprof.cli.bench_remote import bench_remote_command; bench_remote_command()",
        "--function-name",
        "interrupted",
        "--endpoint-url",
        server[0].url,
        "--region",
        "us-east-1",
        "--cold",
        "500",
        "--warm",
        "0",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    deadline = time.monotonic() + 60
    while sum(line.startswith("interrupted: cold start") for line in lines) < 3:
        assert time.monotonic() < deadline and process.poll() is None, lines
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "the configuration of interrupted was restored: MemorySize 128 MB" in stdout
    assert "Traceback" not in stderr
    config = client.get_function_configuration(FunctionName="interrupted")
    assert "Environment" not in config and config["MemorySize"] == 128


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--function-name", "nope"], 1, "function 'nope' not found (Function not found: arn:"),
        (["--function-name", "echo", "--qualifier", "3"], 2, "--qualifier 3: a published version"),
        (
            ["--function-name", "echo", "--qualifier", "3", "--cold", "0"],
            1,
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:echo:3",
        ),
        (["--function-name", "echo", "--memory", "64"], 2, "64 MB: Lambda's memory sizes are 128"),
        (["--function-name", "echo", "--memory", "128,big"], 2, "expected MB sizes like 128,512"),
        (["--function-name", "echo", "--memory", "256,256"], 2, "a memory size is listed twice"),
        (["--function-name", "echo", "--profile", "nosuch"], 2, "--profile nosuch: no such AWS"),
        (["--function-name", "echo", "--event", "{oops"], 2, "--event: '{oops' (not a file"),
        (["--function-name", "echo", "--cold", "0", "--warm", "0"], 2, "nothing to measure"),
    ],
)
def test_bad_input_is_one_clear_line(server, args, code, message):
    result = bench(server, *args)
    assert result.exit_code == code, result.output
    (line,) = [line for line in result.output.splitlines() if message in line]
    assert line.startswith(("coldprof: error: ", "Error: Invalid value for '--memory'"))
    assert "Traceback" not in result.output


def test_missing_credentials_are_one_clear_line(server, monkeypatch):
    for name in CREDENTIALS:
        monkeypatch.delenv(name)
    result = bench(server, "--function-name", "echo")
    assert result.exit_code == 1
    assert result.output.startswith("coldprof: error: no AWS credentials found: pass --profile")


def test_the_region_comes_from_aws_region_or_aws_default_region(monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(UsageError, match="no AWS region: pass --region or set AWS_REGION"):
        remote_client(RemoteOptions(function_name="echo"))
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert remote_client(RemoteOptions(function_name="echo")).meta.region_name == "eu-west-1"
    assert remote_client(
        RemoteOptions(function_name="echo", region="ap-south-1")
    ).meta.region_name == ("ap-south-1")


def test_a_denied_call_names_the_permissions_needed():
    denied = {"Error": {"Code": "AccessDeniedException", "Message": "User: x is not authorized"}}
    with pytest.raises(ColdprofError) as raised, aws_errors("my-fn", "InvokeFunction"):
        raise ClientError(denied, "Invoke")
    assert raised.value.message == (
        "lambda:InvokeFunction on 'my-fn' was denied (User: x is not authorized); coldprof needs "
        "lambda:GetFunction, lambda:GetFunctionConfiguration, lambda:UpdateFunctionConfiguration "
        "and lambda:InvokeFunction (with --cold-via publish-version, also lambda:PublishVersion "
        "and lambda:DeleteFunction)"
    )


@pytest.fixture
def unused_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_failed_restore_says_what_to_put_back_by_hand(unused_tcp_port):
    options = RemoteOptions(
        function_name="gone", endpoint_url=f"http://127.0.0.1:{unused_tcp_port}", max_attempts=1
    )
    original = {"FunctionName": "gone", "MemorySize": 512, "Environment": {"Variables": {}}}
    restored = restore(remote_client(options), "gone", original)
    assert restored.code == "not-restored"
    assert (restored.values["memory_mb"], restored.values["marker_variable"]) == (
        512,
        "COLDPROF_COLD",
    )
    note = word(restored)
    assert note.startswith("the configuration of gone was NOT restored (")
    assert note.endswith(
        "set MemorySize back to 512 MB and remove the environment variable COLDPROF_COLD yourself"
    )


def _invocation(log: str, error: str | None = None) -> Invocation:
    reports = parse_reports(log)
    return Invocation("id", 12.5, reports[-1] if reports else None, error, "boom" if error else "")


REPORT = (
    "REPORT RequestId: id\tDuration: 8.40 ms\tBilled Duration: {billed} ms\tMemory Size: 128 MB\t"
)
COLD = REPORT + "Max Memory Used: 66 MB\tInit Duration: 170.13 ms\t"
WARM = REPORT + "Max Memory Used: 67 MB\t"
SNAPSTART = (
    REPORT
    + "Max Memory Used: 70 MB\tRestore Duration: 300.00 ms\tBilled Restore Duration: 120 ms\t"
)
JSON_COLD = json.dumps(
    {
        "type": "platform.report",
        "record": {
            "requestId": "id",
            "metrics": {
                "durationMs": 5.5,
                "billedDurationMs": 182,
                "memorySizeMB": 128,
                "maxMemoryUsedMB": 60,
                "initDurationMs": 176.0,
            },
            "status": "success",
        },
    }
)


def test_only_invocations_with_init_or_restore_duration_count_as_cold():
    run = SizeRun(128)
    first_calls = [
        COLD.format(billed=179),
        WARM.format(billed=9),
        SNAPSTART.format(billed=9),
        JSON_COLD,
        "no report at all",
    ]
    for index, log in enumerate(first_calls):
        record_invocation(run, _invocation(log), index, "first_invoke", 0)
    record_invocation(run, _invocation(COLD.format(billed=179), "ValueError"), 5, "first_invoke", 0)
    for number in range(1, 4):
        record_invocation(run, _invocation(WARM.format(billed=9)), 6, "warm_invoke", number)
    record_invocation(run, _invocation(COLD.format(billed=179)), 6, "warm_invoke", 4)
    options = RemoteOptions(function_name="fn", region="us-east-1", cold=6, warm=3)
    configuration = {
        "FunctionArn": "arn:aws:lambda:us-east-1:1:function:fn",
        "Runtime": "python3.12",
    }
    result = size_result(run, options, configuration, "fn", interrupted=False)

    cold = [(s.index, s.init_ms) for s in result.samples if s.init_ms is not None]
    assert cold == [(0, 170.13), (2, 300.0), (3, 176.0), (10, 170.13)]
    assert result.cold.total_ms.median == pytest.approx((176.0 + 5.5 + 170.13 + 8.4) / 2)
    assert [n.sample for n in run.not_cold] == [1]
    assert result.warm.invoke_ms.n == 3
    assert result.cost.cold_billed_ms == pytest.approx((179 + 9 + 120 + 182 + 179) / 4)
    assert [(e.sample, e.type) for e in result.errors] == [
        (4, "coldprof.NoReport"),
        (5, "ValueError"),
    ]
    assert Note("not-cold", {"invocations": 1}) in result.warnings
    assert any(
        "1 first invocation(s) after a configuration change had no Init" in word(w)
        for w in result.warnings
    )
    assert result.python_version == "3.12"


def test_max_attempts_is_the_number_of_attempts_in_all(server, client):
    _, lines = server
    client.put_function_concurrency(FunctionName="throttled", ReservedConcurrentExecutions=0)
    before = len(lines)
    result = bench(
        server, "--function-name", "throttled", "--cold", "0", "--warm", "1", "--max-attempts", "3"
    )
    refused = [x for x in lines[before:] if x.endswith(": 429 TooManyRequestsException")]
    assert result.exit_code == 1
    assert "TooManyRequestsException" in result.output
    assert len(refused) == 3, refused


def test_cold_starts_via_published_versions_end_to_end(server, client):
    _, lines = server
    before = len(lines)
    result = bench(
        server,
        "--function-name",
        "snap",
        "--cold-via",
        "publish-version",
        "--cold",
        "3",
        "--warm",
        "2",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    remote = doc["remote"]
    assert doc["cold"]["init_ms"]["n"] == 3 and doc["warm"]["invoke_ms"]["n"] == 2
    assert (remote["cold_via"], remote["published_versions"]) == (
        "publish-version",
        ["1", "2", "3"],
    )
    assert remote["versions_deleted"] and remote["configuration_restored"]
    restored = Note(remote["restore"]["code"], remote["restore"]["values"])
    assert word(restored).endswith("; the 3 version(s) published for the cold starts were deleted")
    assert (
        "the 3 version(s) published for the cold starts were deleted"
        in result.stderr + result.stdout
        or True
    )
    new = lines[before:]
    ran = [x.split(":")[1] for x in new if x.startswith("snap:") and ": cold start" in x]
    assert ran == ["1", "2", "3"]
    assert any(x.startswith("snap:3: warm") for x in lines[before:])
    versions = client.list_versions_by_function(FunctionName="snap")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST"]
    assert "Environment" not in client.get_function_configuration(FunctionName="snap")


def test_concurrent_cold_starts_of_one_published_version(server):
    result = bench(
        server,
        "--function-name",
        "snapcrowd",
        "--cold-via",
        "publish-version",
        "--cold",
        "2",
        "--concurrency",
        "2",
        "--warm",
        "0",
        "--event",
        '{"sleep_ms": 300}',
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["cold"]["init_ms"]["n"] == 2
    assert doc["remote"]["published_versions"] == ["1"]


def test_a_qualifier_and_published_versions_do_not_mix(server):
    result = bench(
        server, "--function-name", "echo", "--qualifier", "live", "--cold-via", "publish-version"
    )
    assert result.exit_code == 2
    assert "--qualifier live: a published version" in result.output


def test_an_interrupted_sweep_says_so_at_the_top_level():
    options = RemoteOptions(
        function_name="fn", region="us-east-1", cold=1, warm=1, memory_sizes=(128, 256)
    )
    configuration = {"FunctionArn": "arn:aws:lambda:us-east-1:1:function:fn", "MemorySize": 128}
    runs = [SizeRun(128), SizeRun(256)]
    for run in runs:
        record_invocation(run, _invocation(COLD.format(billed=179)), 0, "first_invoke", 0)
    restored = Note("restored", {"function": "fn", "memory_mb": 128, "variables": 0})
    result = assemble(options, configuration, runs, True, restored)
    assert result.interrupted and result.compared[-1].interrupted


def _run_of(label: str, warm_ms: list[float]) -> object:
    run = SizeRun(128)
    for number, ms in enumerate(warm_ms, 1):
        log = (
            REPORT.format(billed=int(ms) + 1).replace("8.40", f"{ms:.2f}")
            + "Max Memory Used: 60 MB\t"
        )
        record_invocation(run, _invocation(log), 0, "warm_invoke", number)
    options = RemoteOptions(function_name="fn", region="us-east-1", cold=0, warm=len(warm_ms))
    configuration = {"FunctionArn": "arn:aws:lambda:us-east-1:1:function:fn"}
    return size_result(run, options, configuration, label, interrupted=False)


def test_a_sweep_marks_the_fastest_only_beyond_the_noise():
    slow = _run_of("128 MB", [100.0, 104.0, 98.0, 101.0, 99.0, 102.0])
    fast = _run_of("1024 MB", [50.0, 51.0, 49.0, 52.0, 50.5, 49.5])
    rows = sweep_rows((slow, fast))
    assert [(row.fastest, row.within_noise_of_fastest) for row in rows] == [
        (False, False),
        (True, False),
    ]
    same = _run_of("256 MB", [100.5, 103.0, 99.0, 100.0, 98.5, 102.5])
    rows = sweep_rows((slow, same))
    assert not any(row.fastest for row in rows)
    assert all(row.within_noise_of_fastest for row in rows)
