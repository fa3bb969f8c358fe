"""The sandbox holds: the package is read-only for the function (a mount namespace, or an audit
hook where none can be made), and the user's AWS credentials stay out unless asked for."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from coldprof.bench import BenchOptions, bench
from coldprof.cli.invoke import invoke
from coldprof.config import load_config
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig, environment_spec
from coldprof.render import render
from coldprof.sandbox import Environment, awslambdaric, readonly
from coldprof.serve import parse_function
from helpers import sandbox_spec, tree_snapshot, zip_folder

RUNTIME = Path(__file__).resolve().parent.parent / "fixtures" / "runtime"
WRITES = RUNTIME / "writes_package"
CREDENTIALS = RUNTIME / "credentials"
READ_ONLY = "[Errno 30] Read-only file system"
KEY_ID, SECRET, TOKEN = "AKIAEXAMPLEKEYID0001", "sEcReT/value+that-must-never-show", "t0k3n-never"


def write_attempts(spec, layer: Path | None = None) -> tuple[dict, str]:
    """What each write attempt gave inside the environment, and how it was kept read-only."""
    with Environment(spec) as environment:
        init = environment.start()
        assert init.ok, init.error
        result = environment.invoke({"layer": str(layer) if layer else None})
    return result.response, init.read_only


def assert_all_refused(seen: dict) -> None:
    assert seen.pop("tmp") == "written"  # its own /tmp stays writable
    refused = {name: message.startswith(READ_ONLY) for name, message in seen.items()}
    assert all(refused.values()), seen


@pytest.mark.parametrize("mode", ["mount-namespace", "audit-hook"])
def test_the_package_and_its_layers_are_read_only_in_both_ways(tmp_path, mode):
    if mode == "mount-namespace" and not readonly.namespace_works(sys.executable):
        pytest.skip("no mount namespace can be made here")
    layer = tmp_path / "layer"
    (layer / "python").mkdir(parents=True)
    (layer / "python" / "shared.py").write_text("NAME = 'layer'\n")
    before = (tree_snapshot(WRITES), tree_snapshot(layer))
    spec = dataclasses.replace(sandbox_spec(WRITES, layers=(layer,)), read_only=mode)
    seen, used = write_attempts(spec, layer)
    assert used == mode
    assert seen["rename"].endswith("/app.py' -> '" + str(WRITES / "b.py") + "'")
    assert seen["open relative"] == f"{READ_ONLY}: 'app.py'"  # the working directory too
    assert_all_refused(seen)
    assert (tree_snapshot(WRITES), tree_snapshot(layer)) == before  # byte-identical


def test_auto_uses_what_this_machine_allows_and_says_which():
    seen, used = write_attempts(sandbox_spec(WRITES))
    assert used == readonly.read_only_mode("auto", sys.executable)
    assert readonly.read_only_mode("audit-hook", sys.executable) == "audit-hook"
    assert_all_refused(seen)


@pytest.mark.skipif(not awslambdaric.available(), reason=awslambdaric.INSTALL_HINT)
def test_the_awslambdaric_mode_is_read_only_too():
    before = tree_snapshot(WRITES)
    spec = sandbox_spec(WRITES, runtime_client="awslambdaric")
    for mode in ("auto", "audit-hook"):
        seen, _ = write_attempts(dataclasses.replace(spec, read_only=mode))
        assert_all_refused(seen)
    assert tree_snapshot(WRITES) == before


def test_an_extracted_zip_is_read_only_even_for_root(tmp_path):
    archive = zip_folder(WRITES, tmp_path / "function.zip")
    result = CliRunner().invoke(invoke, [str(archive), "--handler", "app.handler"])
    assert result.exit_code == 0, result.stderr
    seen = json.loads(result.stdout)
    assert_all_refused(seen)


def credentials_seen(*args: str) -> tuple[dict, str]:
    """The credentials handler's report through `coldprof invoke`, and all it printed."""
    result = CliRunner().invoke(invoke, [str(CREDENTIALS), "--handler", "app.handler", *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stdout + result.stderr


@pytest.fixture
def user_with_credentials(monkeypatch, tmp_path) -> Path:
    """coldprof run by a user who has AWS credentials everywhere: variables, ~/.aws, a profile."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    files = home / ".aws" / "credentials"
    files.write_text(
        f"[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = {SECRET}\n"
        f"[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = {SECRET}\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(files))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    return home


def test_by_default_the_function_gets_none_of_the_users_credentials(user_with_credentials):
    seen, printed = credentials_seen()
    assert seen == {
        "key_id": None,
        "secret_sha256": None,
        "session_token": False,
        "home_aws": False,  # HOME is the environment's own folder
        "files": [os.devnull, os.devnull],
        "metadata_disabled": "true",
    }
    assert SECRET not in printed


def test_from_environment_passes_the_variables_and_prints_no_secret(user_with_credentials):
    seen, printed = credentials_seen("--credentials", "from-environment")
    assert seen["key_id"] == KEY_ID
    assert seen["secret_sha256"] == hashlib.sha256(SECRET.encode()).hexdigest()
    assert seen["session_token"] is True
    assert SECRET not in printed and TOKEN not in printed


def test_a_profile_passes_its_credentials(user_with_credentials, monkeypatch):
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    seen, printed = credentials_seen("--credentials", "profile:dev")
    assert (seen["key_id"], seen["session_token"]) == ("AKIADEV", False)
    assert seen["secret_sha256"] == hashlib.sha256(SECRET.encode()).hexdigest()
    assert SECRET not in printed


def test_credentials_that_cannot_be_found_are_one_line_without_secrets(user_with_credentials):
    for args, expected in [
        (("--credentials", "profile:nope"), "--credentials profile:nope: no such AWS profile"),
        (("--credentials", "token"), "none, from-environment or profile:NAME"),
    ]:
        result = CliRunner().invoke(invoke, [str(CREDENTIALS), "--handler", "app.handler", *args])
        assert result.exit_code != 0 and expected in result.output + result.stderr
        assert SECRET not in result.output + result.stderr


def test_credentials_in_env_are_refused_with_the_way_to_pass_them(user_with_credentials):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        args = [str(CREDENTIALS), "--handler", "app.handler", "--env", f"{name}={SECRET}"]
        result = CliRunner().invoke(invoke, args)
        assert result.exit_code == 2
        expected = f"{name} is reserved (credentials reach the function only through --credentials"
        assert expected in result.stderr
        assert SECRET not in result.output + result.stderr


def test_from_environment_without_variables_is_a_usage_error(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    function = FunctionConfig(
        target=CREDENTIALS, handler="app.handler", credentials="from-environment"
    )
    with pytest.raises(UsageError, match="AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"):
        environment_spec(function)


def test_no_result_record_holds_a_secret(user_with_credentials):
    function = FunctionConfig(
        target=CREDENTIALS, handler="app.handler", credentials="from-environment"
    )
    result = bench(function, BenchOptions(cold=1, warm=1, warmup=0))
    assert not result.errors
    for fmt in ("json", "table", "markdown", "csv"):
        text = render(result, fmt)
        assert SECRET not in text and TOKEN not in text
    spec = environment_spec(function.resolved())
    assert SECRET not in repr(spec)  # the spec holds them, but never shows them


def test_serve_and_tool_coldprof_take_the_same_key(user_with_credentials, tmp_path):
    function = parse_function(f"creds={CREDENTIALS}:app.handler,credentials=from-environment")
    assert function.credentials == "from-environment"
    config = tmp_path / "pyproject.toml"
    config.write_text(
        f'[tool.coldprof]\ntarget = "{CREDENTIALS}"\nhandler = "app.handler"\n'
        'credentials = "profile:dev"\n'
    )
    assert load_config(config).function.credentials == "profile:dev"
    config.write_text(config.read_text().replace("profile:dev", "mine"))
    with pytest.raises(UsageError, match="none, from-environment or profile:NAME"):
        load_config(config)


PAST_THE_HOOK = RUNTIME / "writes_past_the_hook"


@pytest.mark.parametrize("mode", ["mount-namespace", "audit-hook"])
def test_writes_the_audit_hook_does_not_see_are_reported(tmp_path, mode):
    """A subprocess, os.mkfifo and os.mknod write past the audit hook (no audit event stops
    them): the package's listing, compared after the invocation, names what changed. A mount
    namespace refuses them all."""
    if mode == "mount-namespace" and not readonly.namespace_works(sys.executable):
        pytest.skip("no mount namespace can be made here")
    package = tmp_path / "package"
    shutil.copytree(PAST_THE_HOOK, package)
    spec = dataclasses.replace(sandbox_spec(package), read_only=mode)
    with Environment(spec) as environment:
        init = environment.start()
        result = environment.invoke({})
    assert init.ok and init.read_only == mode and init.package_changed == ()
    if mode == "audit-hook":
        assert set(result.response.values()) == {"written"}
        assert result.package_changed == ("fifo", "node", "touched")
    else:
        assert all("Read-only file system" in seen for seen in result.response.values())
        assert result.package_changed == ()


def test_invoke_says_what_changed_in_the_package_past_the_hook(tmp_path, monkeypatch):
    package = tmp_path / "package"
    shutil.copytree(PAST_THE_HOOK, package)
    invoking = importlib.import_module("coldprof.bench.invoke")
    built = invoking.environment_spec  # the audit hook forced, as where no namespace can be made
    monkeypatch.setattr(
        invoking,
        "environment_spec",
        lambda function: dataclasses.replace(built(function), read_only="audit-hook"),
    )
    result = CliRunner().invoke(invoke, [str(package), "--handler", "app.handler"])
    assert result.exit_code == 0, result.stderr
    assert (
        "coldprof: package changed though read-only on Lambda: fifo, node, touched (only an "
        "audit hook guarded it here" in result.stderr
    )


@pytest.mark.skipif(not awslambdaric.available(), reason=awslambdaric.INSTALL_HINT)
def test_a_runtime_installed_under_tmp_is_bound_back_in_the_environments_tmp(tmp_path):
    """In the mount namespace the literal /tmp is the environment's own folder. What the child
    needs from the machine's /tmp (a package, awslambdaric in a venv there: folders, and single
    files like its C extension) is bound back, and the package stays read-only: a checkout in
    /tmp works as one anywhere else."""
    if not readonly.namespace_works(sys.executable):
        pytest.skip("needs a mount namespace this user may make")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    found = awslambdaric.installed_modules(sys.executable).values()
    for source in (Path(where["path"]) for where in found if "path" in where):
        copy = shutil.copytree if source.is_dir() else shutil.copy2
        copy(source, site / source.name)
    package = shutil.copytree(WRITES, tmp_path / "package")
    args = [str(package), "--handler", "app.handler", "--runtime-client", "awslambdaric"]
    result = CliRunner().invoke(invoke, [*args, "--python", str(venv / "bin" / "python")])
    assert result.exit_code == 0, result.stderr
    assert "audit hook" not in result.stderr
    assert_all_refused(json.loads(result.stdout))
