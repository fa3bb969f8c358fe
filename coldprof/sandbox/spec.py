"""What an execution environment is asked to run, and what init and each invocation gave."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coldprof.sandbox.interpreter import InterpreterInfo
from coldprof.sandbox.left_running import LeftRunning
from coldprof.sandbox.usage import Usage

TIMED_OUT = "Sandbox.Timedout"
RUNTIME_CLIENTS = ("coldprof", "awslambdaric")  # the light stdlib runtime, or AWS's own client
READ_ONLY_MODES = ("auto", "mount-namespace", "audit-hook")
LAZY_IMPORTS = ("all", "normal")  # -X lazy_imports modes (PEP 810, Python 3.15)


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
    runtime_client: str = "coldprof"  # one of RUNTIME_CLIENTS
    runtime_dir: Path | None = None  # the awslambdaric mode's runtime folder (/var/runtime)
    read_only: str = "auto"  # how the package is made read-only: one of READ_ONLY_MODES
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)  # AWS_* keys
    lazy_imports: str | None = None  # -X lazy_imports=MODE (one of LAZY_IMPORTS); None: not passed
    import_clock: bool = False  # the light runtime times each invocation's imports (import_ms)
    watch_usage: bool = False  # the light runtime watches what the invocations use (usage); such
    # a run is never timed: its hooks slow init and invocations alike


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
    threads_seen: bool = True  # threads and asyncio tasks left running are seen (processes
    # always are); False with awslambdaric, which runs unmodified
    imports_seen: bool = True  # an invocation's imports can be timed in the child (import_ms)
    # and what it uses watched (usage); False with awslambdaric, which runs unmodified
    read_only: str = ""  # how the package was kept read-only: "mount-namespace" | "audit-hook"


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


@dataclass(frozen=True, kw_only=True)
class InitResult:
    """The init phase of one environment: the runtime's start, then the function's init.

    Lambda's Init Duration is their sum (init_duration_ms); init_ms is the part the function's
    own code takes (its .pth files, its handler module), which the user can change.
    """

    ok: bool
    init_ms: float  # parent clock: the runtime ready -> the handler ready (or the failure)
    error: ErrorInfo | None
    log: str  # the child's stdout and stderr during init, bounded (head and tail kept)
    importtime_lines: tuple[str, ...]  # raw "import time:" rows (importtime=True), in order
    max_rss_mb: float  # peak resident memory of the child's process tree so far (MiB)
    importtime_dropped: int = 0  # rows not kept because there were too many
    emulation: Emulation | None = None  # None when no child could be started
    cpu_ms: float = 0.0  # CPU time of the environment's processes during init
    ephemeral_peak_mb: float = 0.0  # the most /tmp held so far (MiB, sampled)
    runtime_init_ms: float = 0.0  # parent clock: just before spawn -> the runtime ready
    phase: str = "init"  # "init", or "invoke" when Lambda runs init again inside an invocation
    retry: bool = False  # init failed or passed the init limit: it runs again inside the first
    # invocation (Phase: invoke), as Lambda runs a failed on-demand init again
    read_only: str = ""  # how the package was kept read-only: "mount-namespace" | "audit-hook"
    payload: bytes = b""  # the init error as the runtime posted it (empty requestId)
    package_changed: tuple[str, ...] = ()  # paths the function changed in its package all the
    # same (audit-hook only: a subprocess, os.mkfifo, os.mknod, C code; at most 20)
    running_at_end: tuple[LeftRunning, ...] = ()  # threads and tasks running as init ended,
    # each seen_after 0 (the light runtime reports them; AWS's client does not)

    @property
    def init_duration_ms(self) -> float:
        """Lambda's Init Duration: the runtime's start plus the function's init."""
        return self.runtime_init_ms + self.init_ms

    @property
    def status(self) -> str:
        """INIT_REPORT's Status: success, timeout or error."""
        if self.ok:
            return "success"
        return "timeout" if self.error and self.error.type == TIMED_OUT else "error"


@dataclass(frozen=True, kw_only=True)
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
    payload: bytes = b""  # the response (or error) exactly as the runtime returned it
    content_type: str = "application/json"  # "application/unknown" for a bytes response
    reinit: InitResult | None = None  # init run again inside this invocation (after a timeout)
    timed_out: bool = False  # stopped at the function's timeout (Duration is the timeout)
    import_ms: float | None = None  # time the handler spent importing modules not yet loaded
    # (spec.import_clock; None: not measured)
    usage: Usage | None = None  # what it used of init, and the files loaded (spec.watch_usage)
    package_changed: tuple[str, ...] = ()  # paths the function changed in its package all the
    # same during this invocation (audit-hook only; at most 20)

    @property
    def used_vcpus(self) -> float | None:
        """The CPUs the environment used on average: its CPU time over the round trip's wall time
        (None: no wall time measured)."""
        return self.cpu_ms / self.round_trip_ms if self.round_trip_ms > 0 else None
