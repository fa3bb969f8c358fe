"""Module -> distribution and category, from the module's file in a real package."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from coldprof.analyze import scan
from coldprof.imports.attribution import (
    build_attributor,
    interpreter_module_names,
    module_name,
    package_contexts,
    package_sizes,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
VERSION = sys.version_info[:2]


@pytest.fixture(scope="module")
def names():
    return interpreter_module_names(sys.executable)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("app.py", "app"),
        ("requests/__init__.py", "requests"),
        ("requests/adapters.py", "requests.adapters"),
        ("charset_normalizer/md.cpython-311-x86_64-linux-gnu.so", "charset_normalizer.md"),
        ("pkg/__init__.cpython-312-x86_64-linux-gnu.so", "pkg"),
        ("legacy/sourceless.pyc", "legacy.sourceless"),
        ("six-1.17.0.dist-info/METADATA", None),
        ("my-folder/module.py", None),
        ("README.md", None),
    ],
)
def test_module_names_of_files(path, expected):
    assert module_name(path) == expected


def test_interpreter_names_come_from_the_child_interpreter(names):
    assert "json" in names.stdlib
    assert "sys" in names.builtin
    assert "requests" not in names.stdlib


def test_known_tree_modules_are_function_code_dependencies_stdlib_and_builtin(names):
    contexts = package_contexts(FIXTURES / "known_tree", (), None, VERSION)
    attributor = build_attributor(contexts, names)
    cases = {
        "app": ("(function code)", "function code"),
        "settings": ("(function code)", "function code"),
        "slow_a": ("slow-a", "dependency"),
        "slow_b": ("slow-b", "dependency"),
        "json.decoder": ("(standard library)", "standard library"),
        "sys": ("(built-in)", "built-in"),
        "not_there": ("(not found)", "not found"),
        "slow_a.virtual": ("slow-a", "dependency"),
    }
    for module, expected in cases.items():
        origin = attributor.origin(module)
        assert (origin.distribution, origin.category) == expected, module


def test_a_real_pip_installed_package_is_attributed_by_file(pip_target, names):
    target = pip_target("requests")
    attributor = build_attributor([scan(target)], names)
    assert attributor.origin("requests.adapters").distribution == "requests"
    assert attributor.origin("urllib3.util.retry").distribution == "urllib3"
    assert attributor.origin("idna.core").distribution == "idna"
    assert attributor.origin("charset_normalizer").category == "dependency"
    assert attributor.origin("http.client").category == "standard library"


def test_layer_and_runtime_sdk_modules(pip_target, names):
    sdk = pip_target("six")
    contexts = package_contexts(
        FIXTURES / "layered" / "function", [FIXTURES / "layered" / "layer"], sdk, VERSION
    )
    attributor = build_attributor(contexts, names)
    layer = attributor.origin("layer_util")
    assert (layer.distribution, layer.category, layer.package) == (
        "(layer 1 code)",
        "layer",
        "layer 1",
    )
    six = attributor.origin("six")
    assert (six.distribution, six.category, six.package) == ("six", "runtime SDK", "runtime SDK")


def test_the_function_shadows_a_layer_and_stdlib_names(tmp_path, names):
    function = tmp_path / "function"
    layer = tmp_path / "layer" / "python"
    function.mkdir()
    layer.mkdir(parents=True)
    (function / "shared.py").write_text("X = 1\n")
    (layer / "shared.py").write_text("X = 2\n")
    (function / "enum.py").write_text("# an old backport shipped by mistake\n")
    contexts = package_contexts(function, [tmp_path / "layer"], None, VERSION)
    attributor = build_attributor(contexts, names)
    assert attributor.origin("shared").category == "function code"
    assert attributor.origin("enum").category == "function code"


def test_sizes_per_distribution_come_from_the_package(names):
    contexts = package_contexts(FIXTURES / "known_tree", (), None, VERSION)
    sizes = package_sizes(contexts)
    slow_b = FIXTURES / "known_tree" / "slow_b.py"
    dist_info = FIXTURES / "known_tree" / "slow_b-1.0.dist-info"
    expected = slow_b.stat().st_size + sum(f.stat().st_size for f in dist_info.iterdir())
    assert sizes[("function", "slow-b")][0] == expected
    assert sizes[("function", "slow-b")][1] > 0
    assert ("function", None) in sizes  # the function's own code
