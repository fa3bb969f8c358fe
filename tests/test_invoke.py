"""`coldprof invoke`: the response on stdout, the log and a REPORT line on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from click.testing import CliRunner

from coldprof.bench.report_line import parse_reports
from coldprof.cli.invoke import invoke

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HANDLERS = FIXTURES / "handlers"
SCRIPTED = FIXTURES / "bench" / "scripted"


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(invoke, [str(a) for a in args], input=stdin)


def test_the_response_and_the_context_are_lambdas():
    result = run(SCRIPTED, "--handler", "app.handler", "--memory", "256", "--timeout", "7")
    assert result.exit_code == 0, result.stderr
    response = json.loads(result.stdout)
    assert response["invocation"] == 1
    assert response["function_name"] == "coldprof-local"
    assert response["function_version"] == "$LATEST"
    assert response["invoked_function_arn"] == (
        "arn:aws:lambda:us-east-1:000000000000:function:coldprof-local"
    )
    assert response["memory_limit_in_mb"] == "256"
    assert response["log_group_name"] == "/aws/lambda/coldprof-local"
    assert "[$LATEST]" in response["log_stream_name"]
    assert 6000 < response["remaining_ms"] <= 7000
    assert f"START RequestId: {response['aws_request_id']} Version: $LATEST" in result.stderr


def test_stderr_holds_the_log_and_a_cold_report_line():
    result = run(
        SCRIPTED, "--handler", "app.handler", "--event", '{"print": "hello from the handler"}'
    )
    lines = result.stderr.splitlines()
    assert lines[0] == "scripted: init done"
    assert lines[1].startswith("START RequestId: ")
    assert lines[2] == "hello from the handler"
    assert lines[3].startswith("END RequestId: ")
    (report,) = parse_reports(result.stderr)
    assert report.cold and report.init_duration_ms > 0
    assert report.memory_size_mb == 128
    assert 0 < report.max_memory_used_mb < 128
    assert report.billed_duration_ms >= report.init_duration_ms + report.duration_ms
    assert lines[4].endswith("\t")


def test_a_handler_exception_prints_lambdas_error_payload_and_exits_1():
    result = run(HANDLERS / "raises_in_handler", "--handler", "app.handler")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert (payload["errorType"], payload["errorMessage"]) == ("KeyError", "'order_id'")
    assert any("in validate" in frame for frame in payload["stackTrace"])
    assert payload["requestId"]  # awslambdaric names the request in an invocation's error
    # the runtime logs the error itself, lines joined by CR, indentation as no-break spaces
    assert "[ERROR] KeyError: 'order_id'\rTraceback (most recent call last):\r" in result.stderr
    (report,) = parse_reports(result.stderr)
    assert report.status is None  # the environment lives on: a plain REPORT line


def test_an_import_error_is_lambdas_import_module_error():
    result = run(HANDLERS / "imports_missing_module", "--handler", "app.handler")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert payload["errorMessage"] == "Unable to import module 'app': No module named 'requests'"
    (report,) = parse_reports(result.stderr)
    assert report.error_type == "Runtime.ImportModuleError"


def test_a_timeout_says_task_timed_out():
    result = run(HANDLERS / "hangs_in_handler", "--handler", "app.handler", "--timeout", "0.5")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["errorType"] == "Sandbox.Timedout"
    (report,) = parse_reports(result.stderr)
    rid = report.request_id
    assert payload["errorMessage"] == f"RequestId: {rid} Error: Task timed out after 0.50 seconds"
    assert f"Z {rid} Task timed out after 0.50 seconds\n" in result.stderr
    assert (report.duration_ms, report.status, report.error_type) == (500.0, "timeout", None)


def test_the_event_comes_from_a_file_inline_json_or_stdin(tmp_path):
    event_file = tmp_path / "event.json"
    event_file.write_text('{"print": "from a file"}')
    from_file = run(SCRIPTED, "--handler", "app.handler", "--event", event_file)
    from_stdin = run(
        SCRIPTED, "--handler", "app.handler", "--event", "-", stdin='{"print": "piped"}'
    )
    assert "\nfrom a file\n" in from_file.stderr
    assert "\npiped\n" in from_stdin.stderr


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    big = tmp_path / "big.json"
    big.write_text('"' + "x" * 6_291_456 + '"')
    cases = {
        "{not json": "error: --event: '{not json' (not a file, so inline JSON) is not valid",
        str(big): f"coldprof: error: --event: {big} is over Lambda's 6,291,456-byte payload limit",
        "[" * 100_000: "is nested too deeply",
        str(tmp_path): f"--event: {tmp_path} is a folder; give a JSON file, inline JSON, or -",
    }
    for event, message in cases.items():
        result = run(SCRIPTED, "--handler", "app.handler", "--event", event)
        assert result.exit_code == 2
        assert message in result.stderr
        assert len(result.stderr.splitlines()) == 1
    missing = run(tmp_path / "nothing", "--handler", "app.handler")
    assert missing.exit_code == 2
    assert missing.stderr == f"coldprof: error: {tmp_path / 'nothing'}: no such file or folder\n"
    small = run(SCRIPTED, "--handler", "app.handler", "--memory", "64")
    assert small.exit_code == 2 and "'--memory': expected a memory size in MB" in small.stderr


def test_a_real_process_keeps_stdout_for_the_response_only():
    code = "from coldprof.cli.invoke import invoke; invoke()"
    done = subprocess.run(
        [sys.executable, "-c", code, str(SCRIPTED), "--handler", "app.handler"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["invocation"] == 1
    assert "scripted: init done" not in done.stdout
    assert "REPORT RequestId: " in done.stderr


def test_a_zip_function_with_a_zip_layer(tmp_path):
    function, layer = tmp_path / "function.zip", tmp_path / "layer.zip"
    with zipfile.ZipFile(function, "w") as zf:
        zf.writestr(
            "app.py", "import greeting\n\ndef handler(event, context):\n    return greeting.TEXT\n"
        )
    with zipfile.ZipFile(layer, "w") as zf:
        zf.writestr("python/greeting.py", "TEXT = 'hello from the layer'\n")
    result = run(function, "--handler", "app.handler", "--layer", layer)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == "hello from the layer"
