"""Advice that is exactly right, on real installs: the runtime's SDK, .pth files, shadowed copies,
savings counted once, leftovers nobody flagged, and the zipped size per packager."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from coldprof.analyze import analyze, scan
from coldprof.analyze.rules import run_rules
from coldprof.analyze.runtime import runtime_named
from coldprof.render import finding_words
from coldprof.results import to_json
from helpers import zip_folder
from rules_support import context_of, one, rules_of, write_distribution

PY311 = runtime_named("python3.11")
PRIVATE_KEY = b"-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\n"
CERTIFICATE = b"-----BEGIN CERTIFICATE-----\nMIIBszCCAV2g\n-----END CERTIFICATE-----\n"
SAM_TEMPLATE = b"AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"


def by_distribution(findings, rule: str) -> dict:
    return {f.distribution: f for f in findings if f.rule == rule}


@pytest.fixture(scope="module")
def pandas_tree(pip_target) -> Path:
    """pandas with numpy, python-dateutil, pytz and tzdata, as pip installs it."""
    return pip_target("pandas")


def test_pandas_needs_python_dateutil_so_it_is_never_left_out(pandas_tree):
    sdk = by_distribution(run_rules(context_of(pandas_tree)), "runtime-sdk")
    dateutil = sdk["python-dateutil"]
    assert (dateutil.severity, dateutil.bytes) == ("info", 0)
    assert "pandas need(s) it: keep it" in finding_words.found(dateutil)
    assert not any("leave it out" in finding_words.found(f) for f in sdk.values())


def test_sdk_dependencies_alone_are_info_with_what_leaving_them_out_frees(pip_target):
    tree = pip_target("jmespath")
    (finding,) = by_distribution(run_rules(context_of(tree)), "runtime-sdk").values()
    assert finding.severity == "info"
    assert finding.bytes > 0
    assert "ships it as an SDK dependency; nothing here needs it" in finding_words.found(finding)


@pytest.fixture(scope="module")
def older_runtime_sdk(pip_target) -> Path:
    """What a runtime shipping boto3 1.34.0 holds (as `--runtime-sdk` takes it)."""
    return pip_target("boto3==1.34.0", "botocore==1.34.0")


def test_a_distribution_needing_a_newer_botocore_than_the_runtime_keeps_it(
    pip_target, older_runtime_sdk
):
    tree = pip_target("aiobotocore")
    context = scan(tree, runtime=PY311, runtime_sdk=older_runtime_sdk)
    botocore = by_distribution(run_rules(context), "runtime-sdk")["botocore"]
    assert (botocore.severity, botocore.bytes) == ("info", 0)
    assert botocore.code == "bundling-needed"
    assert botocore.values["needs"][0]["requirer"] == "aiobotocore"
    assert "bundling it is needed: aiobotocore" in finding_words.found(botocore)
    assert "requires botocore" in finding_words.found(
        botocore
    ) and "the runtime has 1.34.0" in finding_words.found(botocore)
    # botocore stays, so what it needs stays too: urllib3 is kept, never counted removable
    urllib3 = by_distribution(run_rules(context), "runtime-sdk")["urllib3"]
    assert (urllib3.severity, urllib3.bytes, urllib3.code) == ("info", 0, "needed")
    assert "botocore" in urllib3.values["needed_by"]
    # without the runtime's versions (AWS publishes none), the usual advice stands
    plain = by_distribution(run_rules(context_of(tree)), "runtime-sdk")["botocore"]
    assert plain.severity == "warning" and "leave it out" in finding_words.found(plain)


def test_without_bundling_it_the_too_old_runtime_botocore_is_missing(
    pip_target, older_runtime_sdk, tmp_path
):
    tree = shutil.copytree(pip_target("aiobotocore"), tmp_path / "fn")
    for gone in [*tree.glob("botocore"), *tree.glob("botocore-*.dist-info")]:
        shutil.rmtree(gone)
    context = scan(tree, runtime=PY311, runtime_sdk=older_runtime_sdk)
    missing = one(run_rules(context), "missing-dependency")
    assert missing.distribution == "aiobotocore"
    assert "(the runtime has 1.34.0)" in finding_words.found(missing)
    assert "missing-dependency" not in rules_of(run_rules(context_of(tree)))


def test_pth_files_say_what_they_do_at_every_cold_start(pip_target, tmp_path):
    tree = shutil.copytree(pip_target("setuptools"), tmp_path / "fn")
    (tree / "vendored").mkdir()
    (tree / "extra.pth").write_text("# a comment\nvendored\n/home/me/src\n")
    findings = {f.paths[0]: f for f in run_rules(context_of(tree)) if f.rule == "pth-file"}
    shim = findings["distutils-precedence.pth"]
    assert shim.distribution == "setuptools"
    assert (
        "is processed at every cold start: runs `import os; var = 'SETUPTOOLS_USE_DISTUTILS'"
        in finding_words.found(shim)
    )
    extra = finding_words.found(findings["extra.pth"])
    assert "adds vendored to sys.path" in extra
    assert "names /home/me/src, absent on Lambda (ignored)" in extra
    assert {f.severity for f in findings.values()} == {"info"}
    assert "unowned-files" not in rules_of(run_rules(context_of(tree)))


def test_a_later_layer_overwrites_an_earlier_ones_files_in_opt(tmp_path):
    first, second = tmp_path / "one" / "python", tmp_path / "two" / "python"
    for layer, version in ((first, "1.0"), (second, "2.0")):
        layer.mkdir(parents=True)
        files = {"mod/__init__.py": f"V = '{version}'\n".encode(), "mod/util.py": b"X = 1\n"}
        if version == "1.0":
            files["mod/old_only.py"] = b"Y = 2\n"
        write_distribution(layer, "mod", version, files, ("mod",))
    (tmp_path / "fn").mkdir()
    context = context_of(tmp_path / "fn", layers=(first.parent, second.parent))
    finding = one(run_rules(context), "duplicate-top-level", "layer 1")
    assert "mod 2.0 (layer 2) comes first on sys.path and is imported" in finding_words.found(
        finding
    )
    assert finding.paths == ("python/mod/__init__.py", "python/mod/util.py")  # overwritten
    assert finding.bytes == sum(
        (first / p).stat().st_size for p in ("mod/__init__.py", "mod/util.py")
    )


def test_savings_shared_by_two_findings_count_once(pandas_tree):
    result = analyze(pandas_tree, runtime=PY311)
    numpy_tests = by_distribution(result.findings, "tests-folder")["numpy"]
    examples = by_distribution(result.findings, "examples-folder")["numpy"]
    assert "numpy/_core/tests" in numpy_tests.paths
    assert all(path.startswith("numpy/_core/tests/") for path in examples.paths)
    saving = sum(f.bytes for f in result.findings)
    assert result.totals.removable_bytes < saving
    assert result.totals.removable_bytes <= result.totals.unzipped_bytes
    for finding in result.findings:
        if finding.bytes:
            assert len(finding.path_bytes) == len(finding.paths)


def test_removable_bytes_is_the_union_of_what_the_findings_name(tmp_path):
    root = tmp_path / "fn"
    root.mkdir()
    files = {
        "arrowish/__init__.py": b"",
        "arrowish/include/arrow/testing/gtest.h": b"x" * 1000,  # c-sources and testing-folder
        "arrowish/include/arrow/api.h": b"y" * 300,
    }
    write_distribution(root, "arrowish", "1.0", files, ("arrowish",))
    result = analyze(root, runtime=PY311)
    rules = {f.rule: f.bytes for f in result.findings if f.bytes}
    assert rules == {"c-sources": 1300, "testing-folder": 1000}
    assert result.totals.removable_bytes == 1300


def leftover_tree(root: Path) -> Path:
    files = {
        "app.py": b"def handler(event, context):\n    return 1\n",
        ".env": b"DB_PASSWORD=hunter2\n",
        ".env.example": b"DB_PASSWORD=\n",
        "deploy/id_rsa": b"ssh key\n",
        "certs/client.pem": PRIVATE_KEY,
        "certs/ca.pem": CERTIFICATE,
        ".aws/credentials": b"[default]\naws_secret_access_key = abc\n",
        "__MACOSX/._app.py": b"\x00\x05\x16\x07",
        "._app.py": b"\x00\x05\x16\x07",
        ".git/HEAD": b"ref: refs/heads/main\n",
        "node_modules/left-pad/index.js": b"module.exports = 1\n",
        "template.yaml": SAM_TEMPLATE,
        "samconfig.toml": b"version = 0.1\n",
        "cdk.out/manifest.json": b"{}\n",
        ".terraform/terraform.tfstate": b'{"secret": "x"}\n',
    }
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def test_secrets_are_errors_and_their_content_is_never_shown(tmp_path, pip_target):
    root = leftover_tree(tmp_path / "fn")
    shutil.copytree(pip_target("certifi"), root, dirs_exist_ok=True)  # cacert.pem: no key
    result = analyze(root, runtime=PY311)
    (secret,) = [f for f in result.findings if f.rule == "secret-file"]
    assert secret.severity == "error"
    assert secret.paths == (".aws", ".env", ".terraform", "certs/client.pem", "deploy")
    assert "5 file(s) that look like secrets" in finding_words.found(secret)
    assert "content not shown" in finding_words.found(secret)
    text = "".join(
        finding_words.found(f) + finding_words.advice(f) + finding_words.risk(f)
        for f in result.findings
    )
    text += to_json(result)
    assert "hunter2" not in text and "PRIVATE KEY" not in text and "aws_secret" not in text


def test_mac_git_node_and_infrastructure_leftovers_are_flagged(tmp_path):
    root = leftover_tree(tmp_path / "fn")
    findings = run_rules(context_of(root))
    assert one(findings, "macos-metadata").paths == ("._app.py", "__MACOSX")
    assert one(findings, "vcs-folder").paths == (".git",)
    assert one(findings, "node-modules").paths == ("node_modules",)
    infra = one(findings, "infra-template")
    assert infra.paths == (".terraform", "cdk.out", "samconfig.toml", "template.yaml")
    assert infra.bytes == sum(
        p.stat().st_size
        for name in infra.paths
        for p in ([root / name] if (root / name).is_file() else (root / name).rglob("*"))
        if p.is_file()
    )


def test_a_template_yaml_that_is_not_cloudformation_is_kept(tmp_path):
    root = tmp_path / "fn"
    root.mkdir()
    (root / "template.yaml").write_text("greeting: hello\n")
    assert "infra-template" not in rules_of(run_rules(context_of(root)))


@pytest.mark.skipif(shutil.which("zip") is None, reason="Info-ZIP zip is not installed")
def test_the_zip_r_estimate_matches_info_zip_and_the_zipfile_one_zipfile(pip_target, tmp_path):
    tree = pip_target("requests", "boto3", "six")
    result = analyze(tree, runtime=PY311)
    estimates = {e.packager: e.bytes for e in result.totals.zipped_estimates}
    assert estimates["python-zipfile"] == result.totals.zipped_bytes
    plain = tmp_path / "plain.zip"
    subprocess.run(["zip", "-qr", "-6", str(plain), "."], cwd=tree, check=True)
    assert abs(estimates["info-zip"] - plain.stat().st_size) <= plain.stat().st_size * 0.001
    zipped = zip_folder(tree, tmp_path / "zipfile.zip")
    assert abs(estimates["python-zipfile"] - zipped.stat().st_size) <= zipped.stat().st_size * 0.001
    assert estimates["info-zip"] > estimates["python-zipfile"]
    limit = next(limit for limit in result.limits if limit.name.startswith("zipped"))
    assert limit.actual_bytes == estimates["info-zip"]


def test_a_zip_has_its_exact_size_and_no_estimates(pip_target, tmp_path):
    archive = zip_folder(pip_target("six"), tmp_path / "six.zip")
    result = analyze(archive, runtime=PY311)
    assert result.totals.zipped_estimates == ()
    assert result.totals.zipped_verdict_bytes == archive.stat().st_size


def test_a_chain_of_single_folders_is_one_row(pip_target, tmp_path):
    layer = zip_folder(
        pip_target("six"), tmp_path / "layer.zip", prefix="python/lib/python3.11/site-packages/"
    )
    result = analyze(tmp_path / "layer.zip", runtime=PY311)
    paths = [row.path for row in result.largest_folders]
    assert "python/lib/python3.11/site-packages" in paths
    assert not {"python", "python/lib", "python/lib/python3.11"} & set(paths)
    assert zipfile.is_zipfile(layer)


def test_python_dateutil_staying_keeps_what_it_needs(tmp_path):
    root = tmp_path / "fn"
    root.mkdir()
    write_distribution(root, "six", "1.17.0", {"six.py": b"X = 1\n"}, ("six",))
    dateutil = write_distribution(root, "python-dateutil", "2.9.0", {"dateutil/__init__.py": b""})
    (dateutil / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: python-dateutil\nVersion: 2.9.0\nRequires-Dist: six>=1.5\n"
    )
    frame = write_distribution(root, "frames", "1.0", {"frames/__init__.py": b""}, ("frames",))
    (frame / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: frames\nVersion: 1.0\nRequires-Dist: python-dateutil\n"
    )
    sdk = by_distribution(run_rules(context_of(root)), "runtime-sdk")
    assert "frames need(s) it" in finding_words.found(sdk["python-dateutil"])
    assert "python-dateutil need(s) it" in finding_words.found(sdk["six"])
    assert sdk["six"].bytes == 0
