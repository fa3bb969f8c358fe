"""What an execution environment is asked to run, and what init and each invocation gave."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coldprof.sandbox.interpreter import InterpreterInfo
from coldprof.sandbox.left_running import LeftRunning


@dataclass(frozen=True, kw_only=True)
class EnvironmentSpec:
    """One Lambda-like execution environment: the function, its layers and its limits.

    Built from the function's record by coldprof.function.environment_spec(), the one place
    that knows Lambda's defaults; this spec has none of its own.
    """

    task_root: Path  # the function's folder (a zip is first extracted by materialize())
    handler: str  # "module.function"; the module may be dotted: "pkg.app.handler"
    layers: tuple[Path, ...]  # layer folders, in the order Lambda extracts them
    interpreter: InterpreterInfo  # the real executable and its version
    runtime_sdk: Path | None  # folder with the SDK the runtime provides (boto3, ...)
    env: Mapping[str, str]  # the function's own variables
    memory_mb: int  # AWS_LAMBDA_FUNCTION_MEMORY_SIZE and the resident-memory limit
    timeout_s: float  # invocation timeout
    init_timeout_s: float  # how long init may take
    function_name: str
    region: str
    cpu_share: str  # "memory": the memory size's share of a vCPU; "off": the bare machine
    init_cpu: str  # "boosted": init gets at least one vCPU; "memory": the memory's share
    cold_cache: bool  # drop the package's files from the page cache before the spawn
    ephemeral_storage_mb: int  # the size of the environment's /tmp (its TMPDIR)
    version: str = "$LATEST"  # the function version it runs: AWS_LAMBDA_FUNCTION_VERSION
    importtime: bool = False  # run the child with -X importtime
    pycache_prefix: Path | None = None  # None: no bytecode written; else -X pycache_prefix=DIR


@dataclass(frozen=True, kw_only=True)
class Emulation:
    """How an environment's life is emulated on this machine, as this user is allowed to."""

    cpu_share: str  # "memory" | "off"
    cpu_method: str  # "cgroup-v2" | "cgroup-v1" | "duty-cycle" | "off"
    vcpus: float | None  # the share of invocations: memory / 1,769 MB, at most 6 (None: off)
    init_cpu: str  # "boosted" | "memory"
    init_vcpus: float | None  # the share during init
    machine_cpus: int  # CPUs this machine gives coldprof
    capped: bool  # the memory size grants more vCPUs than this machine has
    freeze: str  # between invocations: "cgroup-v2" | "cgroup-v1" (freezer) | "signals"
    processes: str  # how every process is found and ended: "cgroup" | "subreaper"
    ephemeral_storage: str  # "tmpfs" (size-limited mount) | "watched" (usage watched)
    ephemeral_storage_mb: int
    cold_cache_bytes: int | None  # bytes dropped from the page cache (None: cold_cache off)


@dataclass(frozen=True)
class ErrorInfo:
    """An error as Lambda reports it: errorType, errorMessage and the user's stack trace."""

    type: str  # "Runtime.ImportModuleError", "ValueError", "Sandbox.Timedout", ...
    message: str
    stack_trace: tuple[str, ...] = ()

    def payload(self) -> dict[str, Any]:
        """Lambda's error payload: errorMessage, errorType, stackTrace."""
        return {
            "errorMessage": self.message,
            "errorType": self.type,
            "stackTrace": list(self.stack_trace),
        }


@dataclass(frozen=True)
class InitResult:
    """The init phase of one environment: spawn to handler ready (or the error)."""

    ok: bool
    init_ms: float  # parent clock: just before spawn -> "ready" received
    error: ErrorInfo | None
    log: str  # the child's stdout and stderr during init, bounded (head and tail kept)
    importtime_lines: tuple[str, ...]  # raw "import time:" rows (importtime=True), in order
    max_rss_mb: float  # peak resident memory of the child's process tree so far (MiB)
    importtime_dropped: int = 0  # rows not kept because there were too many
    emulation: Emulation | None = None  # None when no child could be started
    cpu_ms: float = 0.0  # CPU time of the environment's processes during init
    ephemeral_peak_mb: float = 0.0  # the most /tmp held so far (MiB, sampled)


@dataclass(frozen=True)
class InvokeResult:
    """One invocation: the handler's own duration, the round trip, the response or error."""

    ok: bool
    duration_ms: float  # the handler's run time, measured in the child around the call
    round_trip_ms: float  # parent clock: request written -> response read
    response: Any  # the handler's return value, or Lambda's error payload when not ok
    error: ErrorInfo | None
    log: str  # stdout and stderr written during this invocation, bounded
    max_rss_mb: float  # peak resident memory so far in this environment (MiB)
    environment_ended: bool  # the environment died (crash, timeout, OOM): start a new one
    request_id: str = ""
    importtime_lines: tuple[str, ...] = ()  # rows of modules first imported by this invocation
    invocation: int = 0  # its number in the environment, from 1
    cpu_ms: float = 0.0  # CPU time of the environment's processes, request sent to reply read
    ephemeral_peak_mb: float = 0.0  # the most /tmp held so far in this environment (MiB)
    left_running: tuple[LeftRunning, ...] = ()  # work still running when the handler returned
