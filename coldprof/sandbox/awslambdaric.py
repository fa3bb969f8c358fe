"""AWS's runtime interface client (awslambdaric) for the `--runtime-client awslambdaric` mode.

It must be installed for the interpreter that runs the function: its C extension
(runtime_client.cpython-3XY-*.so) loads only on the Python version it was built for. The
interpreter is asked where its awslambdaric is; its modules (awslambdaric, runtime_client,
simplejson, snapshot_restore_py) are linked into a runtime folder that plays Lambda's
/var/runtime, so nothing else of that interpreter's site-packages reaches the function.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from coldprof.errors import UsageError
from coldprof.sandbox.interpreter import InterpreterInfo, interpreter_info
from coldprof.sandbox.process import run_to_end

INSTALL_HINT = 'pip install "coldprof[awslambdaric]"'
PROBE_TIMEOUT_S = 60.0
MODULES = ("awslambdaric", "runtime_client", "simplejson", "snapshot_restore_py")
# Prints where each module is (its file, or its package's folder), or why it does not import.
PROBE = f"""import json, os, sys
found = {{}}
for name in {MODULES!r}:
    try:
        module = __import__(name)
    except Exception as error:
        found[name] = {{"error": "%s: %s" % (type(error).__name__, error)}}
        continue
    path = module.__file__
    if os.path.basename(path).startswith("__init__."):
        path = os.path.dirname(path)
    found[name] = {{"path": path}}
print(json.dumps(found))
"""


@functools.cache
def installed_modules(executable: str) -> dict[str, dict[str, str]]:
    """Where that interpreter finds awslambdaric and its companions (or why it does not)."""
    done = run_to_end([executable, "-I", "-c", PROBE], {"PATH": "/usr/bin:/bin"}, PROBE_TIMEOUT_S)
    try:
        return json.loads(done.stdout)
    except ValueError:
        return {name: {"error": done.stderr.strip()[-300:]} for name in MODULES}


def _missing_message(info: InterpreterInfo, error: str) -> str:
    """What to say when the function's interpreter has no working awslambdaric."""
    version = f"{info.version[0]}.{info.version[1]}"
    own = interpreter_info(None)
    if own.version != info.version and "path" in installed_modules(own.executable).get(
        "awslambdaric", {}
    ):
        return (
            f"--runtime-client awslambdaric: awslambdaric is installed for Python "
            f"{own.version[0]}.{own.version[1]} (coldprof's own), but the function runs on "
            f"Python {version} ({info.executable}), and its C extension loads only on the "
            f"version it was built for: install it there ({info.executable} -m pip install "
            f"awslambdaric) or run the function on Python {own.version[0]}.{own.version[1]}"
        )
    return (
        f"--runtime-client awslambdaric: awslambdaric does not load on Python {version} "
        f"({info.executable}): {error}; install it: {INSTALL_HINT} (for another Python: "
        f"{info.executable} -m pip install awslambdaric)"
    )


@functools.cache
def runtime_folder(info: InterpreterInfo) -> Path:
    """A folder holding links to that interpreter's awslambdaric and its companions (removed
    when coldprof exits); UsageError with what to do when it has none that loads."""
    found = installed_modules(info.executable)
    for name in ("awslambdaric", "runtime_client"):
        if "path" not in found.get(name, {}):
            raise UsageError(_missing_message(info, found.get(name, {}).get("error", "missing")))
    folder = Path(tempfile.mkdtemp(prefix="coldprof-runtime-"))
    atexit.register(shutil.rmtree, folder, True)
    for name in MODULES:
        path = found.get(name, {}).get("path")
        if path:
            os.symlink(path, folder / os.path.basename(path))
    return folder


def available() -> bool:
    """True when coldprof's own interpreter has awslambdaric (the tests' question)."""
    return "path" in installed_modules(sys.executable).get("runtime_client", {})
