"""File-level rules on real installs and built trees: SDK, clutter, duplicates, unowned files."""

from __future__ import annotations

import os
import re
from pathlib import Path

from coldprof.analyze import analyze
from coldprof.analyze.model import FUNCTION_CODE
from coldprof.analyze.result import SEVERITIES
from coldprof.analyze.rules import RULES, run_rules
from coldprof.analyze.rules.clutter import (
    c_sources,
    shipped_docs,
    shipped_examples,
    shipped_testing,
    shipped_tests,
    type_stubs,
)
from coldprof.analyze.rules.duplicates import duplicate_top_level
from coldprof.analyze.rules.sdk import runtime_sdk
from coldprof.analyze.rules.unowned import unowned_files
from coldprof.analyze.runtime import runtime_named
from coldprof.render import finding_words
from rules_support import by_rule, context_of, one, write_distribution

SDK = {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
RICHLIB = {
    "richlib/__init__.py": b"from richlib.core import run\n",
    "richlib/core.py": b"def run():\n    return 1\n",
    "richlib/__init__.pyi": b"def run() -> int: ...\n",
    "richlib/py.typed": b"",
    "richlib/tests/__init__.py": b"",
    "richlib/tests/test_core.py": b"def test_run():\n    assert True\n" * 20,
    "richlib/sub/__init__.py": b"",
    "richlib/sub/test/data.txt": b"x" * 300,
    "richlib/testing/__init__.py": b"def assert_close(a, b):\n    assert a == b\n",
    "richlib/docs/index.rst": b"Richlib\n=======\n" * 40,
    "richlib/doc/__init__.py": b"DOCSTRINGS = {}\n",
    "richlib/examples/demo.py": b"import richlib\nrichlib.run()\n",
    "richlib/include/richlib.h": b"int run(void);\n" * 10,
    "richlib/include/extra.h": b"int extra(void);\n",
    "richlib/src/speed.c": b"int run(void) { return 1; }\n",
    "richlib/src/README": b"sources\n",
    "richlib/_speed.pyx": b"def run():\n    return 1\n",
}


def richlib_function(root: Path) -> Path:
    root.mkdir()
    (root / "app.py").write_text("import richlib\n")
    write_distribution(root, "richlib", "2.0", RICHLIB, top_level=("richlib",))
    return root


def size_of(root: Path, *paths: str) -> int:
    total = 0
    for path in paths:
        target = root / path
        files = [target] if target.is_file() else [p for p in target.rglob("*") if p.is_file()]
        total += sum(p.stat().st_size for p in files)
    return total


def test_runtime_sdk_names_each_bundled_sdk_distribution_with_its_bytes(sdk_target):
    result = analyze(sdk_target, runtime=runtime_named("python3.11"))
    rows = {row.name: row for row in result.distributions}
    sdk = by_rule(runtime_sdk(context_of(sdk_target)), "runtime-sdk")
    assert set(sdk) == SDK
    for key in SDK - {"urllib3"}:  # the SDK, and what only the SDK needs, can go
        assert sdk[key].bytes == rows[key].unzipped_bytes
        assert sdk[key].severity == "warning"
        assert "newer" in finding_words.risk(sdk[key])
    assert sdk["six"].code == "only-the-sdk-needs-it"
    assert sdk["six"].values["sdk"] == ["boto3", "botocore", "s3transfer"]
    assert "only the SDK needs it: leave it out with boto3, botocore, s3transfer" in (
        finding_words.found(sdk["six"])
    )
    urllib3 = sdk["urllib3"]  # requests needs it: never "leave it out"
    assert (urllib3.severity, urllib3.bytes, urllib3.code) == ("info", 0, "needed")
    assert urllib3.values["needed_by"] == ["requests"]
    assert "requests need(s) it: keep it" in finding_words.found(urllib3)
    botocore = sdk["botocore"]
    assert botocore.bytes > 10_000_000
    assert botocore.paths == ("botocore", f"botocore-{rows['botocore'].version}.dist-info")
    assert (botocore.code, botocore.values["runtime"]) == ("leave-out", "python3.11")
    assert "python3.11 runtime ships it: leave it out" in finding_words.found(botocore)


def test_clutter_rules_find_tests_docs_examples_sources_and_stubs(tmp_path):
    root = richlib_function(tmp_path / "fn")
    context = context_of(root)
    tests = by_rule(shipped_tests(context), "tests-folder")["richlib"]
    assert tests.paths == ("richlib/sub/test", "richlib/tests")
    assert tests.bytes == size_of(root, "richlib/sub/test", "richlib/tests")
    assert tests.severity == "warning"
    testing = by_rule(shipped_testing(context), "testing-folder")["richlib"]
    assert (testing.paths, testing.severity) == (("richlib/testing",), "info")
    assert "numpy.testing" in finding_words.risk(testing)
    docs = by_rule(shipped_docs(context), "docs-folder")["richlib"]
    assert docs.paths == ("richlib/docs",)  # richlib/doc holds an __init__.py: it is code
    assert docs.bytes == size_of(root, "richlib/docs")
    examples = by_rule(shipped_examples(context), "examples-folder")["richlib"]
    assert examples.paths == ("richlib/examples",)
    sources = by_rule(c_sources(context), "c-sources")["richlib"]
    assert sources.paths == ("richlib/_speed.pyx", "richlib/include", "richlib/src/speed.c")
    assert sources.bytes == size_of(
        root, "richlib/_speed.pyx", "richlib/include", "richlib/src/speed.c"
    )
    stubs = by_rule(type_stubs(context), "type-stubs")["richlib"]
    assert (stubs.paths, stubs.bytes) == (
        ("richlib/__init__.pyi",),
        size_of(root, "richlib/__init__.pyi"),
    )


def test_a_distribution_whose_import_name_is_tests_is_not_clutter(tmp_path):
    root = tmp_path / "fn"
    root.mkdir()
    write_distribution(
        root, "oddball", "1.0", {"tests/__init__.py": b"X = 1\n"}, top_level=("tests",)
    )
    assert shipped_tests(context_of(root)) == []


def test_the_functions_own_tests_are_own_tests_not_a_library_tests_folder(tmp_path):
    root = tmp_path / "fn"
    (root / "tests").mkdir(parents=True)
    (root / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (root / "tests" / "test_app.py").write_text("def test_handler():\n    pass\n")
    (root / "conftest.py").write_text("import pytest\n")
    (root / "test_smoke.py").write_text("def test_smoke():\n    pass\n")
    context = context_of(root)
    assert shipped_tests(context) == []
    finding = one(run_rules(context), "own-tests")
    assert finding.paths == ("conftest.py", "test_smoke.py", "tests")
    assert finding.bytes == size_of(root, "conftest.py", "test_smoke.py", "tests")
    assert finding.distribution == FUNCTION_CODE


def test_build_leftovers_no_distribution_owns_are_reported_by_kind(tmp_path):
    root = richlib_function(tmp_path / "fn")
    leftovers = {
        ".DS_Store": b"\x00" * 6148,
        "richlib_extra/.DS_Store": b"\x00" * 100,
        ".git/HEAD": b"ref: refs/heads/main\n",
        ".git/objects/ab/cdef": b"x" * 500,
        "bin/richlib-cli": b"#!/usr/bin/python\n",
        "share/man/man1/richlib.1": b".TH RICHLIB\n",
        "develop.egg-link": b"/home/me/richlib\n",
        "richlib-nspkg.pth": b"import sys\n",
        "lib/helpers.py": b"OWN_CODE = True\n",
        "richlib_extra/settings.json": b"{}\n",
    }
    for path, data in leftovers.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    (root / ".idea").mkdir()
    (root / ".idea" / "workspace.xml").write_bytes(b"<project/>\n")
    findings = unowned_files(context_of(root))
    paths = {f.paths: f.bytes for f in findings}
    assert paths == {
        (".idea",): size_of(root, ".idea"),
        ("bin", "share"): size_of(root, "bin", "share"),
        ("develop.egg-link",): size_of(root, "develop.egg-link"),
    }
    assert {f.distribution for f in findings} == {FUNCTION_CODE}
    others = run_rules(context_of(root))  # macOS litter, .git and .pth have rules of their own
    assert one(others, "macos-metadata").paths == (".DS_Store", "richlib_extra/.DS_Store")
    assert one(others, "vcs-folder").paths == (".git",)
    assert one(others, "pth-file").paths == ("richlib-nspkg.pth",)


def test_console_scripts_a_distribution_owns_are_not_leftovers(sdk_target):
    assert (sdk_target / "bin").is_dir()
    assert unowned_files(context_of(sdk_target)) == []


def test_two_distributions_overwriting_one_package_are_duplicates(tmp_path):
    root = tmp_path / "fn"
    root.mkdir()
    write_distribution(
        root, "jwt", "1.0", {"jwt/__init__.py": b"", "jwt/api.py": b"A = 1\n"}, ("jwt",)
    )
    write_distribution(
        root, "pyjwt", "2.8", {"jwt/__init__.py": b"", "jwt/api.py": b"A = 2\n"}, ("jwt",)
    )
    write_distribution(root, "py", "1.11", {"py/__init__.py": b""}, ("py",))
    write_distribution(root, "pytest-py", "8.0", {"py.py": b"import _pytest\n"}, ("py",))
    findings = {f.values["import_name"]: f for f in duplicate_top_level(context_of(root))}
    assert set(findings) == {"jwt", "py"}
    assert findings["jwt"].paths == ("pyjwt-2.8.dist-info",)
    assert (findings["jwt"].code, findings["jwt"].values["package"]) == ("overwritten", "function")
    assert [p["name"] for p in findings["jwt"].values["providers"]] == ["jwt", "pyjwt"]
    said = finding_words.found(findings["jwt"])
    assert "jwt 1.0 (function), pyjwt 2.8 (function)" in said
    assert "installed last overwrote" in said
    assert findings["jwt"].bytes == 0
    assert findings["py"].severity == "warning"


def test_namespace_portions_are_not_duplicates(tmp_path):
    root = tmp_path / "fn"
    root.mkdir()
    write_distribution(root, "google-a", "1.0", {"google/a/__init__.py": b""}, ("google",))
    write_distribution(root, "google-b", "1.0", {"google/b/__init__.py": b""}, ("google",))
    pkgutil = b"__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"
    files_a = {"zope/__init__.py": pkgutil, "zope/event/__init__.py": b""}
    files_b = {"zope/__init__.py": pkgutil, "zope/interface/__init__.py": b""}
    write_distribution(root, "zope-event", "5.0", files_a, ("zope",))
    write_distribution(root, "zope-interface", "6.0", files_b, ("zope",))
    assert duplicate_top_level(context_of(root)) == []


def test_a_package_in_the_function_shadows_the_same_package_in_a_layer(tmp_path):
    function, layer = tmp_path / "fn", tmp_path / "layer" / "python"
    function.mkdir()
    layer.mkdir(parents=True)
    write_distribution(function, "six", "1.17.0", {"six.py": b"X = 1\n"}, ("six",))
    write_distribution(layer, "six", "1.16.0", {"six.py": b"X = 1\n"}, ("six",))
    findings = duplicate_top_level(context_of(function, layers=(layer.parent,)))
    assert len(findings) == 1
    values = findings[0].values
    assert findings[0].code == "shadowed" and values["files"] == 1
    assert values["winner"] == {"name": "six", "version": "1.17.0", "package": "function"}
    assert values["shadowed"] == {"name": "six", "version": "1.16.0", "package": "layer 1"}
    said = finding_words.found(findings[0])
    assert "six 1.17.0 (function) comes first on sys.path and is imported" in said
    assert "of six 1.16.0 in layer 1 are never used" in said
    assert (findings[0].package, findings[0].paths) == ("layer 1", ("python/six.py",))
    assert findings[0].bytes == (layer / "six.py").stat().st_size


def test_findings_come_errors_first_then_by_bytes_saved_with_well_formed_fields(sdk_target):
    findings = run_rules(context_of(sdk_target))
    assert findings[0].rule == "runtime-sdk"
    assert findings[0].distribution == "botocore"
    assert [f.bytes for f in findings] == sorted((f.bytes for f in findings), reverse=True)
    for finding in findings:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", finding.rule)
        assert finding.severity in SEVERITIES
        assert finding.paths and finding.code != "text"
        said = finding_words.found(finding)
        assert said and not said.startswith(finding.rule)  # worded, not shown raw
        assert finding_words.risk(finding) and finding_words.advice(finding)
        assert finding.package == "function"
        assert finding.bytes >= 0
    assert len(RULES) == len({rule.__name__ for rule in RULES})


def test_rules_survive_hostile_names_and_garbage_binaries(tmp_path):
    root = richlib_function(tmp_path / "fn")
    odd = os.fsencode(root) + b"/richlib/tests/caf\xe9\nname.py"
    Path(os.fsdecode(odd)).write_bytes(b"X = 1\n")
    (root / "richlib" / "_broken.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF\x02\x01")
    (root / "richlib" / "_text.so").write_bytes(b"INPUT ( libc.so.6 )\n")
    (root / "richlib" / "__pycache__").mkdir()
    (root / "richlib" / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"garbage")
    findings = run_rules(context_of(root))
    stale = one(findings, "bytecode-stale")
    assert stale.paths == ("richlib/core.py",)
    assert stale.distributions == ("richlib",)
    assert by_rule(findings, "incompatible-extension") == {}
    tests = by_rule(findings, "tests-folder")["richlib"]
    assert "richlib/tests" in tests.paths
