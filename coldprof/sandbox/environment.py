"""One execution environment: a child interpreter that imports the handler once, then serves
invocations, living as Lambda's do: its CPU held to its memory size's share, frozen between
invocations, its /tmp bounded, every process it starts ended with it, and what its handlers
leave running recorded. Lambda's limits (timeout, memory) are enforced by the parent."""

from __future__ import annotations

import json
import signal
import tempfile
import time
import uuid
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from coldprof.data import lambda_facts
from coldprof.errors import UsageError
from coldprof.sandbox.capture import BoundedLog, ImportTimeSplitter
from coldprof.sandbox.child import check_spec, child_argv, child_env
from coldprof.sandbox.cpu_share import CpuLimiter, CpuPlan
from coldprof.sandbox.interpreter import InterpreterInfo, compiled_bootstrap
from coldprof.sandbox.left_running import LeftRunning, LeftRunningTracker, processes
from coldprof.sandbox.memory import MemoryWatcher
from coldprof.sandbox.page_cache import drop_from_page_cache
from coldprof.sandbox.parent import not_dumpable
from coldprof.sandbox.process import ENDED, LINE, TICK_NS, TIMEOUT, Child, ControlPipes, Reply
from coldprof.sandbox.processes import CgroupMembers, ProcessTree, confine
from coldprof.sandbox.replies import InvokeReply, decode, init_reply, invoke_reply
from coldprof.sandbox.spec import Emulation, EnvironmentSpec, ErrorInfo, InitResult, InvokeResult
from coldprof.sandbox.storage import EphemeralStorage, folder_prefix, remove

ACCOUNT_ID = "000000000000"
ERROR_SLACK_BYTES = 1024 * 1024  # room for an error's message and stack trace in a reply
LEFT_SLACK_BYTES = 64 * 1024  # room for the threads and tasks left running


class Environment:
    """One Lambda execution environment (one child process), used as a context manager."""

    def __init__(self, spec: EnvironmentSpec):
        self.spec = spec
        self.ended = False
        self._child: Child | None = None
        self._members: CgroupMembers | ProcessTree | None = None
        self._cpu: CpuLimiter | None = None
        self._watcher: MemoryWatcher | None = None
        self._storage: EphemeralStorage | None = None
        self._tmp_dir: str | None = None
        self._ready = False
        self._log = BoundedLog()
        self._stderr = ImportTimeSplitter(self._log)
        self._max_response_bytes = lambda_facts()["limits"]["payload_sync_bytes"]
        self._max_reply_bytes = self._max_response_bytes + ERROR_SLACK_BYTES + LEFT_SLACK_BYTES
        self._context: dict[str, str] = {}
        self._tracker = LeftRunningTracker()
        self._invocations = 0
        self._frozen_at_ns: int | None = None
        self._next_sample_ns = 0
        self._cold_cache_bytes: int | None = None
        self._killed = False  # every process of the environment was ended (_end)

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
        """Spawn the child and import the handler; user-code failures are in the result."""
        if self._child is not None:
            raise RuntimeError("Environment.start() may be called once")
        spec = self.spec
        check_spec(spec)
        not_dumpable()
        bootstrap = compiled_bootstrap(spec.interpreter.executable)
        if spec.cold_cache:
            self._cold_cache_bytes = drop_from_page_cache([spec.task_root, *spec.layers])
        child = self._child = self._spawn(spec.interpreter, len(bootstrap))
        self._confine(child)
        self._cpu.apply(self._cpu.plan.init_vcpus)
        cpu_before_ns = self._members.cpu_ns()
        deadline_ns = child.spawn_ns + _ns(spec.init_timeout_s)
        reply = self._exchange(bootstrap, deadline_ns)
        cpu_ms = (self._members.cpu_ns() - cpu_before_ns) / 1e6
        return self._init_result(reply, cpu_ms)

    def _spawn(self, info: InterpreterInfo, bootstrap_bytes: int) -> Child:
        """Start the child: the bootstrap loader, Lambda's variables, its own bounded /tmp."""
        self._tmp_dir = tempfile.mkdtemp(prefix=folder_prefix())
        self._storage = EphemeralStorage(self._tmp_dir, self.spec.ephemeral_storage_mb)
        control = ControlPipes.open()
        spec = self.spec
        fds = control.child_fds()
        argv = child_argv(spec, info, bootstrap_bytes, fds, self._max_response_bytes)
        env = child_env(spec, info, self._tmp_dir)
        self._context = lambda_context_fields(spec, env)
        stderr_sink = self._stderr.write if spec.importtime else self._log.write
        try:
            return Child(argv, env, str(spec.task_root), self._log.write, stderr_sink, control)
        except (OSError, ValueError) as error:
            raise UsageError(f"cannot start {info.executable}: {error}") from None

    def _confine(self, child: Child) -> None:
        """Hold the new child's processes together (before it runs any code of the function)."""
        spec = self.spec
        self._members = confine(child.pid, self._context["log_stream_name"])
        plan = CpuPlan.of(spec.cpu_share, spec.init_cpu, spec.memory_mb)
        self._cpu = CpuLimiter(plan, self._members)
        self._watcher = MemoryWatcher(
            child.pid, spec.memory_mb, self._members.kill, self._members.pids
        )
        child.on_tick = self._on_tick

    def _on_tick(self) -> int | None:
        """While the child runs: the duty cycle's look, and every TICK_NS the limits' samples."""
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

    def invoke(
        self,
        event: Any,
        request_id: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> InvokeResult:
        """Run the handler once on an event (start() must have succeeded); `context` holds this
        invocation's own context fields (invoked_function_arn, client_context)."""
        if not self._ready or self.ended:
            raise RuntimeError("Environment.invoke() needs a started, running environment")
        request_id = request_id or str(uuid.uuid4())
        message = self._request(event, request_id, context or {})
        self._log.clear()
        sent_ns = time.perf_counter_ns()
        self._thaw()
        cpu_before_ns = self._members.cpu_ns()
        reply = self._exchange(message, sent_ns + _ns(self.spec.timeout_s))
        round_trip_ms = (reply.at_ns - sent_ns) / 1e6
        cpu_ms = (self._members.cpu_ns() - cpu_before_ns) / 1e6
        self._freeze()
        self._invocations += 1
        self._sample_now()
        parsed = invoke_reply(decode(reply.line)) if reply.kind == LINE else None
        if parsed is not None and not self._over_a_limit():
            return self._invoke_result(parsed, round_trip_ms, cpu_ms, request_id)
        error = self._end(reply, parsed is None)
        return InvokeResult(
            ok=False,
            duration_ms=round_trip_ms,
            round_trip_ms=round_trip_ms,
            response={**error.payload(), "requestId": request_id},
            error=error,
            log=self._log.text(),
            max_rss_mb=self._watcher.peak_mb,
            environment_ended=True,
            request_id=request_id,
            importtime_lines=tuple(self._stderr.take_rows()[0]),
            invocation=self._invocations,
            cpu_ms=cpu_ms,
            ephemeral_peak_mb=self._storage.peak_mb,
            left_running=self._tracker.running(),
        )

    def left_running(self) -> tuple[LeftRunning, ...]:
        """Everything this environment's handlers left running, and what became of it."""
        return self._tracker.items()

    def close(self) -> None:
        """End every process of the environment; remove its /tmp (its tmpfs unmounted)."""
        if self._members is not None and not self._killed:
            self._members.kill()
        if self._child is not None:
            self._child.close()
        if self._members is not None:
            self._members.close()
        if self._tmp_dir is not None:
            remove(self._tmp_dir)
            self._tmp_dir = None
        self.ended = True

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

    def _request(self, event: Any, request_id: str, context: Mapping[str, Any]) -> bytes:
        """The request line: the event and the context's fields for this invocation."""
        spec = self.spec
        deadline_ms = int(time.time() * 1000 + spec.timeout_s * 1000)
        request = {
            "id": request_id,
            "deadline_ms": deadline_ms,
            "context": {**self._context, **context},
            "event": event,
        }
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
        )

    def _init_result(self, reply: Reply, cpu_ms: float) -> InitResult:
        """The InitResult for what the child answered (or did not) after spawning."""
        init_ms = (reply.at_ns - self._child.spawn_ns) / 1e6
        self._sample_now()
        answer = init_reply(decode(reply.line)) if reply.kind == LINE else None
        error = None
        if answer is True and not self._over_a_limit():
            self._ready = True
            self._cpu.apply(self._cpu.plan.vcpus)
        elif isinstance(answer, ErrorInfo):
            error = answer
            self._end(reply, False)
        else:
            error = self._end(reply, answer is None)
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
        )

    def _invoke_result(
        self, reply: InvokeReply, round_trip_ms: float, cpu_ms: float, request_id: str
    ) -> InvokeResult:
        """The InvokeResult for a well-formed reply of the bootstrap."""
        others = [pid for pid in self._members.pids() if pid != self._child.pid]
        self._tracker.seen(self._invocations, [*reply.running, *processes(others)])
        error = reply.error
        response = reply.response if error is None else {**error.payload(), "requestId": request_id}
        return InvokeResult(
            ok=error is None,
            duration_ms=reply.duration_ns / 1e6,
            round_trip_ms=round_trip_ms,
            response=response,
            error=error,
            log=self._log.text(),
            max_rss_mb=self._watcher.peak_mb,
            environment_ended=False,
            request_id=request_id,
            importtime_lines=tuple(self._stderr.take_rows()[0]),
            invocation=self._invocations,
            cpu_ms=cpu_ms,
            ephemeral_peak_mb=self._storage.peak_mb,
            left_running=self._tracker.running(),
        )

    def _end(self, reply: Reply, malformed: bool) -> ErrorInfo:
        """End the environment after a failure; the error that ended it."""
        child = self._child
        self._members.kill()
        self._killed = True
        child.kill_group()
        child.reap()
        child.drain()
        self._stderr.flush()
        self.ended = True
        if reply.kind == TIMEOUT:
            limit_s = self.spec.timeout_s if self._ready else self.spec.init_timeout_s
            return ErrorInfo("Sandbox.Timedout", f"Task timed out after {limit_s:.2f} seconds")
        if self._watcher.exceeded_mb is not None:
            return _out_of_memory(self._watcher.exceeded_mb, self.spec.memory_mb)
        if self._storage.exceeded_mb is not None:
            return _storage_full(self._storage.exceeded_mb, self._storage.size_mb)
        if reply.kind == ENDED or not malformed:
            return _exit_error(child.exit.returncode)
        return ErrorInfo(
            "Sandbox.ProtocolError",
            "Runtime exited with error: the function wrote something that is not the runtime's "
            "reply into coldprof's control pipe",
        )


def lambda_context_fields(spec: EnvironmentSpec, env: dict[str, str]) -> dict[str, str]:
    """The context object's fields that stay the same for every invocation."""
    return {
        "invoked_function_arn": (
            f"arn:aws:lambda:{spec.region}:{ACCOUNT_ID}:function:{spec.function_name}"
        ),
        "function_name": env["AWS_LAMBDA_FUNCTION_NAME"],
        "function_version": env["AWS_LAMBDA_FUNCTION_VERSION"],
        "memory_limit_in_mb": env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
        "log_group_name": env["AWS_LAMBDA_LOG_GROUP_NAME"],
        "log_stream_name": env["AWS_LAMBDA_LOG_STREAM_NAME"],
    }


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


def _exit_error(returncode: int) -> ErrorInfo:
    """Runtime.ExitError naming the signal or the exit status."""
    if returncode < 0:
        number = -returncode
        name = (
            signal.Signals(number).name if number in signal.valid_signals() else f"signal {number}"
        )
        description = signal.strsignal(number) or name
        return ErrorInfo(
            "Runtime.ExitError", f"Runtime exited with error: signal: {name} ({description})"
        )
    return ErrorInfo("Runtime.ExitError", f"Runtime exited with error: exit status {returncode}")


def _out_of_memory(rss_mb: float, limit_mb: int) -> ErrorInfo:
    """Runtime.OutOfMemory with the resident size that broke the limit."""
    return ErrorInfo(
        "Runtime.OutOfMemory",
        f"Runtime exited with error: signal: killed (resident memory {rss_mb:.1f} MB "
        f"exceeded the memory size of {limit_mb} MB)",
    )


def _storage_full(used_mb: float, size_mb: int) -> ErrorInfo:
    """The watched /tmp went past the ephemeral storage (no size-limited mount here)."""
    return ErrorInfo(
        "Sandbox.EphemeralStorageExceeded",
        f"/tmp held {used_mb:.1f} MB, more than the ephemeral storage of {size_mb} MB (on "
        "Lambda the write fails with ENOSPC; coldprof could not mount a size-limited /tmp "
        "here, so it watched the usage and ended the invocation)",
    )
