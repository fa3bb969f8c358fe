"""How the child is set up: its command line, its sys.path, its environment variables."""

from __future__ import annotations

import datetime
import os
import uuid
from pathlib import Path

from coldprof.errors import UsageError
from coldprof.sandbox.interpreter import InterpreterInfo
from coldprof.sandbox.spec import EnvironmentSpec

SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
# Reads the bootstrap's marshalled code object from the request pipe and runs it.
LOADER = """import marshal, posix, sys
code, size = b"", int(sys.argv[3])
while len(code) < size:
    chunk = posix.read(int(sys.argv[1]), size - len(code))
    if not chunk:
        raise SystemExit(1)
    code += chunk
exec(marshal.loads(code))
"""


def import_paths(spec: EnvironmentSpec, version: tuple[int, int]) -> list[str]:
    """sys.path before the standard library, in Lambda's order.

    Lambda extracts layers into /opt in order, a later layer's file replacing an earlier
    one's, then puts /opt/python/lib/python3.X/site-packages and /opt/python on sys.path;
    here the later layer comes first, which gives the same winner.
    """
    layers = [layer.resolve() for layer in reversed(spec.layers)]
    site = f"python/lib/python{version[0]}.{version[1]}/site-packages"
    paths = [spec.task_root.resolve()]
    paths += [layer / site for layer in layers]
    paths += [layer / "python" for layer in layers]
    if spec.runtime_sdk is not None:
        paths.append(spec.runtime_sdk.resolve())
    return [str(path) for path in paths]


def bytecode_flags(spec: EnvironmentSpec) -> list[str]:
    """-B, or -X pycache_prefix=DIR when a bytecode cache outside the package is asked for."""
    if spec.pycache_prefix is None:
        return ["-B"]
    return ["-X", f"pycache_prefix={spec.pycache_prefix.resolve()}"]


def child_argv(
    spec: EnvironmentSpec,
    info: InterpreterInfo,
    bootstrap_bytes: int,
    fds: tuple[int, int],
    max_response_bytes: int,
) -> list[str]:
    """The child's command line: the real interpreter, isolated, running the bootstrap."""
    argv = [info.executable, "-I", "-S", *bytecode_flags(spec), "-u"]
    if spec.importtime:
        argv += ["-X", "importtime"]
    guard = "1" if spec.pycache_prefix is None else "0"
    argv += ["-c", LOADER, str(fds[0]), str(fds[1]), str(bootstrap_bytes), spec.handler]
    argv += [str(max_response_bytes), guard, *import_paths(spec, info.version)]
    return argv


def child_env(spec: EnvironmentSpec, info: InterpreterInfo, tmp_dir: str) -> dict[str, str]:
    """Lambda's environment variables for this function, plus the spec's extras."""
    task_root = spec.task_root.resolve()
    layers = [layer.resolve() for layer in spec.layers]
    bin_dirs = [str(Path(info.executable).parent), *SYSTEM_PATH, *(str(x / "bin") for x in layers)]
    lib_dirs = [str(task_root), str(task_root / "lib"), *(str(x / "lib") for x in layers)]
    env = {
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(Path(__file__).parent),
        "_HANDLER": spec.handler,
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": _log_stream_name(spec.version),
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{info.runtime}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": os.pathsep.join(bin_dirs),
        "LD_LIBRARY_PATH": os.pathsep.join(lib_dirs),
        "TMPDIR": tmp_dir,
    }
    env.update(spec.env)
    return env


def _log_stream_name(version: str) -> str:
    """A log stream name shaped like Lambda's: 2026/11/23/[$LATEST]<32 hex digits>."""
    today = datetime.datetime.now(datetime.UTC).strftime("%Y/%m/%d")
    return f"{today}/[{version}]{uuid.uuid4().hex}"


def check_spec(spec: EnvironmentSpec) -> None:
    """UsageError for a spec no environment can run."""
    for label, folder in [("task root", spec.task_root), *(("layer", x) for x in spec.layers)]:
        if not folder.is_dir():
            raise UsageError(f"{label} {folder}: not a folder")
    if spec.runtime_sdk is not None and not spec.runtime_sdk.is_dir():
        raise UsageError(f"--runtime-sdk {spec.runtime_sdk}: not a folder")
    if not spec.handler or "\0" in spec.handler:
        raise UsageError(f"--handler {spec.handler!r}: expected module.function")
    if spec.memory_mb <= 0 or spec.timeout_s <= 0:
        raise UsageError("--memory and --timeout must be positive")
    for key, value in spec.env.items():
        if not key or "=" in key or "\0" in key + value:
            raise UsageError(f"--env {key}={value}: not a valid environment variable")
    if spec.pycache_prefix is not None:
        _check_outside(spec.pycache_prefix, [spec.task_root, *spec.layers])


def _check_outside(prefix: Path, packages: list[Path]) -> None:
    """A bytecode cache must not sit inside the package or a layer."""
    prefix = prefix.resolve()
    for package in packages:
        if prefix.is_relative_to(package.resolve()):
            raise UsageError(f"bytecode cache {prefix} is inside the package {package}")
