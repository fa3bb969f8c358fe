"""`coldprof check` end to end: temporary projects with a real pyproject.toml and a real package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from coldprof.cli.check import check
from coldprof.function import environment
from coldprof.render.words import word
from coldprof.results import Note
from helpers import tree_snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEMO = FIXTURES / "demo_function"
SLOW_INIT = FIXTURES / "handlers" / "sleep_init_300ms"


def make_project(folder: Path, budget: str = "", top: str = "", package: Path = DEMO) -> Path:
    """A project folder: the package copied to build/, and a pyproject.toml pointing at it."""
    shutil.copytree(package, folder / "build")
    config = folder / "pyproject.toml"
    text = f'[project]\nname = "svc"\n\n[tool.coldprof]\ntarget = "build"\n{top}\n'
    config.write_text(text + f"[tool.coldprof.budget]\n{budget}\n", encoding="utf-8")
    return config


def run_check(config: Path, *args: str) -> Result:
    return CliRunner().invoke(check, ["--config", str(config), *args])


def check_json(config: Path, *args: str, exit_code: int) -> dict:
    result = run_check(config, "--format", "json", *args)
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)


def budgets_by_name(document: dict) -> dict[str, dict]:
    """Each budget of a check document, its detail worded as the renderers word it."""
    return {b["name"]: {**b, "detail": word(Note(**b["detail"]))} for b in document["budgets"]}


def failing(document: dict) -> list[str]:
    return [b["name"] for b in document["budgets"] if not b["ok"]]


def test_within_budget_passes_every_default_budget(tmp_path):
    config = make_project(tmp_path)
    before = tree_snapshot(tmp_path / "build")
    result = run_check(config)
    assert result.exit_code == 0, result.output
    assert "within budget: 4 of 4 budgets pass" in result.stdout
    assert "no finding of severity error" in result.stdout
    assert "50.00 MiB (52.43 MB)" in result.stdout
    assert "250.00 MiB (262.14 MB)" in result.stdout
    assert "MiB = 2^20 bytes, MB = 10^6 bytes;" in result.stdout
    assert tree_snapshot(tmp_path / "build") == before


def test_zipped_budget_exceeded_alone(tmp_path):
    config = make_project(tmp_path, 'zipped = "10 KB"')
    document = check_json(config, exit_code=1)
    zipped = budgets_by_name(document)["zipped"]
    assert failing(document) == ["zipped"]
    assert zipped["limit"] == 10_000
    # a folder is held to the larger of its zips: Info-ZIP's `zip -r` adds folder entries
    assert zipped["actual"] > document["measurements"]["zipped_bytes"] > 10_000
    assert zipped["headroom"] == 10_000 - zipped["actual"]
    assert zipped["unit"] == "bytes"
    assert zipped["line"] == 8
    assert "the folder zipped with zip -r (Info-ZIP)" in zipped["detail"]
    detail = {"code": "function-zip", "values": {"exact": False, "packager": "info-zip"}}
    assert document["budgets"][0]["detail"] == detail


def test_unzipped_budget_counts_layers(tmp_path):
    layer = tmp_path / "layer" / "python"
    shutil.copytree(DEMO / "idna", layer / "idna")
    top = 'layers = ["layer"]'
    config = make_project(tmp_path, 'unzipped = "600 KiB"', top)
    document = check_json(config, exit_code=1)
    unzipped = budgets_by_name(document)["unzipped"]
    layer_bytes = sum(p.stat().st_size for p in layer.rglob("*") if p.is_file())
    function_bytes = sum(p.stat().st_size for p in (tmp_path / "build").rglob("*") if p.is_file())
    assert failing(document) == ["unzipped"]
    assert unzipped["actual"] == function_bytes + layer_bytes
    assert unzipped["limit"] == 614_400
    assert "+ 1 layer " in unzipped["detail"]


def test_forbidden_distribution_fails_naming_it(tmp_path):
    config = make_project(tmp_path, 'forbid = ["boto3", "Six"]')
    document = check_json(config, exit_code=1)
    forbid = budgets_by_name(document)["forbid"]
    assert failing(document) == ["forbid"]
    assert (forbid["actual"], forbid["limit"], forbid["unit"]) == (1, 0, "distributions")
    assert forbid["detail"].startswith("six 1.17.0 (function, ")


def test_forbid_passes_when_absent(tmp_path):
    config = make_project(tmp_path, 'forbid = ["boto3", "botocore"]')
    document = check_json(config, exit_code=0)
    assert budgets_by_name(document)["forbid"]["detail"] == "none of boto3, botocore"


def test_max_distribution_names_each_one_over(tmp_path):
    config = make_project(tmp_path, 'max_distribution = "100 KB"')
    document = check_json(config, exit_code=1)
    largest = budgets_by_name(document)["max_distribution"]
    idna_bytes = (
        sum(
            p.stat().st_size
            for folder in ("idna", "idna-3.20.dist-info")
            for p in (DEMO / folder).rglob("*")
            if p.is_file()
        )
        + (DEMO / "bin" / "idna").stat().st_size
    )
    assert failing(document) == ["max_distribution"]
    assert largest["actual"] == idna_bytes
    assert largest["detail"].startswith("over: idna ")
    assert "jmespath" not in largest["detail"]


def test_bytecode_required_fails_without_pyc_and_passes_with_it(tmp_path):
    config = make_project(tmp_path, "require_valid_bytecode = true")
    document = check_json(config, exit_code=1)
    bytecode = budgets_by_name(document)["require_valid_bytecode"]
    assert failing(document) == ["require_valid_bytecode"]
    assert bytecode["actual"] >= 1
    assert "app.py" in bytecode["detail"]
    command = [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*command, str(tmp_path / "build")], check=True)
    document = check_json(config, exit_code=0)
    assert budgets_by_name(document)["require_valid_bytecode"]["actual"] == 0


def _extension_for_another_python(build: Path) -> Path:
    """A real extension module of this Python, renamed with the tag of the next CPython."""
    source = min(Path(os.__file__).parent.joinpath("lib-dynload").glob("_bisect.cpython-*.so"))
    major, minor = sys.version_info[:2]
    name = source.name.replace(f"cpython-{major}{minor}", f"cpython-{major}{minor + 1}")
    target = build / name.replace("_bisect", "fastbisect")
    shutil.copyfile(source, target)
    return target


def test_incompatible_extension_fails_unless_allowed(tmp_path):
    config = make_project(tmp_path / "strict")
    _extension_for_another_python(tmp_path / "strict" / "build")
    document = check_json(config, exit_code=1)
    extensions = budgets_by_name(document)["allow_incompatible_extensions"]
    assert failing(document) == ["allow_incompatible_extensions"]
    assert extensions["actual"] == 1
    assert "fastbisect.cpython-" in extensions["detail"]
    allowed = make_project(tmp_path / "allowed", "allow_incompatible_extensions = true")
    _extension_for_another_python(tmp_path / "allowed" / "build")
    document = check_json(allowed, exit_code=0)
    assert "allow_incompatible_extensions" not in budgets_by_name(document)


def test_init_budget_compares_the_median_of_fresh_runs(tmp_path):
    top = 'handler = "app.handler"\nruns = 2'
    over = make_project(tmp_path / "over", 'init_ms = "100 ms"', top, SLOW_INIT)
    document = check_json(over, exit_code=1)
    init = budgets_by_name(document)["init_ms"]
    assert failing(document) == ["init_ms"]
    assert init["actual"] >= 300
    assert init["actual"] == document["measurements"]["init_ms"]["median"]
    assert document["measurements"]["init_ms"]["n"] == 2
    assert init["spread"] >= 0
    assert init["unit"] == "ms"
    within = make_project(tmp_path / "within", 'init_ms = "30 s"', top, SLOW_INIT)
    result = run_check(within, "--runs", "3")
    assert result.exit_code == 0, result.output
    assert "median of 3 fresh runs" in result.stdout


def test_an_init_past_lambdas_limit_is_run_again_and_timed_as_lambda_runs_it(tmp_path, monkeypatch):
    """Lambda stops an init at 10 s and runs it again inside the first invocation: the function
    works there, so check times that second run instead of failing the init budget."""
    monkeypatch.setattr(environment, "init_limit_s", lambda function: 0.15)  # 10 s scaled down
    top = 'handler = "app.handler"\nruns = 2'
    config = make_project(tmp_path, 'init_ms = "30 s"', top, SLOW_INIT)
    result = run_check(config)
    assert result.exit_code == 0, result.output
    assert "init passed Lambda's 10 s init limit in 2 of 2 runs" in result.stdout
    document = check_json(config, exit_code=0)
    assert document["measurements"]["init_stopped_runs"] == 2
    assert document["measurements"]["init_ms"]["min"] >= 300  # the second run, to its end


def test_handler_that_fails_to_initialise_fails_the_init_budget(tmp_path):
    top = 'handler = "app.no_such_function"\nruns = 1'
    config = make_project(tmp_path, 'init_ms = "30 s"', top, SLOW_INIT)
    document = check_json(config, exit_code=1)
    init = budgets_by_name(document)["init_ms"]
    assert init["actual"] is None
    assert init["detail"].startswith("the handler failed to initialise: ")
    assert "no_such_function" in init["detail"]


def test_baseline_growth(tmp_path):
    budget = 'baseline = "ci/baseline.json"\nmax_growth = "2%"'
    config = make_project(tmp_path, budget)
    result = run_check(config, "--update-baseline")
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "ci" / "baseline.json").read_text())
    assert saved["kind"] == "coldprof-baseline"
    assert saved["schema_version"] == 1
    assert saved["init_ms"] is None
    document = check_json(config, exit_code=0)
    growth = budgets_by_name(document)["max_growth: unzipped"]
    assert growth["actual"] == saved["unzipped_bytes"]
    assert growth["limit"] == saved["unzipped_bytes"] + round(saved["unzipped_bytes"] * 0.02)

    (tmp_path / "build" / "data.bin").write_bytes(bytes(range(256)) * 400)
    document = check_json(config, exit_code=1)
    assert failing(document) == ["max_growth: unzipped"]
    unzipped = budgets_by_name(document)["max_growth: unzipped"]
    assert unzipped["actual"] == saved["unzipped_bytes"] + 102_400
    assert "baseline " in unzipped["detail"]
    assert budgets_by_name(document)["max_growth: zipped"]["ok"] is True


def test_growth_as_a_size(tmp_path):
    config = make_project(tmp_path, 'baseline = "base.json"\nmax_growth = "200 KB"')
    assert run_check(config, "--update-baseline").exit_code == 0
    (tmp_path / "build" / "data.bin").write_bytes(bytes(range(256)) * 400)
    assert check_json(config, exit_code=0)["ok"] is True


def test_zip_target_with_init_and_init_growth(tmp_path):
    archive = tmp_path / "function.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.write(SLOW_INIT / "app.py", "app.py")
    config = tmp_path / "pyproject.toml"
    config.write_text(
        '[tool.coldprof]\ntarget = "function.zip"\nhandler = "app.handler"\nruns = 1\n'
        '[tool.coldprof.budget]\ninit_ms = "30 s"\nbaseline = "base.json"\n'
        'max_growth = "900%"\n',
        encoding="utf-8",
    )
    assert run_check(config, "--update-baseline").exit_code == 0
    saved = json.loads((tmp_path / "base.json").read_text())
    assert saved["zipped_bytes"] == archive.stat().st_size
    assert saved["init_ms"] >= 300
    document = check_json(config, exit_code=0)
    budgets = budgets_by_name(document)
    assert budgets["zipped"]["detail"] == "function package (exact, from the zip)"
    assert budgets["max_growth: zipped"]["actual"] == archive.stat().st_size
    init_growth = budgets["max_growth: init_ms"]
    assert init_growth["limit"] == pytest.approx(saved["init_ms"] * 10)
    assert init_growth["actual"] == budgets["init_ms"]["actual"] >= 300


def test_missing_baseline_is_a_usage_error(tmp_path):
    config = make_project(tmp_path, 'baseline = "ci/none.json"\nmax_growth = "5%"')
    result = run_check(config)
    assert result.exit_code == 2
    assert result.stderr == (
        f"coldprof: error: baseline file {tmp_path / 'ci' / 'none.json'} not found; "
        "write it with `coldprof check --update-baseline`\n"
    )


GOOD_BASELINE = {"kind": "coldprof-baseline", "schema_version": 1, "zipped_bytes": 1}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"not json", "is not JSON"),
        (b"[" * 60_000, "is not JSON"),
        (b"\xff\xfe", "is not JSON"),
        (b" " * 70_000, "is larger than 65,536 B"),
        (json.dumps({"kind": "analyze"}).encode(), "is not a coldprof baseline"),
        (
            json.dumps({**GOOD_BASELINE, "schema_version": 2}).encode(),
            "has schema version 2, not 1",
        ),
        (
            json.dumps({**GOOD_BASELINE, "unzipped_bytes": -5}).encode(),
            "unzipped_bytes: must be a whole number of bytes",
        ),
        (
            json.dumps({**GOOD_BASELINE, "unzipped_bytes": 1, "init_ms": "fast"}).encode(),
            "init_ms: expected a number, not a string",
        ),
        (
            json.dumps({**GOOD_BASELINE, "init_ms": 1}).encode(),
            "unzipped_bytes: missing",
        ),
        (
            b'{"kind": "coldprof-baseline", "schema_version": 1, "zipped_bytes": 1'
            + b"0" * 400
            + b', "unzipped_bytes": 1}',
            "zipped_bytes: number out of range (401 digits)",
        ),
        (
            b'{"kind": "coldprof-baseline", "schema_version": 1, "zipped_bytes": 1, '
            b'"unzipped_bytes": 1, "init_ms": 1' + b"0" * 400 + b".5}",
            "init_ms: number out of range (not finite)",
        ),
        (
            b'{"kind": "coldprof-baseline", "schema_version": 1, "zipped_bytes": 1'
            + b"0" * 5000
            + b', "unzipped_bytes": 1}',
            "is not JSON",
        ),
    ],
)
def test_bad_baseline_files_are_one_line_errors(tmp_path, content, expected):
    config = make_project(tmp_path, 'baseline = "base.json"\nmax_growth = "5%"')
    (tmp_path / "base.json").write_bytes(content)
    result = run_check(config)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"coldprof: error: baseline file {tmp_path / 'base.json'}")
    assert expected in result.stderr
    assert result.stderr.count("\n") == 1


def test_baseline_that_is_a_fifo_is_never_opened(tmp_path):
    config = make_project(tmp_path, 'baseline = "base.json"\nmax_growth = "5%"')
    os.mkfifo(tmp_path / "base.json")
    result = run_check(config)
    assert result.exit_code == 2
    assert "base.json is not a file" in result.stderr


def test_baseline_never_written_inside_the_package(tmp_path):
    config = make_project(tmp_path, 'baseline = "build/baseline.json"')
    before = tree_snapshot(tmp_path / "build")
    result = run_check(config, "--update-baseline")
    assert result.exit_code == 2
    assert "is inside" in result.stderr
    assert tree_snapshot(tmp_path / "build") == before


def test_update_baseline_needs_a_baseline_path(tmp_path):
    result = run_check(make_project(tmp_path), "--update-baseline")
    assert result.exit_code == 2
    assert "set baseline in [tool.coldprof.budget]" in result.stderr


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        ('zipd = "50 MiB"', "[tool.coldprof.budget] zipd: unknown key; did you mean 'zipped'?"),
        (
            'zipped = "50 MBs"',
            "[tool.coldprof.budget] zipped: expected a size: whole bytes (52428800) or a string",
        ),
    ],
)
def test_malformed_configuration_exits_2_with_one_line(tmp_path, budget, expected):
    result = run_check(make_project(tmp_path, budget))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"pyproject.toml:8: {expected}" in result.stderr


def test_missing_target_exits_2(tmp_path):
    config = make_project(tmp_path)
    shutil.rmtree(tmp_path / "build")
    result = run_check(config)
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_junit_counts_and_failures(tmp_path):
    import xml.etree.ElementTree as ET

    config = make_project(tmp_path, 'zipped = "10 KB"\nforbid = ["six"]\nmax_distribution = "1 GB"')
    report = tmp_path / "reports" / "check.xml"
    result = run_check(config, "--output", str(report))
    assert result.exit_code == 1
    suite = ET.parse(report).getroot().find("testsuite")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert suite.get("tests") == "6"
    assert suite.get("failures") == "2"
    assert set(cases) == {
        "zipped",
        "unzipped",
        "forbid",
        "max_distribution",
        "allow_incompatible_extensions",
        "allow_errors",
    }
    failures = {name for name, case in cases.items() if case.find("failure") is not None}
    assert failures == {"zipped", "forbid"}
    assert cases["zipped"].get("line") == "8"
    assert cases["zipped"].find("failure").get("message").startswith("zipped is ")


def test_github_annotations_point_at_the_budget_line(tmp_path):
    config = make_project(tmp_path, 'zipped = "10 KB"\nforbid = ["six"]')
    result = run_check(config, "--format", "github")
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 2
    path = str(config).replace(":", "%3A").replace(",", "%2C")
    assert errors[0].startswith(
        f"::error file={path},line=8,title=coldprof check%3A zipped over budget::zipped is "
    )
    assert "over the limit of 9.8 KiB (10.0 kB) by" in errors[0]
    assert errors[1].startswith(f"::error file={path},line=9,title=coldprof check%3A forbid ")
    assert result.stdout.splitlines()[-1] == (
        "::notice title=coldprof check::OVER BUDGET: 2 of 5 budgets fail (zipped, forbid)"
    )
    assert "pass unzipped: " in result.stdout


def test_markdown_for_a_job_summary(tmp_path):
    config = make_project(tmp_path, 'zipped = "10 KB"')
    result = run_check(config, "--format", "markdown")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("## coldprof check: ")
    assert lines[0].endswith(": over budget")
    assert any(line.startswith("| zipped ") and "| FAIL " in line for line in lines)
    assert "- OVER BUDGET: 1 of 4 budgets fail (zipped)" in lines


def test_help_shows_examples_and_exit_codes():
    result = CliRunner().invoke(check, ["--help"])
    assert result.exit_code == 0
    assert "coldprof check --format junit --output reports/check.xml" in result.output
    assert "Exit status: 0 within budget, 1 over budget, 2 configuration or usage error." in (
        result.output
    )


def test_bundled_sdk_is_forbidden_and_botocore_over_the_distribution_budget(tmp_path, sdk_target):
    config = tmp_path / "pyproject.toml"
    config.write_text(
        f'[tool.coldprof]\ntarget = "{sdk_target}"\n[tool.coldprof.budget]\n'
        'forbid = ["boto3", "botocore"]\nmax_distribution = "10 MiB"\n',
        encoding="utf-8",
    )
    document = check_json(config, exit_code=1)
    budgets = budgets_by_name(document)
    assert failing(document) == ["forbid", "max_distribution"]
    assert budgets["forbid"]["actual"] == 2
    assert budgets["forbid"]["detail"].startswith("boto")
    assert budgets["max_distribution"]["detail"].startswith("over: botocore ")
    assert budgets["max_distribution"]["actual"] > 10 * 1024 * 1024


HUGE = "9" * 400  # TOML takes integers of any length; Python's float does not


@pytest.mark.parametrize(
    ("table", "key", "expected"),
    [
        ("top", "memory", "expected a memory size in MB, a whole number from 128 to 10240"),
        ("top", "timeout", "expected a timeout in seconds, above 0 and at most 900"),
        ("top", "ephemeral_storage", "a whole number from 512 to 10240"),
        ("budget", "zipped", "from 0 to 1,099,511,627,776 B (1,024 GiB)"),
        ("budget", "unzipped", "from 0 to 1,099,511,627,776 B (1,024 GiB)"),
        ("budget", "max_distribution", "from 0 to 1,099,511,627,776 B (1,024 GiB)"),
        ("budget", "init_ms", "above zero and below 1,000,000,000.0 ms"),
    ],
)
def test_a_400_digit_integer_is_a_one_line_usage_error(tmp_path, table, key, expected):
    setting = f"{key} = {HUGE}\n"
    config = make_project(tmp_path, **{table: setting})
    result = run_check(config)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("coldprof: error: ") and result.output.count("\n") == 1
    assert f"] {key}: expected " in result.output and expected in result.output
