"""analyze --add: what a dependency would cost, from a real pip install for the target.

Skipped cleanly where the package index cannot be reached."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_markdown_gfm import expected_tables, markup, parsed_tables

from coldprof.analyze.add import pip_failure, with_additions
from coldprof.analyze.result import Limit
from coldprof.cli import main
from coldprof.render import layout, render
from coldprof.render.added import added_sections
from coldprof.results import loads, to_json

APP = """import requests


def handler(event, context):
    return {"requests": requests.__version__}
"""
OFFLINE = "cannot reach the package index"


def analyze(*args: str, exit_code: int = 0):
    """analyze's result record (skips the test when the package index is out of reach)."""
    result = CliRunner().invoke(main, ["analyze", *args, "--format", "json"])
    if result.exit_code == 1 and OFFLINE in result.stderr:
        pytest.skip(f"the package index is unreachable: {result.stderr.strip()}")
    assert result.exit_code == exit_code, result.stderr
    return loads(result.stdout, "analyze") if exit_code == 0 else result


@pytest.fixture(scope="module")
def function(pip_target, tmp_path_factory) -> Path:
    """A function that bundles requests (and its dependencies)."""
    folder = tmp_path_factory.mktemp("with-requests") / "build"
    shutil.copytree(pip_target("requests", extra=("--no-compile",)), folder)
    (folder / "app.py").write_text(APP, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def added(function):
    """analyze --add requests-toolbelt with the handler's init measured."""
    return analyze(str(function), "--add", "requests-toolbelt", "--handler", "app.handler",
                   "--repeat", "2")  # fmt: skip


def _installed_bytes(requirement: str, folder: Path) -> int:
    """The oracle: pip itself installs the one distribution, alone, and its files are summed."""
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile"]
    subprocess.run([*command, "--target", str(folder), requirement], check=True)
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_add_counts_only_what_the_package_does_not_hold(added, tmp_path):
    extra = added.added
    (row,) = extra.distributions
    assert row.name == "requests-toolbelt" and row.requested and not row.runtime_provided
    assert {text.split()[0] for text in extra.already_present} >= {"requests", "urllib3", "idna"}
    oracle = _installed_bytes(f"requests-toolbelt=={row.version}", tmp_path / "oracle")
    assert extra.unzipped_bytes == row.unzipped_bytes == oracle
    assert 0 < extra.zipped_bytes < extra.unzipped_bytes and extra.files == row.files
    assert extra.python_version == f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert (
        extra.platforms[0].startswith("manylinux_2_") and "manylinux2014_x86_64" in extra.platforms
    )


def test_add_checks_lambda_s_limits_with_the_additions(added):
    before = {limit.name: limit for limit in added.limits}
    for limit in added.added.limits:
        grown = limit.actual_bytes - before[limit.name].actual_bytes
        kind = "zipped" if limit.name.startswith("zipped") else "unzipped"
        assert grown == getattr(added.added, f"{kind}_bytes") and limit.ok


def test_a_limit_the_additions_would_break_is_said():
    limits = [Limit(name="zipped (direct upload)", limit_bytes=100, actual_bytes=60,
                    headroom_bytes=40, ok=True)]  # fmt: skip
    (changed,) = with_additions(limits, zipped_bytes=50, unzipped_bytes=1000)
    assert changed.actual_bytes == 110 and changed.headroom_bytes == -10 and not changed.ok


def test_add_with_a_handler_measures_the_init_the_new_modules_add(added):
    init = added.added.init
    assert init.handler == "app.handler" and init.modules == ("requests_toolbelt",)
    assert init.without_ms.n == init.with_ms.n == 2 and init.error_type is None
    assert init.added_ms == pytest.approx(init.with_ms.median - init.without_ms.median)
    assert init.within_noise in (True, False)


def test_the_added_sections_are_valid_gfm_tables(added):
    markdown = render(added, "markdown")
    tables = parsed_tables(markdown)
    assert expected_tables(added_sections(added.added)) == tables[-3:]
    assert markup(markdown) == set()
    assert "Adding requests-toolbelt" in markdown


def test_a_package_pip_cannot_find_is_one_line(function):
    result = analyze(str(function), "--add", "coldprof-no-such-package-4815162342", exit_code=1)
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("coldprof: error: --add coldprof-no-such-package-4815162342: pip could")
    assert "No matching distribution found" in line


def test_a_requirement_that_is_not_a_package_name_is_refused(function):
    result = CliRunner().invoke(main, ["analyze", str(function), "--add=--index-url=http://x"])
    assert result.exit_code == 2 and "--add '--index-url=http://x': expected a package name" in (
        result.stderr
    )


def test_no_index_access_is_one_line(function, monkeypatch):
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens: every fetch fails
    monkeypatch.setenv("PIP_INDEX_URL", "https://pypi.org/simple")
    result = CliRunner().invoke(main, ["analyze", str(function), "--add", "coldprof-offline-xyz"])
    runtime = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "coldprof: error: --add coldprof-offline-xyz: cannot reach the package index (no "
        f"network, or a proxy refused); pip could not resolve it for {runtime} x86_64"
    )


def test_pip_s_words_for_no_index_access_are_read_as_such():
    stderr = (
        "WARNING: Retrying (Retry(total=0)) after connection broken by 'NewConnectionError("
        "'Failed to establish a new connection: [Errno 111] Connection refused')': /simple/six/\n"
        "ERROR: Could not find a version that satisfies the requirement six (from versions: none)\n"
        "ERROR: No matching distribution found for six\n"
    )
    assert pip_failure(stderr, "six", "python3.12 x86_64") == (
        "--add six: cannot reach the package index (no network, or a proxy refused); pip could "
        "not resolve it for python3.12 x86_64"
    )


@pytest.mark.parametrize("width", [72, 80])
def test_the_added_tables_fit_the_terminal_as_analyze_s_do(added, width):
    text = layout.terminal(None, added_sections(added.added), width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "Distributions it adds" in text and "requests-toolbelt" in text


def test_conflicts_and_what_the_runtime_provides_are_reported(function, tmp_path):
    """six.py vendored without its dist-info, then --add six (which Lambda's runtime ships)
    and --add requests at a version the package does not hold."""
    vendored = tmp_path / "build"
    shutil.copytree(function, vendored)
    (vendored / "six.py").write_text("# vendored\n", encoding="utf-8")
    held = next(vendored.glob("requests-*.dist-info")).name.removesuffix(".dist-info").split("-")[1]
    result = analyze(str(vendored), "--add", "six", "--add", "requests==2.0.0")
    extra = result.added
    assert [(c.code, c.distribution) for c in extra.conflicts] == [
        ("other-version", "requests"),
        ("file-present", "six"),
    ]
    assert extra.conflicts[0].held_version == held
    assert extra.conflicts[0].requirement == "requests==2.0.0"
    assert extra.conflicts[1].path == "six.py"
    (row,) = extra.distributions
    assert row.name == "six" and row.runtime_provided
    text = "\n".join(" | ".join(map(str, row)) for s in added_sections(extra) for row in s.rows)
    assert f"requests==2.0.0: the package holds requests {held}; a version change" in text
    assert "six.py (six) is in the package already: adding would replace it" in text
    assert f"the Lambda runtime provides | six {row.version}: " in text
    assert "leave them out to use the runtime's copy" in text
    assert loads(to_json(result), "analyze") == result
