"""The function under test: one record with Lambda's defaults, one interpreter lookup, and the
same verdict from every command that runs the handler."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_serve import invoke, lambda_client
from test_serve_cli import serve_process

from coldprof.cli import main
from coldprof.data import lambda_facts
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig, with_settings
from coldprof.sandbox import find_interpreter, interpreter_info

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ROOT / "fixtures" / "handlers"
HUNGRY = HANDLERS / "allocates_200mb_at_init"
SDK_AND_ENV = HANDLERS / "uses_sdk_and_env"
PYENV_SHIM = "#!/bin/sh\necho 'pyenv: {name}: command not found' >&2\nexit 127\n"
NOT_FOUND = (
    "--runtime python3.12: no working Python 3.12 on PATH or among pyenv's and uv's installs; "
    "install one (uv python install 3.12, or pyenv install 3.12) or pass --python"
)


def real_pyenv_python(version: str) -> Path | None:
    """The binary of an installed pyenv version (~/.pyenv/versions/3.X.Y/bin/python3.X)."""
    found = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    return found[-1] if found else None


def fake_shim(folder: Path, name: str) -> Path:
    """A version manager's shim that does not resolve, as pyenv's does without that version."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / name
    shim.write_text(PYENV_SHIM.format(name=name))
    shim.chmod(0o755)
    return shim


@pytest.fixture
def only_a_broken_shim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH holds a failing python3.12 shim before the system folders; no pyenv, no uv."""
    shims = tmp_path / "shims"
    fake_shim(shims, "python3.12")
    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "no-uv"))
    return tmp_path


# --- the record -----------------------------------------------------------------------------


def test_defaults_are_lambdas_own_from_the_data_file():
    defaults = lambda_facts()["defaults"]
    function = FunctionConfig(target=Path("build"))
    assert (function.memory_mb, function.timeout_s) == (128, 3.0)
    assert (function.memory_mb, function.timeout_s, function.region, function.arch) == (
        defaults["memory_mb"],
        defaults["timeout_s"],
        defaults["region"],
        defaults["arch"],
    )
    with pytest.raises(TypeError):
        FunctionConfig(Path("build"), "app.handler")  # keywords only


def test_settings_apply_over_a_function_and_env_is_merged():
    function = FunctionConfig(target=Path("build"), env={"STAGE": "dev", "KEEP": "1"})
    changed = with_settings(function, {"memory_mb": 512, "env": {"STAGE": "prod"}})
    assert changed.memory_mb == 512 and changed.timeout_s == 3.0
    assert changed.env == {"STAGE": "prod", "KEEP": "1"}


# --- finding the interpreter -----------------------------------------------------------------


def test_no_python_and_no_runtime_is_the_interpreter_running_coldprof():
    info = find_interpreter(None, None)
    assert info.executable == sys.executable
    here = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert info.runtime == here
    assert find_interpreter(None, here).executable == sys.executable


def test_a_broken_shim_on_path_is_skipped_for_pyenvs_real_binary(
    only_a_broken_shim: Path, monkeypatch: pytest.MonkeyPatch
):
    binary = real_pyenv_python("3.12")
    if binary is None:
        pytest.skip("pyenv has no Python 3.12 here")
    monkeypatch.setenv("PYENV_ROOT", str(binary.parents[3]))
    info = find_interpreter(None, "python3.12")
    assert info.runtime == "python3.12"
    assert info.executable == str(binary)  # the real sys.executable, never the shim


def test_uvs_pythons_are_found_newest_first_free_threaded_left_out(
    only_a_broken_shim: Path, monkeypatch: pytest.MonkeyPatch
):
    binary = real_pyenv_python("3.12")
    if binary is None:
        pytest.skip("no Python 3.12 here to stand for uv's")
    uv = only_a_broken_shim / "uv-pythons"
    for folder in ("cpython-3.12.1-linux-x86_64-gnu", "cpython-3.12.9+freethreaded-linux"):
        (uv / folder / "bin").mkdir(parents=True)
        (uv / folder / "bin" / "python3.12").symlink_to(binary)
    (uv / "cpython-3.12.5-linux-x86_64-gnu" / "bin").mkdir(parents=True)
    fake_shim(uv / "cpython-3.12.5-linux-x86_64-gnu" / "bin", "python3.12")  # broken install
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(uv))
    info = find_interpreter(None, "python3.12")
    assert info.executable == str(uv / "cpython-3.12.1-linux-x86_64-gnu" / "bin" / "python3.12")
    assert info.runtime == "python3.12"


def test_nothing_found_is_one_line_naming_the_runtime_and_what_to_install(only_a_broken_shim):
    with pytest.raises(UsageError) as caught:
        find_interpreter(None, "python3.12")
    assert caught.value.message == NOT_FOUND


def test_python_and_runtime_must_agree():
    with pytest.raises(UsageError, match=r"--runtime python3\.9 does not match the interpreter"):
        find_interpreter(sys.executable, "python3.9")
    with pytest.raises(UsageError, match=r"unknown runtime 'python2\.7'"):
        find_interpreter(None, "python2.7")


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_runtime_alone_runs_the_handler_under_that_version(version, tmp_path):
    binary = real_pyenv_python(version)
    if binary is None:
        pytest.skip(f"pyenv has no Python {version} here")
    fake_shim(tmp_path, f"python{version}")
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    env["PYENV_ROOT"] = str(binary.parents[3])
    code = "from coldprof.cli import main; main()"
    args = ["invoke", str(HANDLERS / "inspect_environment"), "--handler", "app.handler"]
    done = subprocess.run(
        [sys.executable, "-c", code, *args, "--runtime", f"python{version}"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["env"]["AWS_EXECUTION_ENV"] == f"AWS_Lambda_python{version}"
    assert any(path.endswith(f"lib/python{version}") for path in seen["sys_path"])
    assert interpreter_info(str(binary)).runtime == f"python{version}"


def test_no_interpreter_for_the_runtime_is_a_usage_error_on_the_command_line(
    only_a_broken_shim: Path,
):
    args = ["invoke", str(HANDLERS / "trivial"), "--handler", "app.handler"]
    result = CliRunner().invoke(main, [*args, "--runtime", "python3.12"])
    assert result.exit_code == 2
    assert result.stderr == f"coldprof: error: {NOT_FOUND}\n"


# --- one verdict from every command ----------------------------------------------------------


def verdict_of_imports(memory: tuple[str, ...]) -> str | None:
    args = ["imports", str(HUNGRY), "--handler", "app.handler", "--repeat", "1"]
    result = CliRunner().invoke(main, [*args, *memory, "--format", "json"])
    error = json.loads(result.stdout)["error"]
    return error["type"] if error else None


def verdict_of_invoke(memory: tuple[str, ...]) -> str | None:
    result = CliRunner().invoke(main, ["invoke", str(HUNGRY), "--handler", "app.handler", *memory])
    return json.loads(result.stdout).get("errorType")


def verdict_of_bench(memory: tuple[str, ...]) -> str | None:
    args = ["bench", str(HUNGRY), "--handler", "app.handler", "--cold", "1", "--warm", "0"]
    result = CliRunner().invoke(main, [*args, "--warmup", "0", *memory, "--format", "json"])
    errors = json.loads(result.stdout)["errors"]
    return errors[0]["type"] if errors else None


def verdict_of_check(memory: tuple[str, ...], folder: Path) -> str | None:
    config = folder / "pyproject.toml"
    config.write_text(
        f'[tool.coldprof]\ntarget = "{HUNGRY}"\nhandler = "app.handler"\nruns = 1\n\n'
        '[tool.coldprof.budget]\ninit_ms = "30 s"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "--config", str(config), *memory])
    if "Runtime.OutOfMemory" in result.stdout:
        return "Runtime.OutOfMemory"
    assert result.exit_code == 0, result.output
    return None


def verdict_of_serve(memory: tuple[str, ...]) -> str | None:
    own = ",memory=512" if memory else ""  # the function's own setting, as serve takes it
    with serve_process("--function", f"hungry={HUNGRY}:app.handler{own}") as (process, url, _):
        response, payload, _ = invoke(lambda_client(url), "hungry")
        process.send_signal(signal.SIGTERM)
    assert ("FunctionError" in response) == ("errorType" in payload)
    return payload.get("errorType")


@pytest.mark.parametrize(
    ("memory", "expected"),
    [((), "Runtime.OutOfMemory"), (("--memory", "512"), None)],
    ids=["lambdas-default-128-mb", "512-mb"],
)
def test_every_command_gives_the_same_verdict_on_the_same_function(memory, expected, tmp_path):
    verdicts = {
        "imports": verdict_of_imports(memory),
        "invoke": verdict_of_invoke(memory),
        "bench": verdict_of_bench(memory),
        "check": verdict_of_check(memory, tmp_path),
        "serve": verdict_of_serve(memory),
    }
    assert verdicts == dict.fromkeys(verdicts, expected)


# --- [tool.coldprof] runs the function it describes ------------------------------------------


def test_check_runs_the_handler_with_the_runtime_sdk_and_env_of_the_config(tmp_path, sdk_target):
    sdk = sdk_target  # boto3 and its dependencies, installed with pip
    config = tmp_path / "pyproject.toml"
    top = f'[tool.coldprof]\ntarget = "{SDK_AND_ENV}"\nhandler = "app.handler"\nruns = 1\n'
    budget = '\n[tool.coldprof.budget]\ninit_ms = "60 s"\n'
    config.write_text(top + budget, encoding="utf-8")
    without = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert without.exit_code == 1
    assert "No module named 'boto3'" in without.stdout
    config.write_text(top + f'runtime_sdk = "{sdk}"\nenv = {{STAGE = "ci"}}\n' + budget)
    with_sdk = CliRunner().invoke(main, ["check", "--config", str(config), "--format", "json"])
    assert with_sdk.exit_code == 0, with_sdk.output
    assert json.loads(with_sdk.stdout)["measurements"]["init_ms"]["n"] == 1


# --- start-up ----------------------------------------------------------------------------------


def test_the_command_line_does_not_import_boto3_at_start_up():
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import coldprof.cli"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    names = {row.rsplit("|", 1)[1].strip() for row in rows[1:]}
    assert {"click", "coldprof.cli", "coldprof.function"} <= names
    assert not {name for name in names if name.split(".")[0] in ("boto3", "botocore")}


def test_lazy_imports_is_a_setting_of_the_function_on_every_command(tmp_path):
    xoptions = HANDLERS / "reports_xoptions"
    runner = CliRunner()
    args = ["invoke", str(xoptions), "--handler", "app.handler"]
    assert json.loads(runner.invoke(main, args).stdout) == {}
    done = runner.invoke(main, [*args, "--lazy-imports", "all"])
    assert json.loads(done.stdout) == {"lazy_imports": "all"}
    refused = runner.invoke(main, [*args, "--lazy-imports", "some"])
    assert refused.exit_code == 2 and "expected all or normal" in refused.output
    assert with_settings(FunctionConfig(target=xoptions), {"lazy_imports": "normal"}).lazy_imports
    with serve_process("--function", f"x={xoptions}:app.handler,lazy_imports=normal") as served:
        process, url, _ = served
        _, payload, _ = invoke(lambda_client(url), "x")
        process.send_signal(signal.SIGTERM)
    assert payload == {"lazy_imports": "normal"}


@pytest.mark.parametrize("command", ["imports", "invoke", "bench", "check", "slim"])
def test_every_command_that_runs_the_handler_takes_every_setting_of_the_function(command):
    """The same settings on every command that runs the handler (check takes the package itself
    from [tool.coldprof]): a setting added to the record reaches them all."""
    from coldprof.cli.function import RUN_KEYS
    from coldprof.function import KEYS

    taken = {parameter.name for parameter in main.commands[command].params}
    package = {"target", "handler", "layers"} if command == "check" else set()
    assert {KEYS[key] for key in set(RUN_KEYS) - package} - taken == set()
