"""Measure what Lambda's Python runtime imports before the handler, for coldprof's emulation.

Runs AWS's runtime interface client (awslambdaric) as Lambda's /var/runtime/bootstrap.py runs
it (`python bootstrap.py`: site enabled, then json, logging, os, site, sys, time, traceback,
warnings and awslambdaric.__main__, then sys.path and site.addsitedir for the task root, then
awslambdaric's main), under `-X importtime`, against a stub Runtime API on 127.0.0.1. A handler
module records every module loaded before it. Writes coldprof/data/runtime_start/python3.X.json:
every module in load order, which are the standard library's, and the standard-library modules
to import (in order) so that exactly that set is loaded, which is what coldprof's light
bootstrap does before the handler (docs/sandbox.md).

Usage: python tools/measure_runtime_start.py PYTHON [PYTHON ...]
(each PYTHON an interpreter, or a venv's, with awslambdaric installed: pip install awslambdaric)
"""

from __future__ import annotations

import datetime
import http.server
import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from coldprof.imports.parser import parse_rows
from coldprof.imports.tree import Node, build_forest

OUT = Path(__file__).resolve().parent.parent / "coldprof" / "data" / "runtime_start"
LAMBDA_BOOTSTRAP = """\
import json, logging, os, site, sys, time, traceback, warnings
import awslambdaric.__main__ as awslambdaricmain
sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
site.addsitedir(os.environ["LAMBDA_TASK_ROOT"])
awslambdaricmain.main([os.environ["LAMBDA_TASK_ROOT"], os.environ["_HANDLER"]])
"""
RECORDER = """\
import sys
LOADED = [name for name in sys.modules if name != __name__]
import json, os, sysconfig
STDLIB = sysconfig.get_paths()["stdlib"]
def is_stdlib(name):
    spec = getattr(sys.modules[name], "__spec__", None)
    origin = getattr(spec, "origin", None) or getattr(sys.modules[name], "__file__", None)
    if origin in (None, "built-in", "frozen") or name == "__main__":
        return origin is not None or name in sys.builtin_module_names
    return origin.startswith(STDLIB) and "site-packages" not in origin
import awslambdaric
with open(os.environ["COLDPROF_RECORD"], "w") as out:
    json.dump({"modules": LOADED, "stdlib": [n for n in LOADED if is_stdlib(n)],
               "python": sys.version.split()[0], "awslambdaric": awslambdaric.__version__}, out)
def handler(event, context):
    return None
"""


class StubRuntimeApi(http.server.BaseHTTPRequestHandler):
    """Answers one /next (an empty event) and accepts every POST."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if getattr(self.server, "served", False):
            threading.Event().wait(30)
            return
        self.server.served = True
        body = b"{}"
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "measure")
        self.send_header("Lambda-Runtime-Deadline-Ms", "99999999999999")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.server.posted.set()

    def log_message(self, *args: object) -> None:
        """Quiet."""


def run_once(python: str, runtime: str, folder: Path) -> tuple[dict, str]:
    """The recorder's output and the -X importtime rows of one real start."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubRuntimeApi)
    server.daemon_threads = True
    server.posted = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    task = folder / "task"
    task.mkdir(exist_ok=True)
    (task / "recorder.py").write_text(RECORDER)
    (folder / "bootstrap.py").write_text(LAMBDA_BOOTSTRAP)
    record = folder / "record.json"
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "LAMBDA_TASK_ROOT": str(task),
        "LAMBDA_RUNTIME_DIR": str(folder),
        "_HANDLER": "recorder.handler",
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
        "COLDPROF_RECORD": str(record),
    }
    child = subprocess.Popen(
        [python, "-X", "importtime", str(folder / "bootstrap.py")],
        env=env,
        cwd=task,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    server.posted.wait(60)
    child.kill()
    _, stderr = child.communicate()
    server.shutdown()
    return json.loads(record.read_text()), stderr


def roots(nodes: list[Node], stdlib: set[str]) -> list[str]:
    """Standard-library modules to import, in order, so that the same set loads: a top-level
    standard-library import as it is, and inside any other import its standard-library ones."""
    found: list[str] = []
    for node in nodes:
        if node.name == "site":  # under -S importing site does not run site.main()
            found += [*roots(list(node.children), stdlib), "site"]
        elif node.name in stdlib:
            found.append(node.name)
        else:
            found += roots(list(node.children), stdlib)
    return found


def emulated(python: str, to_import: list[str]) -> list[str]:
    """The modules `python -I -S` has loaded after importing `to_import` in order."""
    code = f"import sys\nfor name in {to_import!r}: __import__(name)\nprint(list(sys.modules))"
    done = subprocess.run(
        [python, "-I", "-S", "-B", "-c", code], capture_output=True, text=True, check=True
    )
    return eval(done.stdout)  # a list of names printed by the interpreter just run


def measure(python: str) -> Path:
    """Measure one interpreter and write its data file."""
    version = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    runtime = f"python{version}"
    with tempfile.TemporaryDirectory() as folder:
        record, stderr = run_once(python, runtime, Path(folder))
    rows = [row for row in parse_rows(stderr.splitlines()) if row.name != "recorder"]
    stdlib = set(record["stdlib"])
    to_import = [name for name in roots(build_forest(rows), stdlib) if name != "__main__"]
    loaded = emulated(python, to_import)
    data = {
        "checked": datetime.date.today().isoformat(),
        "runtime": runtime,
        "measured_with": {"python": record["python"], "awslambdaric": record["awslambdaric"]},
        "source": "tools/measure_runtime_start.py: awslambdaric started as Lambda's "
        "/var/runtime/bootstrap.py starts it, modules loaded before the handler module",
        "modules_before_handler": record["modules"],
        "not_emulated": [name for name in record["modules"] if name not in stdlib],
        "stdlib_imports": list(dict.fromkeys(to_import)),
        "emulation_misses": sorted(stdlib - set(loaded) - {"__main__"}),
    }
    path = OUT / f"{runtime}.json"
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def main() -> None:
    for python in sys.argv[1:]:
        print(measure(python))


if __name__ == "__main__":
    main()
