"""How the package was kept read-only is said by every command that runs the handler, as the
environment itself reported it (InitResult), never as predicted: invoke's log, bench's lifecycle
table and JSON, check's verdict, imports' result (and its emulation), serve's log (in
test_serve_cli.py)."""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from pathlib import Path

from click.testing import CliRunner
from test_check import make_project, run_check

from coldprof.bench import BenchOptions, bench
from coldprof.cli.invoke import invoke
from coldprof.function import FunctionConfig
from coldprof.imports.profile import profile_imports
from coldprof.imports.result import ImportsResult
from coldprof.render import render
from coldprof.results import loads, to_json
from coldprof.sandbox import readonly

HANDLERS = Path(__file__).resolve().parent.parent / "fixtures" / "handlers"
TRIVIAL = HANDLERS / "trivial"
WAYS = {
    "mount-namespace": "by a read-only mount namespace (every write fails, as on Lambda)",
    "audit-hook": "by an audit hook only (no mount namespace here)",
}


def here() -> str:
    """The way this machine allows (root: a mount namespace)."""
    return readonly.read_only_mode("auto", sys.executable)


def test_invoke_says_how_the_package_was_kept_read_only():
    result = CliRunner().invoke(invoke, [str(TRIVIAL), "--handler", "app.handler"])
    assert result.exit_code == 0, result.stderr
    assert f"coldprof: package read-only {WAYS[here()]}" in result.stderr


def test_bench_takes_the_way_from_the_environments_not_from_a_guess(monkeypatch):
    """Forced to the audit hook where a namespace could be made: a guess would say
    mount-namespace; the environments say audit-hook."""
    running = importlib.import_module("coldprof.bench.run")
    built = running.environment_spec
    monkeypatch.setattr(
        running,
        "environment_spec",
        lambda function: dataclasses.replace(built(function), read_only="audit-hook"),
    )
    function = FunctionConfig(target=TRIVIAL, handler="app.handler")
    result = bench(function, BenchOptions(cold=1, warm=1, warmup=0)).runs[0]
    assert result.read_only == "audit-hook" and result.emulation.read_only == "audit-hook"
    assert WAYS["audit-hook"] in render(result, "table")


def test_check_says_how_the_package_was_kept_while_init_was_timed(tmp_path):
    top = 'handler = "app.handler"\nruns = 1'
    config = make_project(tmp_path, 'init_ms = "30 s"', top, TRIVIAL)
    result = run_check(config)
    assert result.exit_code == 0, result.output
    assert f"init timed with the package read-only {WAYS[here()]}" in result.stdout
    document = json.loads(run_check(config, "--format", "json").stdout)
    assert document["measurements"]["read_only"] == here()


def test_imports_keeps_the_emulation_and_an_older_document_still_loads():
    result = profile_imports(FunctionConfig(target=TRIVIAL, handler="app.handler"), repeat=1)
    assert result.read_only == here() and result.emulation.read_only == here()
    assert loads(to_json(result), "imports") == result
    older = json.loads(to_json(result))
    del older["emulation"]
    assert loads(json.dumps(older), "imports").emulation is None
    assert isinstance(loads(json.dumps(older), "imports"), ImportsResult)
