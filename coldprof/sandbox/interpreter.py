"""The interpreter a child runs: the real executable (never a shim), its version, its start time."""

from __future__ import annotations

import functools
import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from coldprof.analyze.runtime import runtime_named
from coldprof.errors import UsageError
from coldprof.sandbox.capture import KEEP_BYTES
from coldprof.sandbox.process import Completed, run_to_end

PROBE = (
    "import sys; print(sys.executable); print(*sys.version_info[:2]); "
    "print(sys.implementation.name)"
)
PROBE_TIMEOUT_S = 60.0
BARE_TIMEOUT_S = 60.0
OLDEST = (3, 9)
FLAGS = ("-I", "-S", "-B", "-u")  # isolated, no site, no bytecode written, unbuffered output
BARE_ENV = {"PATH": "/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC"}  # as a child has
BOOTSTRAP_SOURCE = Path(__file__).with_name("bootstrap.py")
WATCH_SOURCE = Path(__file__).with_name("watch.py")
COMPILE = (  # prints the bootstrap's code object, marshalled, as hex
    "import marshal, sys; source = open(sys.argv[1], 'rb').read(); "
    "sys.stdout.write(marshal.dumps(compile(source, sys.argv[1], 'exec')).hex())"
)
COMPILED_MAX_BYTES = 1024 * 1024
FREE_THREADED = re.compile(r"freethreaded|\d+t(-|$)")  # uv's and pyenv's free-threaded builds


@dataclass(frozen=True)
class InterpreterInfo:
    """A Python interpreter as it reports itself."""

    executable: str  # sys.executable of that interpreter (a shim resolved to the binary)
    version: tuple[int, int]  # (3, 12)

    @property
    def runtime(self) -> str:
        """The Lambda runtime name of this version: 'python3.12'."""
        return f"python{self.version[0]}.{self.version[1]}"


def interpreter_info(python: str | None) -> InterpreterInfo:
    """The real executable and version of `python` (None: this interpreter), cached."""
    if python is None or python == sys.executable:
        return InterpreterInfo(sys.executable, sys.version_info[:2])
    return _probe(python)


@functools.cache
def _probe(python: str) -> InterpreterInfo:
    """Ask the interpreter itself what it is (UsageError when it cannot answer)."""
    found = shutil.which(python)
    if found is None:
        raise UsageError(f"--python {python}: no such interpreter")
    done = _run(f"--python {python}", [found, "-I", "-S", "-c", PROBE])
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) != 3:
        detail = _failure_line(done.stderr)
        raise UsageError(f"--python {python}: not a working Python interpreter: {detail}")
    executable, version_text, implementation = lines
    version = tuple(int(part) for part in version_text.split())
    if implementation != "cpython" or version < OLDEST:
        raise UsageError(
            f"--python {python} is {implementation} {version[0]}.{version[1]}; "
            "coldprof runs CPython 3.9 or newer, like Lambda's Python runtimes"
        )
    return InterpreterInfo(executable or found, version)


def _failure_line(stderr: str) -> str:
    """The line of a failed probe's stderr that says why: a Python error's last, else the first."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()] or ["no answer"]
    exception = lines[-1].partition(":")[0]
    return lines[-1] if exception.endswith(("Error", "Exception")) else lines[0]


def _run(label: str, argv: list[str], keep_bytes: int = KEEP_BYTES) -> Completed:
    """Run a short helper command in coldprof's own environment (a shim needs it)."""
    try:
        return run_to_end(argv, os.environ, PROBE_TIMEOUT_S, keep_bytes)
    except OSError as error:
        raise UsageError(f"{label}: cannot run {argv[0]}: {error.strerror or error}") from None


def find_interpreter(python: str | None, runtime: str | None) -> InterpreterInfo:
    """The interpreter to run a function with: `python` (checked against `runtime`), else a
    working one for `runtime` (this one, PATH, pyenv's, uv's), else the one running coldprof."""
    if runtime is not None:
        runtime_named(runtime)
    if python is not None or runtime is None:
        info = interpreter_info(python)
        check_runtime(info, runtime)
        return info
    for candidate in _candidates(runtime):
        try:
            info = interpreter_info(candidate)
        except UsageError:
            continue  # a shim that does not resolve, a broken install: not an answer
        if info.runtime == runtime:
            return info
    version = runtime.removeprefix("python")
    raise UsageError(
        f"--runtime {runtime}: no working Python {version} on PATH or among pyenv's and uv's "
        f"installs; install one (uv python install {version}, or pyenv install {version}) "
        "or pass --python"
    )


def _candidates(runtime: str) -> Iterator[str]:
    """Interpreters that may be `runtime`, in the order they are tried."""
    if interpreter_info(None).runtime == runtime:
        yield sys.executable
    on_path = shutil.which(runtime)
    if on_path is not None:
        yield on_path
    for root in (_pyenv_versions(), _uv_pythons()):
        yield from _newest_first(root.glob(f"*/bin/{runtime}"))


def _pyenv_versions() -> Path:
    """pyenv's versions folder ($PYENV_ROOT, else ~/.pyenv)."""
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"


def _uv_pythons() -> Path:
    """uv's managed Pythons ($UV_PYTHON_INSTALL_DIR, else $XDG_DATA_HOME/uv/python)."""
    if os.environ.get("UV_PYTHON_INSTALL_DIR"):
        return Path(os.environ["UV_PYTHON_INSTALL_DIR"])
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "uv" / "python"


def _newest_first(executables: Iterator[Path]) -> list[str]:
    """Executables by their install folder's version, newest first; free-threaded ones left out."""
    found = [path for path in executables if not FREE_THREADED.search(path.parent.parent.name)]
    return [str(path) for path in sorted(found, key=_folder_version, reverse=True)]


def _folder_version(executable: Path) -> tuple[int, ...]:
    """(3, 12, 4) from an install folder named 3.12.4 or cpython-3.12.4-linux-x86_64-gnu."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", executable.parent.parent.name)
    return tuple(int(part) for part in match.groups(default="0")) if match else ()


def check_runtime(info: InterpreterInfo, runtime: str | None) -> None:
    """UsageError when --runtime is not a Lambda runtime or names another Python version."""
    if runtime is not None:
        runtime_named(runtime)
    if runtime is not None and runtime != info.runtime:
        raise UsageError(
            f"--runtime {runtime} does not match the interpreter {info.executable} "
            f"(Python {info.version[0]}.{info.version[1]}); pass --python with a "
            f"{runtime.removeprefix('python')} interpreter"
        )


def compiled_bootstrap(executable: str) -> bytes:
    """bootstrap.py compiled once by that interpreter (marshalled), so no child compiles it."""
    return _compiled(executable, BOOTSTRAP_SOURCE)


def compiled_watch(executable: str) -> bytes:
    """watch.py (the usage watch, for usage runs only) compiled once by that interpreter."""
    return _compiled(executable, WATCH_SOURCE)


@functools.cache
def _compiled(executable: str, source: Path) -> bytes:
    argv = [executable, "-I", "-S", "-c", COMPILE, str(source)]
    done = _run(executable, argv, keep_bytes=COMPILED_MAX_BYTES)
    if done.returncode != 0:
        raise UsageError(
            f"{executable} cannot compile coldprof's {source.name}: {done.stderr.strip()}"
        )
    return bytes.fromhex(done.stdout)


@functools.cache
def library_dir(executable: str) -> str:
    """The folder of the interpreter's own shared libraries (sysconfig LIBDIR), as Lambda's
    /var/lang/lib: first on LD_LIBRARY_PATH, so the runtime loads its own libpython and SSL."""
    code = "import sysconfig; print(sysconfig.get_config_var('LIBDIR') or '')"
    done = _run(executable, [executable, "-I", "-S", "-c", code])
    folder = done.stdout.strip()
    return folder or str(Path(executable).resolve().parent.parent / "lib")


def bare_start_ms(python: str | None, runs: int) -> list[float]:
    """Start-to-exit times of `python -I -S -B -u -c pass` (the real executable), in ms."""
    executable = interpreter_info(python).executable
    argv = [executable, *FLAGS, "-c", "pass"]
    return [_time_to_exit(argv) for _ in range(runs)]


def _time_to_exit(argv: list[str]) -> float:
    """Spawn to reaped exit, on the parent clock (ms)."""
    done = run_to_end(argv, BARE_ENV, BARE_TIMEOUT_S)
    if done.returncode != 0:
        raise UsageError(f"{argv[0]} -c pass failed: {done.stderr.strip() or done.returncode}")
    return done.elapsed_ms
