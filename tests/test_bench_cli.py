"""`coldprof bench` on the command line: formats, output files, exit statuses, help."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from click.testing import CliRunner

from coldprof.cli.bench import bench_command

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HANDLERS = FIXTURES / "handlers"
SCRIPTED = FIXTURES / "bench" / "scripted"
SMALL = ("--cold", "2", "--warm", "2", "--warmup", "0")


def run(*args: object):
    return CliRunner().invoke(bench_command, [str(a) for a in args])


def test_json_on_stdout_holds_the_documented_fields():
    result = run(
        SCRIPTED, "--handler", "app.handler", *SMALL, "--format", "json", "--arch", "arm64"
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["kind"], document["schema_version"]) == ("bench", 2)
    for phase in ("init_ms", "first_invoke_ms", "total_ms"):
        assert document["cold"][phase]["n"] == 2
    assert document["warm"]["invoke_ms"]["n"] == 4
    assert document["cost"]["arch"] == "arm64"
    assert document["max_memory_used_mb"] > 0
    assert len(document["samples"]) == 2 and document["errors"] == []
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_output_file_gets_its_format_while_the_table_goes_to_the_screen(tmp_path):
    out = tmp_path / "reports" / "samples.csv"
    result = run(SCRIPTED, "--handler", "app.handler", *SMALL, "--output", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"== coldprof bench: {SCRIPTED} (app.handler), Python 3.")
    assert f"wrote {out}" in result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["sample"], r["invocation"], r["phase"]) for r in rows[:3]] == [
        ("0", "0", "first_invoke"),
        ("0", "1", "warm_invoke"),
        ("0", "2", "warm_invoke"),
    ]
    assert len(rows) == 6


def test_failures_still_print_the_document_and_exit_1():
    result = run(
        HANDLERS / "raises_in_handler", "--handler", "app.handler", *SMALL, "--format", "json"
    )
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert len(document["errors"]) == 6
    assert document["errors"][0]["type"] == "KeyError"
    assert result.stderr == "coldprof: 6 failed phase(s) recorded; see the errors\n"


def test_compare_prints_a_comparison_in_markdown(tmp_path):
    """The Markdown says what was measured: 300 ms more init is told apart with 3 samples a side
    on a quiet machine, while on a busy one the samples may spread wider than 300 ms, and then
    "less than the noise" is the honest answer (the wordings: test_bench_compare.py)."""
    saved = tmp_path / "bench.json"
    result = run(
        HANDLERS / "sleep_init_300ms",
        "--handler",
        "app.handler",
        *("--cold", "3", "--warm", "2", "--warmup", "0"),
        "--compare",
        HANDLERS / "trivial",
        *("--format", "markdown", "--output", saved),
    )
    assert result.exit_code == 0, result.stderr
    comparison = result.stdout.split("## Comparison\n\n")[1]
    compared = json.loads(saved.read_text())["comparisons"]
    cold = next(c for c in compared if c["phase"] == "cold start")
    said = {
        "faster": f"- {HANDLERS / 'trivial'}'s cold start is ",  # never the 300 ms slower one
        "within-noise": f"- {cold['faster']}'s and {cold['slower']}'s cold start differ by less "
        "than the noise",
    }
    assert comparison.startswith(said[cold["verdict"]]), comparison


def test_bad_options_are_usage_errors():
    zero = run(SCRIPTED, "--handler", "app.handler", "--cold", "0")
    assert zero.exit_code == 2 and "0 is not in the range 1<=x<=10000" in zero.stderr
    share = run(SCRIPTED, "--handler", "app.handler", "--cold-share", "2")
    assert share.exit_code == 2
    suffix = run(SCRIPTED, "--handler", "app.handler", "--output", "result.weird")
    assert suffix.exit_code == 2 and "cannot tell the format of 'result.weird'" in suffix.stderr
    env = run(SCRIPTED, "--handler", "app.handler", "--env", "AWS_REGION=x")
    assert env.exit_code == 2 and "AWS_REGION is reserved" in env.stderr
    no_handler = run(SCRIPTED)
    assert no_handler.exit_code == 2 and "Missing option '--handler'" in no_handler.stderr


def test_a_missing_compare_target_fails_before_anything_is_measured(tmp_path):
    function = tmp_path / "function"
    function.mkdir()
    (function / "app.py").write_text(
        "import os\nopen(os.environ['MARK'], 'a').write('x')\n"
        "def handler(event, context):\n    return 1\n"
    )
    mark = tmp_path / "inits"
    args = [function, "--handler", "app.handler", "--cold", "1", "--warm", "0", "--warmup", "0"]
    missing = tmp_path / "missing.zip"
    result = run(*args, "--env", f"MARK={mark}", "--compare", missing)
    assert result.exit_code == 2
    assert result.stderr == f"coldprof: error: {missing}: no such file or folder\n"
    assert not mark.exists()


def test_help_explains_the_design_and_gives_examples():
    result = run("--help")
    assert result.exit_code == 0
    assert "sample is a new execution environment" in " ".join(result.stdout.split())
    assert "coldprof bench old/ --handler app.handler --compare new/" in result.stdout
    for option in ("--cold", "--warm", "--warmup", "--memory", "--timeout", "--event", "--arch"):
        assert option in result.stdout


def test_a_cancelled_run_still_writes_what_it_measured(tmp_path):
    out = tmp_path / "bench.json"
    code = "from coldprof.cli.bench import bench_command; bench_command()"
    target = HANDLERS / "sleep_init_300ms"
    command = [sys.executable, "-c", code, target, "--handler", "app.handler", "--cold", "50"]
    process = subprocess.Popen(
        [str(part) for part in [*command, "--output", out]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30  # until its first environment runs (a busy machine is slow)
    while not psutil.Process(process.pid).children() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)  # what a cancelled CI job receives
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr.endswith("coldprof: interrupted; the result covers the samples measured\n")
    document = json.loads(out.read_text())
    assert document["interrupted"] is True
    assert len(document["samples"]) < 50
    assert f"stopped after {len(document['samples'])} of 50 cold samples" in stdout
