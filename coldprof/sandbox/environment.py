"""One execution environment: a child interpreter that starts a Lambda-like Python runtime,
imports the handler once, then serves invocations, living as Lambda's do: its CPU held to its
memory size's share, frozen between invocations, its /tmp bounded, every process it starts
ended with it, and what its handlers leave running recorded. Lambda's limits (init limit and
its retry, timeout, memory, response size) are enforced by the parent."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import marshal
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any

from coldprof.data import lambda_facts
from coldprof.errors import ColdprofError, UsageError
from coldprof.sandbox import faults
from coldprof.sandbox.capture import BoundedLog, ImportTimeSplitter
from coldprof.sandbox.cgroup import Cgroup
from coldprof.sandbox.child import check_spec, child_argv, child_config, child_env
from coldprof.sandbox.cpu_share import CpuLimiter, CpuPlan, period_ns
from coldprof.sandbox.interpreter import compiled_bootstrap
from coldprof.sandbox.left_running import (
    LeftRunning,
    LeftRunningTracker,
    processes,
    seen_after,
)
from coldprof.sandbox.memory import MemoryWatcher
from coldprof.sandbox.page_cache import drop_from_page_cache
from coldprof.sandbox.parent import not_dumpable
from coldprof.sandbox.process import ENDED, LINE, TICK_NS, TIMEOUT, Child, ControlPipes, Reply
from coldprof.sandbox.processes import (
    CgroupMembers,
    ProcessTree,
    confine,
    cpu_clock_ns,
    new_cgroup,
)
from coldprof.sandbox.readonly import AUDIT_HOOK, PackageWatch, read_only_mode
from coldprof.sandbox.replies import (
    InitError,
    InvokeReply,
    Ready,
    decode,
    init_reply,
    invoke_reply,
    json_or_none,
    runtime_started,
)
from coldprof.sandbox.runtime_api import RuntimeApi
from coldprof.sandbox.spec import Emulation, EnvironmentSpec, ErrorInfo, InitResult, InvokeResult
from coldprof.sandbox.storage import EphemeralStorage, make_folder, remove

ACCOUNT_ID = "000000000000"
MARSHAL_VERSION = 4  # readable by every CPython coldprof runs (3.9+)
JSON_ESCAPE_FACTOR = 6  # a byte of a body may take up to six in the reply line (\u00XX)
ERROR_SLACK_BYTES = 1024 * 1024  # room for an error's message and stack trace in a reply
LEFT_SLACK_BYTES = 64 * 1024  # room for the threads and tasks left running
USAGE_SLACK_BYTES = 8 * 1024 * 1024  # room for a usage run's report (sandbox/usage.py bounds)
EXIT_GRACE_S = 2.0  # how long a runtime refused a response is given to exit by itself
MARKER = "AWS_LAMBDA_LOG_STREAM_NAME"  # unique to each environment: finds its orphans


class EnvironmentStopped(ColdprofError):
    """close() was called (from another thread) before or while start() or invoke() ran."""

    def __init__(self) -> None:
        super().__init__("the environment was stopped while the function ran")


class Environment:
    """One Lambda execution environment (one child process), used as a context manager."""

    def __init__(self, spec: EnvironmentSpec):
        self.spec = spec
        self.ended = False
        self._child: Child | None = None
        self._api: RuntimeApi | None = None
        self._members: CgroupMembers | ProcessTree | None = None
        self._cpu: CpuLimiter | None = None
        self._watcher: MemoryWatcher | None = None
        self._storage: EphemeralStorage | None = None
        self._tmp_dir: str | None = None
        self._ready = False
        self._retry_init = False  # init failed or passed its limit: run again in the 1st invoke
        self._read_only = ""
        self._token = ""  # what the runtime's next reply line must carry
        self._package: PackageWatch | None = None  # where only the audit hook guards it
        self._log = BoundedLog()
        self._stderr = ImportTimeSplitter(self._log)
        self._max_response_bytes = lambda_facts()["limits"]["response_max_bytes"]
        self._max_reply_bytes = (
            self._max_response_bytes * JSON_ESCAPE_FACTOR
            + ERROR_SLACK_BYTES
            + LEFT_SLACK_BYTES
            + (USAGE_SLACK_BYTES if spec.watch_usage else 0)
        )
        self._arn = f"arn:aws:lambda:{spec.region}:{ACCOUNT_ID}:function:{spec.function_name}"
        self._tracker = LeftRunningTracker()
        self._invocations = 0
        self._frozen_at_ns: int | None = None
        self._next_sample_ns = 0
        self._cold_cache_bytes: int | None = None
        self._killed = False  # every process of the child's run was ended (_end)
        self._using = threading.Lock()  # held by the thread that runs the child and reads it
        self._closing = False  # close() was called: the running thread ends the child
        self._stopped_run = False  # the running thread ended its child because of close()

    def __enter__(self) -> Environment:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> InitResult:
        """Start the runtime and import the handler under Lambda's init limit; user-code failures
        are in the result. An init that passes the limit or fails is run again by the next
        invoke(), as Lambda runs a failed on-demand init again inside the first invocation."""
        with self._running():
            if self._child is not None:
                raise RuntimeError("Environment.start() may be called once")
            return self._start()

    def _start(self) -> InitResult:
        spec = self.spec
        check_spec(spec)
        not_dumpable()
        if spec.cold_cache:
            self._cold_cache_bytes = drop_from_page_cache([spec.task_root, *spec.layers])
        if read_only_mode(spec.read_only, spec.interpreter.executable) == AUDIT_HOOK:
            self._package = PackageWatch([spec.task_root, *spec.layers])
        result = self._init(spec.init_timeout_s, "init", None)
        if not result.ok:
            self._retry_init = True
            self.ended = False
            result = dataclasses.replace(result, retry=True)
        return result

    def invoke(
        self,
        event: Any,
        request_id: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> InvokeResult:
        """Run the handler once on an event (start() must have been called); `context` holds
        this invocation's own context fields (invoked_function_arn, client_context)."""
        with self._running():
            return self._invoke_once(event, request_id or str(uuid.uuid4()), context or {})

    def _invoke_once(self, event: Any, request_id: str, context: Mapping[str, Any]) -> InvokeResult:
        if self._retry_init:
            return self._invoke_with_init(event, request_id, context)
        if not self._ready or self.ended:
            raise RuntimeError("Environment.invoke() needs a started, running environment")
        sent_ns = time.perf_counter_ns()
        deadline_ns = sent_ns + _ns(self.spec.timeout_s)
        return self._invoke(event, request_id, sent_ns, deadline_ns, context)

    def left_running(self) -> tuple[LeftRunning, ...]:
        """Everything this environment's handlers left running, and what became of it."""
        return self._tracker.items()

    def close(self) -> None:
        """End every process of the environment; remove its /tmp (its tmpfs unmounted). Safe
        from another thread while start() or invoke() runs: that thread ends the child at its
        next look (every TICK_NS at most) and raises EnvironmentStopped; close() waits for it,
        so only the thread that reads the child's pipes ever uses them."""
        self._closing = True
        with self._using:
            self._close_child()
            if self._tmp_dir is not None:
                remove(self._tmp_dir)
                self._tmp_dir = None
            self.ended = True

    @contextlib.contextmanager
    def _running(self) -> Iterator[None]:
        """Hold the environment for one start() or invoke(); EnvironmentStopped when close() was
        called before it, or ended it while it ran."""
        with self._using:
            if self._closing:
                raise EnvironmentStopped()
            yield
            if self._stopped_run:
                raise EnvironmentStopped()

    def _close_child(self) -> None:
        """End the child's run: every process it started, its pipes, its Runtime API."""
        if self._members is not None and not self._killed:
            self._members.kill()
        if self._child is not None:
            self._child.close()
        if self._members is not None:
            self._members.close()
        if self._api is not None:
            self._api.close()
            self._api = None

    def _init(self, limit_s: float, phase: str, started_ns: int | None) -> InitResult:
        """Spawn the child; wait for its runtime, then its handler, within the limit. The init
        phase's CPU is the init's share; init run again inside an invocation gets the
        invocations' share (it runs in Lambda's invoke phase, not in its boosted init)."""
        bootstrap = compiled_bootstrap(self.spec.interpreter.executable)
        spec = self.spec
        plan = CpuPlan.of(spec.cpu_share, spec.init_cpu, spec.memory_mb)
        vcpus = plan.init_vcpus if phase == "init" else plan.vcpus
        child, message = self._spawn(bootstrap, plan, vcpus)
        self._cpu.apply(vcpus)
        started_ns = child.spawn_ns if started_ns is None else started_ns
        deadline_ns = started_ns + _ns(limit_s)
        cpu_before_ns = self._members.cpu_ns() - cpu_clock_ns(child.pid)  # from its spawn on
        reply = self._exchange(message, deadline_ns)
        runtime_ns = None
        started = runtime_started(decode(reply.line)) if reply.kind == LINE else None
        if started is not None:
            runtime_ns = _runtime_ready_ns(started.at_ns, started_ns, reply.at_ns)
            self._read_only = started.read_only
            reply = self._exchange(b"", deadline_ns)
        cpu_ms = (self._members.cpu_ns() - cpu_before_ns) / 1e6
        return self._init_result(reply, (started_ns, runtime_ns), phase, limit_s, cpu_ms)

    def _spawn(self, bootstrap: bytes, plan: CpuPlan, vcpus: float | None) -> tuple[Child, bytes]:
        """Start the child at `vcpus` of its plan: the loader, its runtime's config, Lambda's
        variables, its own bounded /tmp, its package read-only; the bytes to send it first (its
        code and config)."""
        spec = self.spec
        info = spec.interpreter
        self._make_tmp()
        control = ControlPipes.open()
        self._token = _token()
        if spec.runtime_client == "awslambdaric":
            reply_write = os.dup(control.reply_write)
            self._api = RuntimeApi(
                os.dup(control.request_read), reply_write, self._max_response_bytes, self._token
            )
        fds = control.child_fds()
        config = child_config(spec, fds, self._max_response_bytes, self._tmp_dir)
        config["token"] = self._token
        config_bytes = marshal.dumps(config, MARSHAL_VERSION)
        argv = child_argv(spec, info, fds[0], (len(bootstrap), len(config_bytes)))
        env = child_env(spec, info, self._tmp_dir, self._api.address if self._api else None)
        cgroup = new_cgroup()
        child = self._start_child(argv, env, control, cgroup, plan.limit(vcpus))
        self._confine(child, env[MARKER], cgroup, plan)
        return child, bootstrap + config_bytes

    def _start_child(
        self,
        argv: list[str],
        env: dict[str, str],
        control: ControlPipes,
        cgroup: Cgroup,
        cpus: float | None,
    ) -> Child:
        """Spawn the child into cgroups limited to `cpus` CPUs; born in those this thread may
        enter for it where the limit would hold its start back (_born_held)."""
        stderr_sink = self._stderr.write if self.spec.importtime else self._log.write
        cgroup.set_cpus(cpus, period_ns() // 1000)
        inside = cgroup.spawning_inside() if _born_held(cpus) else contextlib.nullcontext()
        try:
            with inside:
                child = Child(
                    argv, env, str(self.spec.task_root), self._log.write, stderr_sink, control
                )
        except (OSError, ValueError) as error:
            cgroup.remove()
            self._close_child()
            raise UsageError(f"cannot start {self.spec.interpreter.executable}: {error}") from None
        self._child = child
        return child

    def _make_tmp(self) -> None:
        """The environment's /tmp, once (init run again inside an invocation keeps it)."""
        if self._tmp_dir is None:
            self._tmp_dir = make_folder()
            self._storage = EphemeralStorage(self._tmp_dir, self.spec.ephemeral_storage_mb)

    def _confine(self, child: Child, marker: str, cgroup: Cgroup, plan: CpuPlan) -> None:
        """Hold the new child's processes together (before it runs any code of the function)."""
        spec = self.spec
        self._members = confine(child.pid, marker, cgroup)
        self._killed = False
        self._cpu = CpuLimiter(plan, self._members)
        self._watcher = MemoryWatcher(
            child.pid, spec.memory_mb, self._members.kill, self._members.pids
        )
        child.on_tick = self._on_tick

    def _on_tick(self) -> int | None:
        """While the child runs: the duty cycle's look, and every TICK_NS the limits' samples."""
        if self._closing and not self._stopped_run:
            self._stopped_run = True
            self._members.kill()
        now_ns = time.perf_counter_ns()
        if now_ns >= self._next_sample_ns:
            self._next_sample_ns = now_ns + TICK_NS
            self._watcher.sample()
            if self._storage.sample():
                self._members.kill()
        return self._cpu.tick()

    def _exchange(self, message: bytes, deadline_ns: int) -> Reply:
        """Send a message and wait for the reply, the CPU share held meanwhile."""
        first_look_ns = self._cpu.begin()
        first_tick_ns = TICK_NS if first_look_ns is None else first_look_ns
        try:
            return self._child.exchange(message, deadline_ns, self._max_reply_bytes, first_tick_ns)
        finally:
            self._cpu.end()

    def retry_init(self) -> InitResult:
        """Run init again after it failed or passed its limit, as Lambda does inside the first
        invocation (Phase: invoke), under the function's timeout; the handler is not invoked."""
        with self._running():
            return self._init_again()

    def _init_again(self) -> InitResult:
        if not self._retry_init:
            raise RuntimeError("Environment.retry_init() follows an init that failed")
        self._retry_init = False
        self._close_child()
        return self._init(self.spec.timeout_s, "invoke", time.perf_counter_ns())

    def _invoke_with_init(
        self, event: Any, request_id: str, context: Mapping[str, Any]
    ) -> InvokeResult:
        """The first invocation after an init that failed or passed its limit: Lambda runs init
        again inside it, under the function's timeout, then the handler in the time left."""
        sent_ns = time.perf_counter_ns()
        deadline_ns = sent_ns + _ns(self.spec.timeout_s)
        reinit = self._init_again()
        if not reinit.ok:
            return self._failed_reinit(reinit, request_id)
        result = self._invoke(event, request_id, time.perf_counter_ns(), deadline_ns, context)
        duration_ms = (
            self.spec.timeout_s * 1000
            if result.timed_out
            else reinit.init_duration_ms + result.duration_ms
        )
        return dataclasses.replace(result, duration_ms=duration_ms, reinit=reinit)

    def _failed_reinit(self, reinit: InitResult, request_id: str) -> InvokeResult:
        """The invocation whose init, run again inside it, failed or timed out."""
        timed_out = reinit.status == "timeout"
        error = faults.timed_out(self.spec.timeout_s, request_id) if timed_out else reinit.error
        payload = reinit.payload if reinit.payload else faults.platform_payload(error)
        duration_ms = self.spec.timeout_s * 1000 if timed_out else reinit.init_duration_ms
        self._invocations += 1
        return InvokeResult(
            ok=False,
            duration_ms=duration_ms,
            round_trip_ms=reinit.init_duration_ms,
            response=json_or_none(payload),
            error=error,
            log="",
            max_rss_mb=reinit.max_rss_mb,
            environment_ended=True,
            request_id=request_id,
            payload=payload,
            reinit=reinit,
            timed_out=timed_out,
            **self._life(reinit.cpu_ms),
        )

    def _invoke(
        self,
        event: Any,
        request_id: str,
        sent_ns: int,
        deadline_ns: int,
        context: Mapping[str, Any],
    ) -> InvokeResult:
        """Send one request and wait for its reply until the deadline; the environment is frozen
        as soon as the reply is read, until the next invocation."""
        message = self._request(event, request_id, deadline_ns - sent_ns, context)
        self._log.clear()
        self._thaw()
        cpu_before_ns = self._members.cpu_ns()
        reply = self._exchange(message, deadline_ns)
        round_trip_ms = (reply.at_ns - sent_ns) / 1e6
        cpu_ms = (self._members.cpu_ns() - cpu_before_ns) / 1e6
        self._freeze()
        self._invocations += 1
        self._sample_now()
        parsed = invoke_reply(decode(reply.line), self._token) if reply.kind == LINE else None
        if parsed is not None and parsed.response_bytes is None and not self._over_a_limit():
            return self._invoke_result(parsed, round_trip_ms, cpu_ms, request_id)
        return self._ended_invocation(reply, parsed, request_id, round_trip_ms, cpu_ms)

    def _ended_invocation(
        self,
        reply: Reply,
        parsed: InvokeReply | None,
        request_id: str,
        round_trip_ms: float,
        cpu_ms: float,
    ) -> InvokeResult:
        """The result of an invocation that ended its environment."""
        too_large = parsed is not None and parsed.response_bytes is not None
        if too_large:  # the runtime exits by itself: let it say what it says
            self._thaw()
            self._let_exit(time.perf_counter_ns() + _ns(EXIT_GRACE_S))
        error = self._end(reply, request_id, parsed is None)
        duration_ms = round_trip_ms
        if too_large:
            error = faults.response_too_large(self._max_response_bytes)
            duration_ms = parsed.duration_ns / 1e6
        timed_out = reply.kind == TIMEOUT
        if timed_out:
            duration_ms = self.spec.timeout_s * 1000
        payload = faults.platform_payload(error)
        return InvokeResult(
            ok=False,
            duration_ms=duration_ms,
            round_trip_ms=round_trip_ms,
            response=json_or_none(payload),
            error=error,
            log=self._log.text(),
            max_rss_mb=self._watcher.peak_mb,
            environment_ended=True,
            request_id=request_id,
            importtime_lines=tuple(self._stderr.take_rows()[0]),
            payload=payload,
            timed_out=timed_out,
            **self._life(cpu_ms),
        )

    def _let_exit(self, deadline_ns: int) -> None:
        """Pump the child's output until it exits (or the deadline passes)."""
        while self._exchange(b"", deadline_ns).kind == LINE:
            continue

    def _freeze(self) -> None:
        """Stop every process of the environment until the next invocation (as Lambda does)."""
        self._members.stop()
        self._frozen_at_ns = time.perf_counter_ns()

    def _thaw(self) -> None:
        """Let the environment run again; what was left running was frozen all that time."""
        if self._frozen_at_ns is None:
            return
        self._members.cont()
        self._tracker.frozen((time.perf_counter_ns() - self._frozen_at_ns) / 1e6)
        self._frozen_at_ns = None

    def _sample_now(self) -> None:
        """Read what the child wrote, sample the memory and /tmp after a phase."""
        self._child.drain()
        self._watcher.sample()
        self._storage.sample(now=True)

    def _over_a_limit(self) -> bool:
        return self._watcher.exceeded_mb is not None or self._storage.exceeded_mb is not None

    def _request(
        self, event: Any, request_id: str, left_ns: int, context: Mapping[str, Any]
    ) -> bytes:
        """The request line: the event and what the runtime is told about this invocation."""
        request = {
            "id": request_id,
            "deadline_ms": int(time.time() * 1000 + left_ns / 1e6),
            "arn": context.get("invoked_function_arn", self._arn),
            "client_context": context.get("client_context"),
            "trace_id": _trace_id(),
            "token": _token(),
            "event": event,
        }
        self._token = request["token"]
        try:
            return json.dumps(request).encode() + b"\n"
        except (TypeError, ValueError) as error:
            raise UsageError(f"the event is not JSON: {error}") from None

    def _emulation(self) -> Emulation:
        """How this environment's life is emulated here."""
        plan = self._cpu.plan
        return Emulation(
            cpu_share=plan.cpu_share,
            cpu_method=self._cpu.method,
            vcpus=plan.vcpus,
            init_cpu=plan.init_cpu,
            init_vcpus=plan.init_vcpus,
            machine_cpus=plan.machine_cpus,
            capped=plan.vcpus is not None and plan.vcpus > plan.machine_cpus,
            freeze=self._members.freeze_method,
            processes=self._members.method,
            ephemeral_storage=self._storage.method,
            ephemeral_storage_mb=self._storage.size_mb,
            cold_cache_bytes=self._cold_cache_bytes,
            threads_seen=self.spec.runtime_client != "awslambdaric",
            imports_seen=self.spec.runtime_client != "awslambdaric",
            read_only=self._read_only,
        )

    def _life(self, cpu_ms: float) -> dict[str, Any]:
        """An invocation's figures of the environment's life: its number, its CPU time, the
        most /tmp held, the work still running."""
        return {
            "invocation": self._invocations,
            "cpu_ms": cpu_ms,
            "ephemeral_peak_mb": self._storage.peak_mb,
            "left_running": self._tracker.running(),
            "package_changed": self._package_changed(),
        }

    def _package_changed(self) -> tuple[str, ...]:
        """What the function changed in its package since the last phase, where only the audit
        hook guards it (a write the hook does not see)."""
        return self._package.changes() if self._package is not None else ()

    def _init_result(
        self, reply: Reply, clock: tuple[int, int | None], phase: str, limit_s: float, cpu_ms: float
    ) -> InitResult:
        """The InitResult for what the child answered (or did not) after spawning; `clock`: when
        init started and when the runtime was ready (None: it never said so)."""
        runtime_init_ms, init_ms = _init_split_ms(clock, reply.at_ns)
        self._sample_now()
        answer = init_reply(decode(reply.line), self._token) if reply.kind == LINE else None
        error, payload, running = None, b"", ()
        if isinstance(answer, Ready) and not self._over_a_limit():
            running = tuple(seen_after(item, 0) for item in answer.running)
            self._ready = True
            self._cpu.apply(self._cpu.plan.vcpus)
        elif isinstance(answer, InitError) and not self._over_a_limit():
            error, payload = answer.error, answer.payload
            self._end(reply, "", False)
        else:
            error = self._end(reply, "", answer is None, limit_s)
        rows, dropped = self._stderr.take_rows()
        log = self._log.text()
        self._log.clear()
        return InitResult(
            ok=error is None,
            init_ms=init_ms,
            error=error,
            log=log,
            importtime_lines=tuple(rows),
            max_rss_mb=self._watcher.peak_mb,
            importtime_dropped=dropped,
            emulation=self._emulation(),
            cpu_ms=cpu_ms,
            ephemeral_peak_mb=self._storage.peak_mb,
            runtime_init_ms=runtime_init_ms,
            phase=phase,
            read_only=self._read_only,
            payload=payload,
            package_changed=self._package_changed(),
            running_at_end=running,
        )

    def _invoke_result(
        self, reply: InvokeReply, round_trip_ms: float, cpu_ms: float, request_id: str
    ) -> InvokeResult:
        """The InvokeResult for a well-formed reply of the runtime."""
        others = [pid for pid in self._members.pids() if pid != self._child.pid]
        self._tracker.seen(self._invocations, [*reply.running, *processes(others)])
        return InvokeResult(
            ok=reply.error is None,
            duration_ms=reply.duration_ns / 1e6,
            round_trip_ms=round_trip_ms,
            response=reply.response,
            error=reply.error,
            log=self._log.text(),
            max_rss_mb=self._watcher.peak_mb,
            environment_ended=False,
            request_id=request_id,
            importtime_lines=tuple(self._stderr.take_rows()[0]),
            payload=reply.payload,
            content_type=reply.content_type,
            import_ms=None if reply.import_ns is None else reply.import_ns / 1e6,
            usage=reply.usage,
            **self._life(cpu_ms),
        )

    def _end(
        self, reply: Reply, request_id: str, malformed: bool, limit_s: float | None = None
    ) -> ErrorInfo:
        """End the environment after a failure; the error that ended it (`malformed`: the
        reply line was not the runtime's)."""
        child = self._child
        self._members.kill()
        self._killed = True
        child.kill_group()
        child.reap()
        child.drain()
        self._stderr.flush()
        self.ended = True
        if reply.kind == TIMEOUT:
            return faults.timed_out(limit_s or self.spec.timeout_s, request_id)
        if self._watcher.exceeded_mb is not None:
            return faults.out_of_memory(request_id)
        if self._storage.exceeded_mb is not None:
            storage = self._storage
            return faults.storage_full(storage.exceeded_mb, storage.size_mb, request_id)
        if reply.kind == ENDED or not malformed:
            return faults.exit_error(child.exit.returncode, request_id)
        return faults.protocol_error(request_id)


def _born_held(cpus: float | None) -> bool:
    """Whether the child must be born in its cgroups: held below one CPU, its interpreter's own
    start would run faster than its share until it joined them. At one CPU or more a single
    thread's start is not held back, and the spawning thread's move into a new cpu cgroup costs
    it a wait for the CPU on a busy machine (2.4 ms median at a load of 7 on 2 CPUs), so the
    child joins its cgroups after its spawn (its CPU time is counted from the spawn either way)."""
    return cpus is not None and cpus < 1


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


def _token() -> str:
    """A new token the runtime echoes in its reply (64 random bits: not guessed by a handler)."""
    return os.urandom(8).hex()


def _trace_id() -> str:
    """An X-Ray trace header shaped like the one Lambda hands the runtime (96 random bits in
    the root, 64 in the parent id)."""
    random = os.urandom(20).hex()
    return f"Root=1-{int(time.time()):08x}-{random[:24]};Parent={random[24:]};Sampled=0"


def _runtime_ready_ns(at_ns: int, started_ns: int, read_ns: int) -> int:
    """When the runtime was ready: the child's own reading of the shared monotonic clock,
    kept within the parent's readings around it (the line's arrival when it is outside)."""
    return at_ns if started_ns <= at_ns <= read_ns else read_ns


def _init_split_ms(clock: tuple[int, int | None], answered_ns: int) -> tuple[float, float]:
    """(runtime_init_ms, init_ms): init's start to the runtime ready, then to the answer (all
    of it is the runtime's when the runtime never said it was ready)."""
    started_ns, runtime_ns = clock
    if runtime_ns is None:
        return (answered_ns - started_ns) / 1e6, 0.0
    return (runtime_ns - started_ns) / 1e6, (answered_ns - runtime_ns) / 1e6
