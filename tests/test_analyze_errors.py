"""Errors: what Lambda would fail on, in real installs and real zips (Info-ZIP and zipfile)."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from coldprof.analyze import analyze, scan
from coldprof.analyze.rules import run_rules
from coldprof.analyze.runtime import runtime_named
from coldprof.cli import main
from coldprof.render import finding_words
from helpers import zip_folder
from rules_support import context_of, rules_of, write_distribution

HANDLER_SOURCE = "import requests\n\n\ndef handler(event, context):\n    return 1\n"


def errors(findings) -> dict[str, list]:
    """Error findings by rule."""
    found: dict[str, list] = {}
    for finding in findings:
        if finding.severity == "error":
            found.setdefault(finding.rule, []).append(finding)
    return found


@pytest.fixture(scope="module")
def requests_without_idna(pip_target) -> Path:
    """requests and its dependencies, but idna, as `pip install --no-deps` leaves them."""
    deps = ("requests", "urllib3", "certifi", "charset-normalizer")
    return pip_target(*deps, extra=("--no-deps",))


def test_requests_without_idna_is_a_missing_dependency(requests_without_idna):
    found = errors(run_rules(context_of(requests_without_idna)))
    assert list(found) == ["missing-dependency"]
    (finding,) = found["missing-dependency"]
    assert finding.distribution == "requests"
    assert finding.paths[0].startswith("requests-") and finding.paths[0].endswith(".dist-info")
    assert finding.code == "unmet"
    assert finding.values["missing"] == [
        {"requirement": "idna<4,>=2.5", "holds_on": ["3.11.0", "3.11.99"]}
    ]
    assert "requires idna<4,>=2.5" in finding_words.found(finding)
    assert "nothing on Lambda's sys.path provides it" in finding_words.found(finding)
    assert "--no-deps" in finding_words.advice(finding)


def test_a_layer_or_the_full_install_provides_what_was_missing(requests_without_idna, pip_target):
    idna = pip_target("idna")
    layer = zip_folder(idna, requests_without_idna.parent / "idna-layer.zip", prefix="python/")
    with_layer = run_rules(context_of(requests_without_idna, layers=(layer,)))
    assert "missing-dependency" not in rules_of(with_layer)
    assert "missing-dependency" not in rules_of(run_rules(context_of(pip_target("requests"))))


def test_an_extra_nobody_requests_is_not_required(pip_target):
    # requests declares PySocks for its "socks" extra; nothing here asks for it
    assert "missing-dependency" not in rules_of(run_rules(context_of(pip_target("requests"))))


def test_markers_are_evaluated_for_the_target_runtime(pip_target):
    tree = pip_target("pytest")  # installed by Python 3.11: no exceptiongroup, no tomli
    assert "missing-dependency" not in rules_of(run_rules(context_of(tree, "python3.11")))
    (older,) = errors(run_rules(context_of(tree, "python3.10")))["missing-dependency"]
    assert older.distribution == "pytest"
    assert "requires exceptiongroup>=1, tomli>=2" in finding_words.found(older)
    assert "python3.10 runtime" in finding_words.found(older)


def _patch_marked(root: Path, *requirements: str) -> Path:
    """A distribution whose requirements carry the given markers; nothing provides them."""
    info = write_distribution(root, "patchy", "1.0", {"patchy/__init__.py": b""}, ("patchy",))
    lines = "".join(f"Requires-Dist: {r}\n" for r in requirements)
    (info / "METADATA").write_text((info / "METADATA").read_text() + lines)
    return root


def test_a_requirement_that_depends_on_the_patch_release_is_a_warning(tmp_path):
    root = _patch_marked(
        tmp_path / "fn",
        'backport-a>=1; python_full_version < "3.11.4"',
        'backport-b>=1; python_full_version >= "3.11.2"',
        'backport-c>=1; python_version < "3.12"',
    )
    findings = [f for f in run_rules(context_of(root, "python3.11")) if f.distribution == "patchy"]
    by_code = {f.code: f for f in findings if f.rule == "missing-dependency"}
    assert set(by_code) == {"unmet", "unmet-on-some-patches"}
    assert by_code["unmet"].severity == "error"
    assert [m["requirement"] for m in by_code["unmet"].values["missing"]] == ["backport-c>=1"]
    sometimes = by_code["unmet-on-some-patches"]
    assert sometimes.severity == "warning"
    assert sometimes.values["missing"] == [
        {"requirement": "backport-a>=1", "holds_on": ["3.11.0"]},
        {"requirement": "backport-b>=1", "holds_on": ["3.11.99"]},
    ]
    assert "depends on the runtime's patch release" in finding_words.found(sometimes)


def test_an_extra_another_distribution_requests_is_required(pip_target):
    # httpie requires requests[socks]: requests' "socks" extra then needs PySocks
    wanted = ("httpie", "requests", "urllib3", "idna", "certifi", "charset-normalizer")
    tree = pip_target(*wanted, extra=("--no-deps",))
    found = {f.distribution: f for f in errors(run_rules(context_of(tree)))["missing-dependency"]}
    assert "requires PySocks!=1.5.7,>=1.5.6" in finding_words.found(found["requests"])
    assert "requests" not in {
        f.distribution
        for f in run_rules(context_of(pip_target("requests")))
        if f.rule == "missing-dependency"
    }


def test_the_runtime_ships_the_sdk_a_package_needs(pip_target):
    tree = pip_target("boto3", extra=("--no-deps",))  # botocore, s3transfer, ... left out
    assert "missing-dependency" not in rules_of(run_rules(context_of(tree)))


@pytest.fixture(scope="module")
def function_tree(tmp_path_factory, pip_target) -> Path:
    """A function: app.py at the root beside requests and its dependencies."""
    root = tmp_path_factory.mktemp("handler") / "build"
    shutil.copytree(pip_target("requests"), root)
    (root / "app.py").write_text(HANDLER_SOURCE)
    return root


def test_a_handler_at_the_root_is_found(function_tree):
    assert errors(run_rules(scan(function_tree, handler="app.handler"))) == {}


def test_a_handler_function_the_module_does_not_define_is_not_found(function_tree):
    found = errors(run_rules(scan(function_tree, handler="app.main")))
    (finding,) = found["handler-not-found"]
    assert finding.paths == ("app.py",)
    assert finding.values == {"module_file": "app.py", "in": "function", "function": "main"}
    assert "defines no 'main' at module level" in finding_words.found(finding)
    assert "Runtime.HandlerNotFound" in finding_words.found(finding)


@pytest.mark.skipif(shutil.which("zip") is None, reason="Info-ZIP zip is not installed")
def test_zip_r_of_the_build_folder_puts_the_handler_below_the_root(function_tree, tmp_path):
    archive = tmp_path / "function.zip"
    subprocess.run(["zip", "-qr", str(archive), "build"], cwd=function_tree.parent, check=True)
    with_handler = errors(run_rules(scan(archive, handler="app.handler")))
    (finding,) = with_handler["handler-not-at-root"]
    assert finding.paths == ("build/app.py",)
    assert (finding.code, finding.values["found_at"]) == ("module-not-found", ["build/app.py"])
    assert "found at build/app.py" in finding_words.found(finding)
    assert "Runtime.ImportModuleError" in finding_words.found(finding)
    assert "cd build && zip -r ../function.zip ." in finding_words.advice(finding)
    without = errors(run_rules(scan(archive)))
    (single,) = without["handler-not-at-root"]
    assert single.paths == ("build",)
    assert "every file sits under build/" in finding_words.found(single)


def test_a_handler_module_in_a_layer_is_found(tmp_path):
    function, layer = tmp_path / "fn", tmp_path / "layer" / "python" / "shared"
    function.mkdir()
    (function / "settings.json").write_text("{}\n")
    layer.mkdir(parents=True)
    (layer / "__init__.py").write_text("")
    (layer / "entry.py").write_text("def handler(event, context):\n    return 1\n")
    context = scan(function, (layer.parent.parent,), handler="shared.entry.handler")
    assert errors(run_rules(context)) == {}
    missing = errors(run_rules(scan(function, handler="shared.entry.handler")))
    assert "found nowhere in the package" in finding_words.found(missing["handler-not-at-root"][0])


def test_a_single_python_package_at_the_root_is_no_error(tmp_path):
    root = tmp_path / "fn" / "service"
    root.mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "handler.py").write_text("def main(event, context):\n    return 1\n")
    assert "handler-not-at-root" not in rules_of(run_rules(context_of(root.parent)))
    assert errors(run_rules(scan(root.parent, handler="service.handler.main"))) == {}


@pytest.mark.parametrize(
    ("prefix", "runtime", "why"),
    [
        ("python/lib/python3.12/site-packages/", "python3.11", "is for python3.12, not python3.11"),
        ("", "python3.12", "is at the layer root, not under python/"),
    ],
)
def test_layer_code_where_the_runtime_never_looks(pip_target, tmp_path, prefix, runtime, why):
    layer = zip_folder(pip_target("six"), tmp_path / "layer.zip", prefix=prefix)
    found = errors(run_rules(context_of(tmp_path, runtime, layers=(layer,))))
    (finding,) = found["layer-path-not-on-sys-path"]
    assert finding.package == "layer 1"
    assert why in finding_words.found(finding)
    place = prefix.rstrip("/") or "six.py"
    assert place in finding.paths


def test_a_layer_built_for_two_pythons_works_on_either(pip_target, tmp_path):
    six = pip_target("six")
    (tmp_path / "fn").mkdir()
    layer = tmp_path / "layer"
    for version in ("3.11", "3.12"):
        shutil.copytree(six, layer / f"python/lib/python{version}/site-packages")
    findings = run_rules(context_of(tmp_path / "fn", "python3.11", layers=(layer,)))
    assert "layer-path-not-on-sys-path" not in errors(findings)
    (finding,) = [f for f in findings if f.rule == "layer-path-not-on-sys-path"]
    assert (finding.severity, finding.code) == ("info", "partly-imported")
    assert finding.values["places"] == [
        {"place": "python/lib/python3.12/site-packages", "python": "3.12"}
    ]
    only_312 = tmp_path / "only312"
    shutil.copytree(six, only_312 / "python/lib/python3.12/site-packages")
    found = errors(run_rules(context_of(tmp_path / "fn", "python3.11", layers=(only_312,))))
    assert found["layer-path-not-on-sys-path"][0].code == "never-imported"


def test_a_layer_for_the_runtimes_own_site_packages_is_fine(pip_target, tmp_path):
    prefix = "python/lib/python3.12/site-packages/"
    layer = zip_folder(pip_target("six"), tmp_path / "layer.zip", prefix=prefix)
    found = run_rules(context_of(tmp_path, "python3.12", layers=(layer,)))
    assert "layer-path-not-on-sys-path" not in rules_of(found)


@pytest.mark.skipif(shutil.which("zip") is None, reason="Info-ZIP zip is not installed")
def test_files_others_cannot_read_in_a_zip_fail_on_lambda(tmp_path):
    root = tmp_path / "fn"
    (root / "private").mkdir(parents=True)
    (root / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (root / "secret_sauce.py").write_text("X = 1\n")
    (root / "private" / "inner.py").write_text("Y = 2\n")
    os.chmod(root / "secret_sauce.py", 0o600)
    os.chmod(root / "private", 0o700)
    archive = tmp_path / "function.zip"
    subprocess.run(["zip", "-qr", str(archive), "."], cwd=root, check=True)
    for target in (root, archive):  # the folder's modes, and the zip's external attributes
        (finding,) = errors(run_rules(context_of(target)))["unreadable-by-lambda"]
        assert finding.paths == ("private", "secret_sauce.py")
        assert "1 file(s) without read permission for others" in finding_words.found(finding)
        assert "1 folder(s) without r-x for others" in finding_words.found(finding)
        assert "600" in finding_words.found(finding) and "700" in finding_words.found(finding)
        assert "chmod 644" in finding_words.advice(finding)


def test_a_zip_written_without_unix_modes_is_not_judged(tmp_path):
    archive = tmp_path / "windows.zip"
    with zipfile.ZipFile(archive, "w") as out:
        info = zipfile.ZipInfo("app.py")
        info.create_system = 0  # MS-DOS: external_attr holds no Unix mode
        out.writestr(info, "def handler(event, context):\n    return 1\n")
    assert "unreadable-by-lambda" not in rules_of(run_rules(context_of(archive)))


def test_zipfile_entries_with_a_private_mode_are_unreadable(tmp_path):
    archive = tmp_path / "function.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name, mode in (("app.py", 0o644), ("config.py", 0o640)):
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            out.writestr(info, "X = 1\n")
    (finding,) = errors(run_rules(context_of(archive)))["unreadable-by-lambda"]
    assert finding.paths == ("config.py",)


def standing(runtime: str, today: datetime.date) -> list:
    context = scan(Path(__file__).parent.parent / "fixtures" / "demo_function",
                   runtime=runtime_named(runtime), today=today)  # fmt: skip
    return [f for f in run_rules(context) if f.rule in ("runtime-deprecated", "runtime-preview")]


def test_a_deprecated_runtime_is_warned_about_with_its_dates():
    (finding,) = standing("python3.9", datetime.date(2026, 11, 29))
    assert (finding.rule, finding.severity) == ("runtime-deprecated", "warning")
    assert "python3.9 was deprecated on 2025-12-15" in finding_words.found(finding)
    assert "creating functions blocked from 2026-02-03" in finding_words.found(finding)
    assert standing("python3.9", datetime.date(2025, 12, 14)) == []
    assert standing("python3.12", datetime.date(2026, 11, 29)) == []


def test_python315_is_a_preview_and_python314_a_runtime():
    (finding,) = standing("python3.15", datetime.date(2026, 11, 29))
    assert finding.rule == "runtime-preview"
    assert "public preview since 2026-07-24: not for production" in finding_words.found(finding)
    assert runtime_named("python3.14").glibc == (2, 34)
    assert runtime_named("python3.15").version == (3, 15)


def test_python314_has_the_dates_aws_lists():
    """lambda-python.html: deprecated Jun 30 2029, create blocked Jul 31, update Aug 31."""
    assert standing("python3.14", datetime.date(2029, 6, 29)) == []
    (finding,) = standing("python3.14", datetime.date(2029, 6, 30))
    assert "python3.14 was deprecated on 2029-06-30" in finding_words.found(finding)
    assert "creating functions blocked from 2029-07-31" in finding_words.found(finding)
    assert "updating blocked from 2029-08-31" in finding_words.found(finding)


def test_analyze_exits_0_with_errors_and_check_is_the_gate(requests_without_idna, tmp_path):
    run = CliRunner().invoke(main, ["analyze", str(requests_without_idna), "--format", "json"])
    assert run.exit_code == 0
    document = json.loads(run.output)
    assert [f["rule"] for f in document["findings"] if f["severity"] == "error"] == [
        "missing-dependency"
    ]
    config = tmp_path / "pyproject.toml"
    config.write_text(
        f'[tool.coldprof]\ntarget = "{requests_without_idna}"\nruntime = "python3.11"\n'
    )
    gate = CliRunner().invoke(main, ["check", "--config", str(config), "--format", "json"])
    assert gate.exit_code == 1
    budgets = {b["name"]: b for b in json.loads(gate.output)["budgets"]}
    assert budgets["allow_errors"]["ok"] is False
    assert budgets["allow_errors"]["actual"] == 1
    config.write_text(config.read_text() + "\n[tool.coldprof.budget]\nallow_errors = true\n")
    allowed = CliRunner().invoke(main, ["check", "--config", str(config), "--format", "json"])
    assert allowed.exit_code == 0, allowed.output


def test_the_library_takes_the_handler_too(function_tree):
    result = analyze(function_tree, handler="app.nope")
    assert result.handler == "app.nope"
    assert [f.rule for f in result.findings if f.severity == "error"] == ["handler-not-found"]
