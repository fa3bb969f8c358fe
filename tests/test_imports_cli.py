"""`coldprof imports` on the command line: formats, flame graphs, exit codes, untouched input."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from coldprof.cli.imports import imports
from helpers import tree_snapshot

ROOT = Path(__file__).resolve().parent.parent
KNOWN_TREE = ROOT / "fixtures" / "imports" / "known_tree"
HANDLERS = ROOT / "fixtures" / "handlers"
STATS_FIELDS = {"n", "mean", "stdev", "median", "p90", "p95", "p99", "min", "max"}


def run(*args: str):
    return CliRunner().invoke(imports, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def known_json(tmp_path_factory):
    """One CLI run of the known tree: JSON on stdout, a speedscope file, collapsed stacks."""
    folder = tmp_path_factory.mktemp("out")
    before = tree_snapshot(KNOWN_TREE)
    args = [str(KNOWN_TREE), "--handler", "app.handler", "--repeat", "2", "--format", "json"]
    first = run(*args, "--flamegraph", str(folder / "init.json"), "--output", str(folder / "r.md"))
    second = run(*args, "--flamegraph", str(folder / "init.folded"))
    return {
        "result": first,
        "document": json.loads(first.stdout),
        "speedscope": json.loads((folder / "init.json").read_text()),
        "collapsed": (folder / "init.folded").read_text(),
        "markdown": (folder / "r.md").read_text(),
        "exit_codes": (first.exit_code, second.exit_code),
        "before": before,
        "after": tree_snapshot(KNOWN_TREE),
    }


def test_json_document_follows_the_schema(known_json):
    document = known_json["document"]
    assert known_json["exit_codes"] == (0, 0)
    assert (document["kind"], document["schema_version"], document["error"]) == ("imports", 2, None)
    for field in ("runtime_init_ms", "init_ms", "import_ms", "bare_start_ms", "warm_init_ms"):
        assert set(document[field]) >= STATS_FIELDS, field
        assert document[field]["n"] == 2
    assert document["max_rss_mb"] > 0
    for row in document["distributions"]:
        assert {"name", "category", "self_ms", "share", "unzipped_bytes", "zipped_bytes"} <= set(
            row
        )
    names = [(m["depth"], m["name"], m["distribution"], m["category"]) for m in document["modules"]]
    assert names == [
        (0, "app", "(function code)", "function code"),
        (1, "settings", "(function code)", "function code"),
        (1, "slow_a", "slow-a", "dependency"),
        (2, "slow_b", "slow-b", "dependency"),
    ]
    assert all(
        {"self_ms", "cumulative_ms", "bytecode_saving_ms"} <= set(m) for m in document["modules"]
    )


def test_the_package_is_untouched(known_json):
    assert known_json["after"] == known_json["before"]
    assert not list(KNOWN_TREE.rglob("__pycache__"))


def test_collapsed_stacks_weigh_self_microseconds(known_json):
    lines = dict(line.rsplit(" ", 1) for line in known_json["collapsed"].splitlines())
    assert set(lines) == {"app", "app;settings", "app;slow_a", "app;slow_a;slow_b"}
    assert int(lines["app;slow_a;slow_b"]) >= 20_000
    assert int(lines["app;slow_a"]) >= 50_000


def test_speedscope_file_is_a_sampled_profile_in_microseconds(known_json):
    document = known_json["speedscope"]
    assert document["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    frames = [frame["name"] for frame in document["shared"]["frames"]]
    assert frames == ["app", "settings", "slow_a", "slow_b"]
    (profile,) = document["profiles"]
    assert (profile["type"], profile["unit"], profile["startValue"]) == (
        "sampled",
        "microseconds",
        0,
    )
    stacks = [[frames[i] for i in sample] for sample in profile["samples"]]
    assert ["app", "slow_a", "slow_b"] in stacks
    assert len(profile["weights"]) == len(profile["samples"])
    assert profile["endValue"] == sum(profile["weights"])


def test_markdown_output_file(known_json):
    text = known_json["markdown"]
    assert text.startswith("## coldprof imports")
    assert "| slow-a " in text
    assert "· · slow_b" in text
    assert "wrote " in known_json["result"].stderr


def test_small_distributions_are_sized_in_bytes_not_zero_mib(known_json):
    slow_a = next(d for d in known_json["document"]["distributions"] if d["name"] == "slow-a")
    assert 0 < slow_a["unzipped_bytes"] < 1024
    assert f"| {slow_a['unzipped_bytes']:,} B " in known_json["markdown"]
    assert "0.00 MiB" not in known_json["markdown"]
    assert re.search(
        r"peak memory after init \(resident; Lambda's MB are MiB\) *\| *[\d.,]+ MB",
        known_json["markdown"],
    )


def test_table_shows_summary_rollup_and_indented_tree():
    result = run(str(KNOWN_TREE), "--handler", "app.handler", "--repeat", "1", "--top", "3")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "runtime start (coldprof; spawn to runtime ready)" in text
    assert "function init (runtime ready to handler ready)" in text
    assert "valid .pyc files for this runtime would save" in text
    assert "slow-a" in text and "dependency" in text
    assert "· slow_a" in text and "· · slow_b" in text
    assert "3 of 4 modules shown" in text  # settings: --top 3 keeps the 3 largest


def test_min_ms_hides_small_modules():
    result = run(str(KNOWN_TREE), "--handler", "app.handler", "--repeat", "1", "--min-ms", "15")
    assert "· settings" not in result.stdout
    assert "· · slow_b" in result.stdout


def test_a_failing_handler_exits_1_with_the_json_document_printed():
    result = run(
        str(HANDLERS / "raises_at_import"),
        "--handler",
        "app.handler",
        "--repeat",
        "1",
        "--format",
        "json",
    )
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["error"]["type"] == "ValueError"
    assert document["error"]["message"] == "missing setting TABLE_NAME"
    assert document["init_ms"] is None
    assert "coldprof: ValueError: missing setting TABLE_NAME" in result.stderr


def test_markdown_of_a_failed_init_shows_the_error_and_the_users_traceback():
    args = [str(HANDLERS / "raises_at_import"), "--handler", "app.handler", "--repeat", "1"]
    result = run(*args, "--format", "markdown")
    assert result.exit_code == 1
    assert "### Error\n\n- ValueError: missing setting TABLE_NAME\n" in result.stdout
    assert "helper.py" in result.stdout.split("```")[1]


def test_a_crash_is_named_by_its_signal_in_the_table():
    result = run(str(HANDLERS / "segfault"), "--handler", "app.handler", "--repeat", "1")
    assert result.exit_code == 1
    assert "== Error\n\n  Runtime.ExitError: " in result.stdout
    assert "Runtime exited with error: signal: segmentation fault" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "NOEQUALS"], "'--env': expected NAME=VALUE, not 'NOEQUALS'"),
        (["--env", "1BAD=x"], "expected NAME=VALUE with a valid variable name, not '1BAD'"),
        (["--env", "AWS_REGION=eu-west-1"], "AWS_REGION is reserved"),
        (["--repeat", "0"], "--repeat"),
        (["--python", sys.executable, "--runtime", "python3.9"], "does not match"),
        (["--python", "/nonexistent/python3"], "no such interpreter"),
        (["--runtime", "python9"], "expected one of Lambda's Python runtimes: python3.9,"),
        (["--memory", "64"], "expected a memory size in MB, a whole number from 128 to 10240"),
        (["--timeout", "901"], "expected a timeout in seconds, above 0 and at most 900"),
        (["--runtime-sdk", "/nonexistent/sdk"], "--runtime-sdk /nonexistent/sdk: not a folder"),
    ],
)
def test_usage_errors_exit_2(args, message):
    result = run(str(KNOWN_TREE), "--handler", "app.handler", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_missing_target_or_handler_option_exits_2(tmp_path):
    assert run(str(tmp_path / "missing"), "--handler", "app.handler").exit_code == 2
    assert run(str(KNOWN_TREE)).exit_code == 2


def test_env_values_reach_the_handler(tmp_path):
    (tmp_path / "app.py").write_text(
        "import os\n\nif os.environ['STAGE'] != 'prod=1':\n"
        "    raise ValueError(os.environ['STAGE'])\n\n\ndef handler(event, context):\n    pass\n"
    )
    result = run(
        str(tmp_path), "--handler", "app.handler", "--repeat", "1", "--env", "STAGE=prod=1"
    )
    assert result.exit_code == 0, result.output


def test_an_unwritable_flamegraph_is_one_line_after_the_result(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    target = blocker / "init.json"
    result = run(
        str(HANDLERS / "trivial"),
        "--handler",
        "app.handler",
        "--repeat",
        "1",
        "--flamegraph",
        str(target),
    )
    assert result.exit_code == 2
    assert "Import tree" in result.stdout
    assert result.stderr.startswith(f"coldprof: error: --flamegraph {target}: cannot write: ")
    assert len(result.stderr.splitlines()) == 1


def test_help_shows_examples():
    result = run("--help")
    assert result.exit_code == 0
    assert "coldprof imports build/ --handler app.handler" in result.stdout
    assert "--flamegraph FILE" in result.stdout
