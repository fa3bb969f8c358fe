"""`coldprof analyze` end to end: real packages, real zips, numbers a user reads."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from coldprof.analyze import analyze
from coldprof.cli import main
from helpers import tree_snapshot, zip_folder

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo_function"
LIMIT_ZIPPED = 52_428_800
LIMIT_UNZIPPED = 262_144_000


def analyze_json(*args: str) -> dict:
    result = CliRunner().invoke(
        main, ["analyze", *args, "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def rows_by_name(document: dict) -> dict[str, dict]:
    return {row["name"]: row for row in document["distributions"]}


def test_demo_distributions_own_every_file_once():
    document = analyze_json(str(DEMO))
    rows = rows_by_name(document)
    assert set(rows) == {"idna", "jmespath", "six", "(function code)"}
    assert rows["(function code)"]["files"] == 1
    assert rows["(function code)"]["unzipped_bytes"] == (DEMO / "app.py").stat().st_size
    assert sum(r["files"] for r in rows.values()) == document["totals"]["files"]
    assert sum(r["unzipped_bytes"] for r in rows.values()) == document["totals"]["unzipped_bytes"]
    assert rows["jmespath"]["runtime_provided"] is True
    assert rows["six"]["runtime_provided"] is True
    assert rows["idna"]["runtime_provided"] is False
    assert rows["jmespath"]["version"] == "1.1.0"


def test_console_scripts_pip_put_in_bin_belong_to_their_distribution():
    result = analyze(DEMO)
    rows = {r.name: r for r in result.distributions}
    jp = (DEMO / "bin" / "jp.py").stat().st_size
    record = (DEMO / "jmespath-1.1.0.dist-info" / "RECORD").read_text()
    assert "../../bin/jp.py" in record
    owned = rows["jmespath"].unzipped_bytes
    package_files = sum(p.stat().st_size for p in (DEMO / "jmespath").rglob("*") if p.is_file())
    dist_info = sum(
        p.stat().st_size for p in (DEMO / "jmespath-1.1.0.dist-info").rglob("*") if p.is_file()
    )
    assert owned == package_files + dist_info + jp


def test_limits_carry_exact_bytes_and_headroom():
    document = analyze_json(str(DEMO))
    limits = {limit["name"]: limit for limit in document["limits"]}
    zipped = limits["zipped (direct upload)"]
    assert zipped["limit_bytes"] == LIMIT_ZIPPED
    estimates = {e["packager"]: e["bytes"] for e in document["totals"]["zipped_estimates"]}
    assert estimates["python-zipfile"] == document["totals"]["zipped_bytes"]
    assert zipped["actual_bytes"] == max(estimates.values()) == estimates["info-zip"]
    assert zipped["headroom_bytes"] == LIMIT_ZIPPED - zipped["actual_bytes"]
    unzipped = limits["unzipped (function + layers)"]
    assert unzipped["limit_bytes"] == LIMIT_UNZIPPED
    assert unzipped["ok"] is True


def test_removal_frees_only_dependencies_nothing_else_needs(sdk_target):
    rows = rows_by_name(analyze_json(str(sdk_target)))
    size = {name: row["unzipped_bytes"] for name, row in rows.items()}
    assert "urllib3" in rows["requests"]["requires"]
    assert set(rows["urllib3"]["required_by"]) >= {"requests", "botocore"}
    boto3_frees = ["boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six"]
    assert rows["boto3"]["removal_saves_bytes"] == sum(size[name] for name in boto3_frees)
    requests_frees = ["requests", "charset-normalizer", "idna", "certifi"]
    assert rows["requests"]["removal_saves_bytes"] == sum(size[name] for name in requests_frees)
    # urllib3 stays: botocore still needs it
    assert rows["requests"]["removal_saves_bytes"] < rows["requests"]["unzipped_bytes"] + sum(
        size[name] for name in ["charset-normalizer", "idna", "certifi", "urllib3"]
    )


def test_zip_and_folder_give_the_same_owners(sdk_target, tmp_path):
    archive = zip_folder(sdk_target, tmp_path / "function.zip")
    folder_rows = rows_by_name(analyze_json(str(sdk_target)))
    zip_document = analyze_json(str(archive))
    zip_rows = rows_by_name(zip_document)
    assert {n: r["unzipped_bytes"] for n, r in folder_rows.items()} == {
        n: r["unzipped_bytes"] for n, r in zip_rows.items()
    }
    assert zip_document["totals"]["zipped_exact"] is True
    assert zip_document["totals"]["zipped_bytes"] == archive.stat().st_size


def test_layers_count_against_the_unzipped_limit(tmp_path, pip_target):
    layer_source = pip_target("six")
    layer = zip_folder(layer_source, tmp_path / "layer.zip", prefix="python/")
    document = analyze_json(str(DEMO), "--layer", str(layer))
    layer_bytes = sum(i.file_size for i in zipfile.ZipFile(layer).infolist())
    assert document["totals"]["layers_unzipped_bytes"] == layer_bytes
    limits = {limit["name"]: limit for limit in document["limits"]}
    expected = document["totals"]["unzipped_bytes"] + layer_bytes
    assert limits["unzipped (function + layers)"]["actual_bytes"] == expected
    layer_rows = [r for r in document["distributions"] if r["package"] == "layer 1"]
    assert [r["name"] for r in layer_rows if r["version"]] == ["six"]


def test_runtime_sdk_finding_names_the_bytes_it_saves():
    document = analyze_json(str(DEMO))
    rows = rows_by_name(document)
    sdk = {f["distribution"]: f for f in document["findings"] if f["rule"] == "runtime-sdk"}
    assert set(sdk) == {"jmespath", "six"}
    assert sdk["six"]["bytes"] == rows["six"]["unzipped_bytes"]
    assert sdk["six"]["severity"] != "error"
    assert sdk["six"]["code"] == "unneeded" and sdk["six"]["values"]["name"] == "six"
    assert "message" not in sdk["six"] and "advice" not in sdk["six"]  # no sentences stored


def test_analyze_never_writes_into_the_target(sdk_target, tmp_path):
    archive = zip_folder(sdk_target, tmp_path / "function.zip")
    before, archive_before = tree_snapshot(sdk_target), archive.read_bytes()
    analyze_json(str(sdk_target))
    analyze_json(str(archive))
    assert tree_snapshot(sdk_target) == before
    assert archive.read_bytes() == archive_before


def test_output_file_gets_json_while_the_screen_gets_the_table(tmp_path):
    out = tmp_path / "reports" / "demo.json"
    result = CliRunner().invoke(main, ["analyze", str(DEMO), "--output", str(out)])
    assert result.exit_code == 0
    assert "== Lambda limits" in result.output
    assert "MiB" in result.output and "MB)" in result.output
    document = json.loads(out.read_text())
    assert document["kind"] == "analyze"
    assert document["schema_version"] == 3


def test_markdown_has_tables():
    result = CliRunner().invoke(main, ["analyze", str(DEMO), "--format", "markdown"])
    assert "## Distributions" in result.output
    assert "| distribution" in result.output
    assert "|---" in result.output.replace(":", "").replace(" ", "") or "|--" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runtime", "python2.7"], "expected one of Lambda's Python runtimes"),
        (["--arch", "sparc"], "Invalid value for '--arch'"),
        (["--top", "0"], "Invalid value"),
        (["--output", "x.unknown"], "cannot tell the format"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, message, tmp_path):
    result = CliRunner().invoke(main, ["analyze", str(DEMO), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_top_limits_largest_lists():
    document = analyze_json(str(DEMO), "--top", "3")
    assert len(document["largest_files"]) == 3
    sizes = [row["unzipped_bytes"] for row in document["largest_files"]]
    assert sizes == sorted(sizes, reverse=True)
    assert document["largest_folders"][0]["unzipped_bytes"] >= sizes[0]


def test_report_option_writes_a_markdown_report_beside_the_table(tmp_path):
    report = tmp_path / "demo.md"
    result = CliRunner().invoke(main, ["analyze", str(DEMO), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "== Lambda limits" in result.output
    text = report.read_text()
    assert "jmespath" in text and "|" in text


def test_report_option_with_an_unknown_extension_fails_before_any_work(tmp_path):
    result = CliRunner().invoke(main, ["analyze", str(DEMO), "--report", str(tmp_path / "x.txt")])
    assert result.exit_code == 2
    assert "name it .html or .md" in result.output


def test_table_says_how_many_distributions_it_leaves_out(tmp_path):
    for number in range(30):
        name = f"pkg{number:02}"
        info = tmp_path / f"{name}-1.0.dist-info"
        info.mkdir()
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("x = 1\n" * (number + 1))
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "RECORD").write_text(f"{name}/__init__.py,,\n{info.name}/METADATA,,\n")
    table = CliRunner().invoke(main, ["analyze", str(tmp_path)], catch_exceptions=False).output
    assert "== Distributions (25 largest of 30; all in --format json)" in table
    section = table.split("== Distributions")[1].split("== Largest folders")[0]
    assert "pkg29" in section and "pkg04" not in section
    assert len(analyze_json(str(tmp_path))["distributions"]) == 30


def test_distribution_in_function_and_layer_is_sized_per_copy(tmp_path, pip_target):
    layer = zip_folder(pip_target("six"), tmp_path / "layer.zip", prefix="python/")
    document = analyze_json(str(DEMO), "--layer", str(layer))
    six = {r["package"]: r for r in document["distributions"] if r["name"] == "six"}
    layer_bytes = sum(i.file_size for i in zipfile.ZipFile(layer).infolist())
    function_six = analyze_json(str(DEMO))["distributions"]
    alone = next(r for r in function_six if r["name"] == "six")
    assert six["layer 1"]["unzipped_bytes"] == layer_bytes
    assert six["function"]["unzipped_bytes"] == alone["unzipped_bytes"]
    assert six["function"]["files"] == alone["files"]
    both = alone["unzipped_bytes"] + layer_bytes
    assert six["function"]["removal_saves_bytes"] == six["layer 1"]["removal_saves_bytes"] == both


def test_default_runtime_lambda_does_not_offer_asks_for_runtime(monkeypatch):
    import sys
    from types import SimpleNamespace

    from coldprof.analyze.runtime import local_runtime
    from coldprof.errors import UsageError

    monkeypatch.setattr(sys, "version_info", SimpleNamespace(major=3, minor=99))
    with pytest.raises(UsageError, match=r"this Python is python3\.99, which Lambda does not"):
        local_runtime()


def test_largest_rows_name_their_distribution():
    document = analyze_json(str(DEMO))
    files = {row["path"]: row["distribution"] for row in document["largest_files"]}
    assert files["idna/uts46data.py"] == "idna"
    assert files["six.py"] == "six"
    folders = {row["path"]: row["distribution"] for row in document["largest_folders"]}
    assert folders["jmespath"] == "jmespath"
    assert folders["bin"] in {"jmespath", "idna"}


NEW_FIELDS = {
    "finding": ("advice", "package", "distributions", "path_bytes", "ms"),
    "totals": ("removable_bytes", "zipped_estimates"),
}


def as_version_2(document: dict) -> dict:
    """A current document as version 2 wrote it: sentences in findings and skipped entries."""
    from coldprof.analyze.result import Finding
    from coldprof.decode import decode
    from coldprof.render import finding_words
    from coldprof.render.words import skipped_reason

    for finding in document["findings"]:
        record = decode(Finding, finding)
        finding["message"] = finding_words.found(record)
        finding["advice"] = finding_words.advice(record)
        finding["risk"] = finding_words.risk(record)
        del finding["code"], finding["values"]
    for row in document["skipped"]:
        row["reason"] = skipped_reason(row.pop("code"), row.pop("values"))
    return {**document, "schema_version": 2}


def test_a_version_2_document_loads_with_its_sentences_as_they_were(tmp_path):
    from coldprof.render import render
    from coldprof.results import load

    document = analyze_json(str(DEMO))
    current = render(load(_written(tmp_path / "now.json", document)), "table")
    old = load(_written(tmp_path / "old.json", as_version_2(document)))
    assert old.schema_version == 3
    assert {f.code for f in old.findings} == {"text"}
    assert render(old, "table") == current  # the same words, stored instead of worded


def _written(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_a_version_1_document_still_loads_and_renders(tmp_path):
    from coldprof.render import render
    from coldprof.results import load

    document = as_version_2(analyze_json(str(DEMO)))
    document["schema_version"] = 1
    document.pop("handler")
    for name in NEW_FIELDS["totals"]:
        document["totals"].pop(name)
    for finding in document["findings"]:
        finding["message"] += "; " + finding["advice"]  # version 1 kept its advice there
        for name in NEW_FIELDS["finding"]:
            finding.pop(name)
    result = load(_written(tmp_path / "old.json", document))
    assert result.schema_version == 3
    assert result.totals.removable_bytes is None and result.totals.zipped_estimates == ()
    assert all(f.values["advice"] == "" and f.package is None for f in result.findings)
    table = render(result, "table")
    assert "findings free" not in table and "Advice and risk" not in table
    assert "compileall" in table  # the advice, inside the version-1 message


def test_the_table_fits_80_columns_and_says_each_rules_advice_once(pip_target):
    tree = pip_target("pandas")
    result = CliRunner().invoke(
        main, ["analyze", str(tree), "--runtime", "python3.11"], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    advice = result.output.split("== Advice and risk, per rule")[1]
    assert advice.count("tests-folder") == 1  # three distributions ship tests, one advice
    findings = result.output.split("== Findings")[1].split("== Advice")[0]
    assert findings.count("tests-folder") >= 2
    assert "findings free (unzipped, each file once)" in result.output
    assert "(left out to fit 80 columns: ms, distribution)" in result.output


def test_a_wide_terminal_keeps_every_column(pip_target):
    tree = pip_target("pandas")
    result = CliRunner().invoke(
        main, ["analyze", str(tree), "--runtime", "python3.11"], env={"COLUMNS": "200"}
    )
    assert "left out to fit" not in result.output
    assert "removal frees (unzipped)" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 200


PROJECT = """
[tool.coldprof]
target = "build"
layers = ["layer"]
runtime = "python3.12"
arch = "arm64"
handler = "app.handler"
"""


def test_analyze_takes_the_function_of_tool_coldprof(tmp_path, monkeypatch):
    shutil.copytree(DEMO, tmp_path / "build")
    (tmp_path / "layer" / "python").mkdir(parents=True)
    (tmp_path / "layer" / "python" / "shared.py").write_text("X = 1\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    document = analyze_json()
    assert (document["runtime"], document["arch"]) == ("python3.12", "arm64")
    assert document["handler"] == "app.handler"
    assert document["target"].endswith("build") and len(document["layers"]) == 1
    overridden = analyze_json("--runtime", "python3.13", "--arch", "x86_64")
    assert (overridden["runtime"], overridden["arch"]) == ("python3.13", "x86_64")
    (tmp_path / "conf").mkdir()
    elsewhere = tmp_path / "conf" / "pyproject.toml"  # paths are relative to its folder
    elsewhere.write_text(PROJECT.replace('"build"', '"../build"').replace('"layer"', '"../layer"'))
    monkeypatch.chdir(tmp_path.parent)
    assert analyze_json("--config", str(elsewhere))["arch"] == "arm64"


def test_analyze_without_target_or_project_says_what_to_give(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["analyze"])
    assert result.exit_code == 2
    assert "give TARGET (a package folder or .zip), or run where a pyproject.toml" in result.output


V2_DOCUMENT = Path(__file__).resolve().parent.parent / "fixtures" / "results" / "analyze-v2.json"


def test_a_document_written_by_schema_2_s_coldprof_loads_renders_and_round_trips():
    """fixtures/results/analyze-v2.json: written by the coldprof before schema 3 (a function
    with a FIFO, a layer zip with `..` and absolute entries, python3.9, a handler)."""
    from coldprof.render import render
    from coldprof.render.report import render_report
    from coldprof.results import load, loads, to_json

    written = json.loads(V2_DOCUMENT.read_text(encoding="utf-8"))
    assert written["schema_version"] == 2
    result = load(V2_DOCUMENT)
    assert result.schema_version == 3
    assert [f.values["text"] for f in result.findings] == [
        f["message"] for f in written["findings"]
    ]
    assert [f.values["advice"] for f in result.findings] == [
        f["advice"] for f in written["findings"]
    ]
    assert [s.values["text"] for s in result.skipped] == [s["reason"] for s in written["skipped"]]
    table, markdown = render(result, "table"), render(result, "markdown")
    for finding in written["findings"]:
        assert finding["rule"] in table and finding["rule"] in markdown
    assert "FIFO (named pipe): never opened" in table
    assert "path with '..' escapes the package: skipped" in table
    assert "python3.9" in render_report([("old.json", result)], "markdown")
    assert loads(to_json(result), "analyze") == result
