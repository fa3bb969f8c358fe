"""The sandbox holds against its handler and against being stopped: whatever a handler writes
into coldprof's control pipe, coldprof's environment stays its own, and SIGTERM or SIGHUP end
every environment and remove every temporary folder (real subprocesses, real signals)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from coldprof.sandbox import Environment
from coldprof.sandbox.storage import RAM_FOLDER
from coldprof.sandbox.syscalls import PR_GET_DUMPABLE, prctl
from helpers import sandbox_spec, zip_folder

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ROOT / "fixtures" / "handlers"
WRITER = HANDLERS / "writes_control_pipe"
GARBAGE = {
    "not json": "this is not json",
    "deeply nested": "[" * 200_000,
    "deeply nested object": '{"ok": true, "duration_ns": 1, "body": ' + "[" * 100_000,
    "huge number": '{"ok": true, "duration_ns": ' + "9" * 5000 + ', "body": "1"}',
    "infinite duration": '{"ok": true, "duration_ns": 1e999, "body": "1"}',
    "duration as text": '{"ok": true, "duration_ns": "12", "body": "1"}',
    "no body": '{"ok": true, "duration_ns": 12}',
    "body not text": '{"ok": true, "duration_ns": 12, "body": 5}',
    "content type not text": '{"ok": true, "duration_ns": 1, "content_type": 3, "body": "1"}',
    "binary body out of range": '{"ok": true, "duration_ns": 1, "body_latin1": "\\u0100"}',
    "error body not an error": '{"ok": false, "duration_ns": 12, "body": "5"}',
    "error type a number": (
        '{"ok": false, "duration_ns": 1, "body": "{\\"errorType\\": 1, \\"errorMessage\\": '
        '\\"m\\"}"}'
    ),
    "stack trace of numbers": (
        '{"ok": false, "duration_ns": 1, "body": "{\\"errorType\\": \\"E\\", '
        '\\"errorMessage\\": \\"m\\", \\"stackTrace\\": [1, 2]}"}'
    ),
    "response size as text": '{"ok": false, "duration_ns": 1, "response_bytes": "big"}',
    "left running malformed": '{"ok": true, "duration_ns": 1, "body": "1", "left": [{"id": 1}]}',
    "import time as text": '{"ok": true, "duration_ns": 1, "body": "1", "import_ns": "1"}',
    "import time negative": '{"ok": true, "duration_ns": 1, "body": "1", "import_ns": -5}',
    "usage not an object": '{"ok": true, "duration_ns": 1, "body": "1", "usage": [1]}',
    "usage of another method": (
        '{"ok": true, "duration_ns": 1, "body": "1", "usage": {"method": "guess", "used": [], '
        '"files": [], "refs": {}, "lazy": []}}'
    ),
    "usage files malformed": (
        '{"ok": true, "duration_ns": 1, "body": "1", "usage": {"method": "setprofile", '
        '"used": [], "files": [["0", "app.py"]], "refs": {}, "lazy": []}}'
    ),
    "a list": "[1, 2, 3]",
    "ok not a bool": '{"ok": "yes", "duration_ns": 1, "body": "1"}',
}


@pytest.mark.parametrize("payload", list(GARBAGE.values()), ids=list(GARBAGE))
def test_garbage_in_the_control_pipe_ends_the_environment_with_a_lambda_error(payload):
    with Environment(sandbox_spec(WRITER, timeout_s=10)) as environment:
        assert environment.start().ok
        result = environment.invoke({"payload": payload})
    assert not result.ok and result.environment_ended
    assert result.error.type == "Sandbox.ProtocolError"
    assert result.error.message.startswith(f"RequestId: {result.request_id} Error: ")
    assert set(result.response) == {"errorMessage", "errorType"}  # a platform error's payload


def test_a_well_formed_reply_the_handler_forges_is_not_taken_for_the_runtimes():
    """Without the request's token, the line the handler wrote would be this invocation's reply,
    the runtime's own would answer the next invocation, and so on, every reply one late."""
    forged = '{"ok": true, "duration_ns": 1000, "body": "\\"forged\\"", "left": []}'
    with Environment(sandbox_spec(WRITER, timeout_s=10)) as environment:
        assert environment.start().ok
        result = environment.invoke({"payload": forged})
    assert result.response != "forged" and result.environment_ended
    assert result.error.type == "Sandbox.ProtocolError"


def test_a_ready_line_the_handler_forges_at_init_is_not_taken_for_the_runtimes():
    spec = sandbox_spec(WRITER, env={"WRITE_AT_INIT": '{"ready": true}'})
    with Environment(spec) as environment:
        init = environment.start()
    assert not init.ok and init.error.type == "Sandbox.ProtocolError"


@pytest.mark.parametrize(
    "payload",
    [
        '{"error": {"errorType": 5}}',
        '{"ready": true, "more": 1}',
        '{"init_error": "not an error"}',
        '{"init_error": 5}',
        "[" * 100_000,
    ],
)
def test_garbage_at_init_ends_the_environment_with_a_lambda_error(payload):
    spec = sandbox_spec(WRITER, env={"WRITE_AT_INIT": payload})
    with Environment(spec) as environment:
        init = environment.start()
    assert not init.ok
    assert init.error.type == "Sandbox.ProtocolError"


def test_coldprof_is_not_dumpable_once_it_runs_an_environment():
    with Environment(sandbox_spec(HANDLERS / "reads_parent_environ")) as environment:
        assert environment.start().ok
        result = environment.invoke({})
    assert prctl(PR_GET_DUMPABLE) == 0
    if os.geteuid() == 0:  # documented: root (CAP_SYS_PTRACE) still reads it
        assert result.response["error"] is None


def test_a_handler_of_the_same_user_cannot_read_coldprofs_environment(tmp_path):
    """As an ordinary user, the handler (same user as coldprof) cannot read /proc/PPID/environ."""
    python = Path(f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}")
    if os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists() or not python.exists():
        pytest.skip("needs root, setpriv and a system Python to run coldprof as nobody")
    tmp_path.chmod(0o777)
    command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", str(python)]
    command += ["-m", "coldprof", "invoke", str(HANDLERS / "reads_parent_environ")]
    command += ["--handler", "app.handler", "--python", str(python)]
    site_packages = next(p for p in sys.path if p.endswith("site-packages"))
    env = {
        **os.environ,
        "TMPDIR": str(tmp_path),
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(ROOT), site_packages]),
        "SECRET_OF_USER": "x",
    }
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"error": "PermissionError"' in done.stdout
    assert "SECRET_OF_USER" not in done.stdout


def _helper(process: subprocess.Popen, timeout_s: float = 30) -> int:
    """The pid of the `sleep` the handler started (it is running once that exists)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(process.pid).children(recursive=True):
                if child.name() == "sleep":
                    return child.pid
        time.sleep(0.05)
    raise AssertionError("the handler never started its helper")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("command", ["invoke", "bench"])
def test_a_stop_signal_ends_every_environment_and_removes_every_folder(signum, command, tmp_path):
    package = zip_folder(HANDLERS / "hangs_in_handler", tmp_path / "function.zip")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    argv = [sys.executable, "-m", "coldprof", command, str(package), "--handler", "app.handler"]
    argv += ["--timeout", "60"]
    env = {**os.environ, "TMPDIR": str(scratch)}
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        helper = _helper(process)
        process.send_signal(signum)
        returncode = process.wait(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert returncode == 130
    assert not psutil.pid_exists(helper) or psutil.Process(helper).status() == "zombie"
    assert sorted(p.name for p in scratch.iterdir()) == []
    assert list(Path(RAM_FOLDER).glob(f"coldprof-tmp-{process.pid}-*")) == []  # tmpfs mount points
