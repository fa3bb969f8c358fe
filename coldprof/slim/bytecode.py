"""Bytecode for the target runtime, compiled by that runtime's own interpreter.

What `python -m compileall --invalidation-mode unchecked-hash` writes, for exactly the modules
analyze found without a valid `.pyc` (bytecode-missing, -stale, -timestamp). Compiling is
reproducible: the modules go to the compiling processes in a fixed order and chunks, with a
fixed hash seed and a fixed path in the code objects (/var/task/..., where Lambda puts them).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from coldprof.analyze.pyc import HEADER_BYTES, cache_path, read_header
from coldprof.errors import UsageError
from coldprof.sandbox.interpreter import InterpreterInfo
from coldprof.sandbox.process import run_to_end

MODES = ("unchecked-hash", "checked-hash", "none")
TASK_ROOT = "/var/task/"  # the path compiled into code objects (the import system fixes it up)
CHUNK_MODULES = 200  # modules per compiling process
TIMEOUT_S = 600.0
KEEP_BYTES = 4 * 1024 * 1024
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
# Run by the runtime's interpreter without -I/-E, so that PYTHONHASHSEED holds: compiles the
# NUL-separated module paths of a list file and prints one JSON line per module that fails.
SCRIPT = """import json, os, py_compile, sys
mode = py_compile.PycInvalidationMode[sys.argv[1]]
root, prefix = sys.argv[2], sys.argv[3]
with open(sys.argv[4], "rb") as listing:
    paths = [os.fsdecode(p) for p in listing.read().split(b"\\0") if p]
for path in paths:
    try:
        py_compile.compile(os.path.join(root, path), dfile=prefix + path, doraise=True,
                           invalidation_mode=mode)
    except Exception as error:
        print(json.dumps([os.fsencode(path).hex(), type(error).__name__]), flush=True)
"""

Tick = Callable[[int, int], None]  # (done, total)


def _chunks(sources: Sequence[str]) -> list[Sequence[str]]:
    return [sources[i : i + CHUNK_MODULES] for i in range(0, len(sources), CHUNK_MODULES)]


def _compile_chunk(python: str, root: Path, mode: str, sources: Sequence[str]) -> set[str]:
    """Compile one chunk in one process; the modules that failed."""
    with tempfile.NamedTemporaryFile(prefix="coldprof-modules-") as listing:
        listing.write(b"\0".join(os.fsencode(s) for s in sources))
        listing.flush()
        argv = [python, "-S", "-B", "-c", SCRIPT, mode.upper().replace("-", "_"), str(root)]
        done = run_to_end([*argv, TASK_ROOT, listing.name], ENV, TIMEOUT_S, KEEP_BYTES)
    if done.returncode != 0:
        raise UsageError(f"{python} could not compile bytecode: {_last_line(done.stderr)}")
    failed = set()
    for line in done.stdout.splitlines():
        path_hex, _ = json.loads(line)
        failed.add(os.fsdecode(bytes.fromhex(path_hex)))
    return failed


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output (killed, or out of time)"


def compile_modules(
    interpreter: InterpreterInfo, root: Path, sources: Sequence[str], mode: str, tick: Tick
) -> tuple[list[str], list[str]]:
    """Compile the modules under root for the interpreter's version: (.pyc written, failed)."""
    chunks = _chunks(sorted(sources))
    failed: set[str] = set()
    workers = max(1, min(2, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="compile") as pool:
        jobs = [pool.submit(_compile_chunk, interpreter.executable, root, mode, c) for c in chunks]
        for done, job in enumerate(jobs, start=1):
            failed |= job.result()
            tick(min(done * CHUNK_MODULES, len(sources)), len(sources))
    written = [cache_path(s, interpreter.version) for s in sorted(sources) if s not in failed]
    _check_headers(root, written, interpreter.version, mode)
    return written, sorted(failed)


def _check_headers(root: Path, written: Sequence[str], python: tuple[int, int], mode: str) -> None:
    """Every .pyc written is one the runtime reads as the mode asks (a bug otherwise)."""
    for path in written:
        with (root / path).open("rb") as stream:
            header = read_header(stream.read(HEADER_BYTES))
        if header.python != python or header.invalidation != mode:
            raise RuntimeError(f"{path}: compiled as {header.invalidation} for {header.python}")
