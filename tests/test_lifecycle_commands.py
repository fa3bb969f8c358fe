"""The environment's life in every command: invoke shows it for its one invocation, bench counts
it per environment, serve logs it; cpu_share, init_cpu, cold_cache and ephemeral_storage are
settings of the function (option, [tool.coldprof] key, serve --function key)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_serve import invoke, lambda_client, running_server, served

from coldprof.cli import main
from coldprof.config import load_config
from coldprof.errors import UsageError
from coldprof.results import loads
from coldprof.sandbox import Emulation, awslambdaric
from coldprof.serve import parse_function

HANDLERS = Path(__file__).resolve().parent.parent / "fixtures" / "handlers"
LEFT_RUNNING = HANDLERS / "left_running"
SMALL = ("--cold", "2", "--warm", "2", "--warmup", "0")


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_invoke_names_the_thread_left_running_and_gives_the_advice(tmp_path):
    event = json.dumps({"thread": str(tmp_path / "marker")})
    result = run("invoke", LEFT_RUNNING, "--handler", "app.handler", "--event", event)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"ok": True}
    lines = [line for line in result.stderr.splitlines() if line.startswith("coldprof: ")]
    held = "coldprof: CPU: held to 0.072 vCPU, the share of 128 MB (memory / 1,769 MB), by "
    assert lines[0].startswith(held)
    assert "init: 1 vCPU (boosted" in lines[0]
    left = [line for line in lines if "left running" in line]
    assert len(left) == 1 and "thread `notify`" in left[0] and "app.py:15 in notify" in left[0]
    assert "still running when the environment ended" in left[0]
    assert lines[-1].startswith("coldprof: advice: await or join background work")


@pytest.mark.skipif(not awslambdaric.available(), reason=awslambdaric.INSTALL_HINT)
def test_invoke_with_awslambdaric_names_the_process_and_says_threads_are_not_seen(tmp_path):
    event = json.dumps({"thread": str(tmp_path / "marker"), "process": True})
    args = ("--handler", "app.handler", "--runtime-client", "awslambdaric", "--event", event)
    result = run("invoke", LEFT_RUNNING, *args)
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("coldprof: ")]
    unseen = "coldprof: work left running: threads and asyncio tasks not seen, only processes"
    assert any(line.startswith(unseen) for line in lines)
    left = [line for line in lines if line.startswith("coldprof: left running: ")]
    assert len(left) == 1 and "process `sleep`" in left[0]


def test_invoke_says_the_share_it_was_held_to_apart_from_what_the_invocation_used():
    """A handler sleeping 50 ms uses far less than its share: the line says both, each for what
    it is, not "held" for the CPU it happened to use."""
    args = ("--handler", "app.handler", "--memory", "512")
    result = run("invoke", HANDLERS / "sleep_50ms_per_invoke", *args)
    assert result.exit_code == 0, result.stderr
    line = next(x for x in result.stderr.splitlines() if x.startswith("coldprof: CPU: "))
    assert line.startswith("coldprof: CPU: held to 0.289 vCPU, the share of 512 MB (memory / ")
    used = re.search(
        r"; the invocation used ([\d.]+) vCPU on average \(its CPU time / its wall", line
    )
    assert used is not None and float(used.group(1)) < 0.289, line


def test_invoke_with_cpu_share_off_says_the_cpu_is_not_limited():
    result = run("invoke", LEFT_RUNNING, "--handler", "app.handler", "--cpu-share", "off")
    assert result.exit_code == 0, result.stderr
    assert "coldprof: CPU: not limited (--cpu-share off" in result.stderr
    assert "left running" not in result.stderr


def test_bench_counts_work_left_running_per_environment():
    event = json.dumps({"process": True})
    result = run(
        "bench",
        LEFT_RUNNING,
        "--handler",
        "app.handler",
        "--event",
        event,
        *SMALL,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    (sleep,) = document["left_running"]
    assert (sleep["kind"], sleep["name"], sleep["where"]) == ("process", "sleep", "/usr/bin/sleep")
    assert (sleep["environments"], sleep["times"], sleep["lost"]) == (2, 6, 6)
    assert [len(sample["left_running"]) for sample in document["samples"]] == [3, 3]
    assert document["emulation"]["vcpus"] == pytest.approx(128 / 1769)
    assert 0 < document["held_vcpus"] < 1
    assert len(document["samples"][0]["invoke_cpu_ms"]) == 2
    loaded = loads(result.stdout, "bench.json")  # and it reads back into its records
    assert loaded.left_running[0].times == 6 and loaded.emulation == Emulation(
        **document["emulation"]
    )
    assert loaded.samples[0].left_running[0].kind == "process"


def test_bench_table_shows_the_lifecycle_and_the_finding():
    event = json.dumps({"process": True})
    result = run("bench", LEFT_RUNNING, "--handler", "app.handler", "--event", event, *SMALL)
    assert result.exit_code == 0, result.stderr
    assert "== Lifecycle" in result.stdout and "CPU during init" in result.stdout
    assert "== Left running when the handler returned" in result.stdout
    assert "process `sleep` (/usr/bin/sleep) was left running 6 time(s)" in result.stdout
    assert "await or join background work" in result.stdout


def test_bench_cold_cache_compares_with_the_code_cached():
    result = run(
        "bench", HANDLERS / "sleep_init_300ms", "--handler", "app.handler", *SMALL,
        "--cold-cache", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["label"].endswith("(code read cold)")
    assert document["emulation"]["cold_cache_bytes"] > 0
    (cached,) = document["compared"]
    assert cached["label"].endswith("(code cached)")
    assert cached["emulation"]["cold_cache_bytes"] is None
    assert {c["phase"] for c in document["comparisons"]} >= {"cold start"}


def test_serve_logs_what_a_handler_left_running(tmp_path):
    function = served("background", LEFT_RUNNING)
    with running_server([function]) as (server, lines):
        client = lambda_client(server.url)
        invoke(client, "background", {"thread": str(tmp_path / "marker")})
        invoke(client, "background", {})
    left = [line for line in lines if "left running" in line]
    assert len(left) == 1
    assert left[0].startswith("background: left running: thread `notify`")
    assert "await or join background work" in left[0]


def test_the_settings_are_keys_of_the_function_everywhere(tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text(
        '[tool.coldprof]\ntarget = "."\nhandler = "app.handler"\ncpu_share = "off"\n'
        'init_cpu = "memory"\ncold_cache = true\nephemeral_storage = 1024\n'
    )
    function = load_config(config).function
    assert (function.cpu_share, function.init_cpu) == ("off", "memory")
    assert (function.cold_cache, function.ephemeral_storage_mb) == (True, 1024)
    served_function = parse_function(
        "f=build:app.handler,cpu_share=off,init_cpu=memory,cold_cache=yes,ephemeral_storage=2048"
    )
    assert (served_function.cpu_share, served_function.init_cpu) == ("off", "memory")
    assert (served_function.cold_cache, served_function.ephemeral_storage_mb) == (True, 2048)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (("--cpu-share", "half"), '"memory" (the memory size\'s share of a vCPU) or "off"'),
        (("--init-cpu", "fast"), '"boosted" (at least one vCPU) or "memory"'),
        (("--ephemeral-storage", "100"), "a size of /tmp in MB, a whole number from 512 to 10240"),
    ],
)
def test_bad_settings_are_usage_errors(option, expected):
    result = run("invoke", LEFT_RUNNING, "--handler", "app.handler", *option)
    assert result.exit_code == 2
    assert expected in result.stderr


def test_a_bad_switch_in_serve_function_is_a_usage_error():
    with pytest.raises(UsageError, match="cold_cache: expected true or false"):
        parse_function("f=build:app.handler,cold_cache=maybe")


def test_invoke_and_bench_report_the_peak_of_tmp():
    fills = (HANDLERS / "fills_tmp", "--handler", "app.handler", "--event", '{"mb": 4}')
    invoked = run("invoke", *fills, "--ephemeral-storage", "600")
    assert invoked.exit_code == 0, invoked.output
    assert re.search(r"/tmp 600 MB (tmpfs|watched), peak 4\.\d MB\n", invoked.stderr)
    benched = run("bench", *fills, "--cold", "1", "--warm", "1", "--warmup", "0")
    assert benched.exit_code == 0, benched.output
    assert re.search(r"/tmp +512 MB, [a-z -]+, peak 4\.\d MB\n", benched.stdout)
