"""How the child is set up: its command line, its runtime's configuration, its environment."""

from __future__ import annotations

import datetime
import os
import sysconfig
import uuid
from pathlib import Path
from typing import Any

from coldprof.errors import UsageError
from coldprof.sandbox.interpreter import InterpreterInfo, compiled_watch, library_dir
from coldprof.sandbox.runtime_start import runtime_modules
from coldprof.sandbox.spec import LAZY_IMPORTS, RUNTIME_CLIENTS, EnvironmentSpec

SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
SYSTEM_LIBRARIES = ("/lib64", "/usr/lib64")  # Lambda's, after the runtime's own /var/lang/lib
LAMBDA_RUNTIME_DIR = "/var/runtime"  # Lambda's value, where the light runtime has no folder
RUNTIME_API = "127.0.0.1:9001"  # Lambda's value; only the awslambdaric mode serves it
# Reads the runtime's marshalled code object and its CONFIG dict from the request pipe, runs it.
LOADER = """import marshal, posix, sys
def _read(size, fd=int(sys.argv[1])):
    data = b""
    while len(data) < size:
        chunk = posix.read(fd, size - len(data))
        if not chunk:
            raise SystemExit(1)
        data += chunk
    return data
_code = _read(int(sys.argv[2]))
CONFIG = marshal.loads(_read(int(sys.argv[3])))
del _read
exec(marshal.loads(_code))
"""


def layer_paths(spec: EnvironmentSpec, version: tuple[int, int]) -> tuple[list[str], list[str]]:
    """Each layer's python/lib/python3.X/site-packages, then each layer's python/, later first.

    Lambda extracts layers into /opt in order, a later layer's file replacing an earlier one's,
    then puts /opt/python/lib/python3.X/site-packages and /opt/python on sys.path; here the
    later layer comes first, which gives the same winner.
    """
    layers = [layer.resolve() for layer in reversed(spec.layers)]
    site = f"python/lib/python{version[0]}.{version[1]}/site-packages"
    return [str(layer / site) for layer in layers], [str(layer / "python") for layer in layers]


def import_paths(spec: EnvironmentSpec, version: tuple[int, int]) -> list[str]:
    """sys.path before the standard library, in Lambda's order: the task root, the layers'
    site-packages, the layers' python/, the runtime's SDK, the runtime's own folder."""
    site_packages, python = layer_paths(spec, version)
    paths = [str(spec.task_root.resolve()), *site_packages, *python]
    if spec.runtime_sdk is not None:
        paths.append(str(spec.runtime_sdk.resolve()))
    return paths


def site_dirs(spec: EnvironmentSpec, version: tuple[int, int]) -> list[str]:
    """The folders Lambda's runtime bootstrap passes to site.addsitedir(), in its order: the
    task root, then the layers' site-packages, then the layers' python/ folders."""
    site_packages, python = layer_paths(spec, version)
    return [str(spec.task_root.resolve()), *site_packages, *python]


def read_only_roots(spec: EnvironmentSpec) -> list[str]:
    """What the function may not write to, as on Lambda: the package, its layers, the runtime
    (the awslambdaric mode's runtime folder and what its links point to)."""
    roots = [spec.task_root, *spec.layers, spec.runtime_sdk, spec.runtime_dir]
    if spec.runtime_dir is not None:
        roots += sorted(spec.runtime_dir.iterdir())
    found = [os.path.realpath(root) for root in roots if root is not None]
    return list(dict.fromkeys(found))


def child_config(
    spec: EnvironmentSpec, fds: tuple[int, int], max_response_bytes: int, tmp_dir: str
) -> dict[str, Any]:
    """What the child's runtime is told (marshalled down the request pipe); `tmp_dir`: the
    environment's /tmp folder, bound on the literal /tmp in a read-only mount namespace."""
    version = spec.interpreter.version
    return {
        "request_fd": fds[0],
        "reply_fd": fds[1],
        "handler": spec.handler,
        "runtime": spec.interpreter.runtime,
        "runtime_client": spec.runtime_client,
        "runtime_dir": str(spec.runtime_dir) if spec.runtime_dir else "",
        "runtime_modules": list(runtime_modules(version)),
        "max_response_bytes": max_response_bytes,
        "guard_bytecode": spec.pycache_prefix is None,
        "importtime": spec.importtime,
        "sys_path": import_paths(spec, version),
        "site_dirs": site_dirs(spec, version),
        "read_only": spec.read_only,
        "read_only_roots": read_only_roots(spec),
        "import_clock": spec.import_clock,
        "watch_code": compiled_watch(spec.interpreter.executable) if spec.watch_usage else b"",
        "package_roots": package_roots(spec),
        "tmp_dir": tmp_dir,
    }


def package_roots(spec: EnvironmentSpec) -> list[str]:
    """The function's folder, then each layer's, resolved (a usage run reports the files it
    loads as [index in this list, path relative to that folder])."""
    return [os.path.realpath(root) for root in (spec.task_root, *spec.layers)]


def bytecode_flags(spec: EnvironmentSpec) -> list[str]:
    """-B, or -X pycache_prefix=DIR when a bytecode cache outside the package is asked for."""
    if spec.pycache_prefix is None:
        return ["-B"]
    return ["-X", f"pycache_prefix={spec.pycache_prefix.resolve()}"]


def child_argv(
    spec: EnvironmentSpec, info: InterpreterInfo, request_fd: int, sizes: tuple[int, int]
) -> list[str]:
    """The child's command line: the real interpreter, isolated, running the loader."""
    argv = [info.executable, "-I", "-S", *bytecode_flags(spec), "-u"]
    if spec.importtime:
        argv += ["-X", "importtime"]
    if spec.lazy_imports is not None:
        argv += ["-X", f"lazy_imports={spec.lazy_imports}"]
    return [*argv, "-c", LOADER, str(request_fd), str(sizes[0]), str(sizes[1])]


def library_path(spec: EnvironmentSpec, info: InterpreterInfo) -> str:
    """LD_LIBRARY_PATH in Lambda's order: the runtime's and the system's libraries first, then
    the runtime folder, the task root and its lib/, each layer's lib/ (a bundled .so never
    shadows a system library locally when it would not on Lambda)."""
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    system = [*SYSTEM_LIBRARIES]
    if multiarch:
        system += [f"/lib/{multiarch}", f"/usr/lib/{multiarch}"]
    runtime = str(spec.runtime_dir or LAMBDA_RUNTIME_DIR)
    task_root = spec.task_root.resolve()
    layers = [str(layer.resolve() / "lib") for layer in reversed(spec.layers)]
    parts = [library_dir(info.executable), *system, runtime, f"{runtime}/lib", str(task_root)]
    return os.pathsep.join([*parts, str(task_root / "lib"), *layers])


def child_env(
    spec: EnvironmentSpec, info: InterpreterInfo, tmp_dir: str, runtime_api: str | None
) -> dict[str, str]:
    """Lambda's environment variables for this function, the spec's extras, its credentials
    (only those the spec was given), and nothing of coldprof's own environment."""
    task_root = spec.task_root.resolve()
    layers = [layer.resolve() for layer in spec.layers]
    bin_dirs = [str(Path(info.executable).parent), *SYSTEM_PATH, *(str(x / "bin") for x in layers)]
    env = {
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(spec.runtime_dir or spec.runtime_sdk or LAMBDA_RUNTIME_DIR),
        "_HANDLER": spec.handler,
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": _log_stream_name(spec.version),
        "AWS_LAMBDA_RUNTIME_API": runtime_api or RUNTIME_API,
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{info.runtime}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": os.pathsep.join(bin_dirs),
        "LD_LIBRARY_PATH": library_path(spec, info),
        **isolation_env(tmp_dir),
    }
    env.update(spec.env)
    env.update(spec.credentials)
    return env


def isolation_env(tmp_dir: str) -> dict[str, str]:
    """The variables that keep this machine's user out of the function (docs/sandbox.md): its
    own /tmp and home, the AWS credential and config files pointing nowhere, no instance
    metadata. Lambda does not set them; they must stay so that nothing of the user leaks in."""
    return {
        "TMPDIR": tmp_dir,
        "HOME": tmp_dir,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


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
    if spec.runtime_client not in RUNTIME_CLIENTS:
        raise UsageError(f"--runtime-client {spec.runtime_client}: one of {RUNTIME_CLIENTS}")
    if spec.lazy_imports is not None and spec.lazy_imports not in LAZY_IMPORTS:
        raise UsageError(f"--lazy-imports {spec.lazy_imports}: one of {', '.join(LAZY_IMPORTS)}")
    for key, value in {**spec.env, **spec.credentials}.items():
        if not key or "=" in key or "\0" in key + value:
            raise UsageError(f"--env {key}=...: not a valid environment variable")
    if spec.pycache_prefix is not None:
        _check_outside(spec.pycache_prefix, [spec.task_root, *spec.layers])


def _check_outside(prefix: Path, packages: list[Path]) -> None:
    """A bytecode cache must not sit inside the package or a layer."""
    prefix = prefix.resolve()
    for package in packages:
        if prefix.is_relative_to(package.resolve()):
            raise UsageError(f"bytecode cache {prefix} is inside the package {package}")
