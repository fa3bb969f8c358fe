"""One execution environment: a child interpreter that imports the handler once, then serves
invocations, with Lambda's limits (timeout, memory) enforced by the parent."""

from __future__ import annotations

import json
import shutil
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
from coldprof.sandbox.interpreter import InterpreterInfo, compiled_bootstrap
from coldprof.sandbox.memory import MemoryWatcher
from coldprof.sandbox.process import ENDED, LINE, TIMEOUT, Child, ControlPipes, Reply
from coldprof.sandbox.spec import EnvironmentSpec, ErrorInfo, InitResult, InvokeResult

ACCOUNT_ID = "000000000000"
ERROR_SLACK_BYTES = 1024 * 1024  # room for an error's message and stack trace in a reply


class Environment:
    """One Lambda execution environment (one child process), used as a context manager."""

    def __init__(self, spec: EnvironmentSpec):
        self.spec = spec
        self.ended = False
        self._child: Child | None = None
        self._watcher: MemoryWatcher | None = None
        self._tmp_dir: str | None = None
        self._ready = False
        self._log = BoundedLog()
        self._stderr = ImportTimeSplitter(self._log)
        self._max_response_bytes = lambda_facts()["limits"]["payload_sync_bytes"]
        self._max_reply_bytes = self._max_response_bytes + ERROR_SLACK_BYTES
        self._context: dict[str, str] = {}

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
        info = spec.interpreter
        check_spec(spec)
        bootstrap = compiled_bootstrap(info.executable)
        child = self._child = self._spawn(info, len(bootstrap))
        self._watcher = MemoryWatcher(child.pid, spec.memory_mb, child.kill_group)
        child.on_tick = self._watcher.sample
        deadline_ns = child.spawn_ns + _ns(spec.init_timeout_s)
        reply = child.exchange(bootstrap, deadline_ns, self._max_reply_bytes)
        return self._init_result(reply)

    def _spawn(self, info: InterpreterInfo, bootstrap_bytes: int) -> Child:
        """Start the child: the bootstrap loader, Lambda's variables, its own /tmp."""
        self._tmp_dir = tempfile.mkdtemp(prefix="coldprof-tmp-")
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
        reply = self._child.exchange(
            message, sent_ns + _ns(self.spec.timeout_s), self._max_reply_bytes
        )
        round_trip_ms = (reply.at_ns - sent_ns) / 1e6
        self._child.drain()
        self._watcher.sample()
        decoded = _decode(reply)
        if decoded is not None and "ok" in decoded and self._watcher.exceeded_mb is None:
            return self._invoke_result(decoded, round_trip_ms, request_id)
        error = self._end(reply)
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
        )

    def close(self) -> None:
        """End the child and its whole process group; remove the environment's /tmp."""
        if self._child is not None:
            self._child.close()
        if self._tmp_dir is not None:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)
            self._tmp_dir = None
        self.ended = True

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

    def _init_result(self, reply: Reply) -> InitResult:
        """The InitResult for what the child answered (or did not) after spawning."""
        init_ms = (reply.at_ns - self._child.spawn_ns) / 1e6
        self._child.drain()
        self._watcher.sample()
        decoded = _decode(reply) or {}
        error = None
        if decoded.get("ready") is True and self._watcher.exceeded_mb is None:
            self._ready = True
        elif "error" in decoded:
            error = _error_info(decoded["error"])
            self._end(reply)
        else:
            error = self._end(reply)
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
        )

    def _invoke_result(self, reply: dict, round_trip_ms: float, request_id: str) -> InvokeResult:
        """The InvokeResult for a reply line of the bootstrap."""
        error = None if reply["ok"] else _error_info(reply["error"])
        response = (
            reply["response"] if error is None else {**reply["error"], "requestId": request_id}
        )
        return InvokeResult(
            ok=error is None,
            duration_ms=reply["duration_ns"] / 1e6,
            round_trip_ms=round_trip_ms,
            response=response,
            error=error,
            log=self._log.text(),
            max_rss_mb=self._watcher.peak_mb,
            environment_ended=False,
            request_id=request_id,
            importtime_lines=tuple(self._stderr.take_rows()[0]),
        )

    def _end(self, reply: Reply) -> ErrorInfo:
        """Kill the environment after a failure; the error that ended it."""
        child = self._child
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
        if reply.kind == ENDED:
            return _exit_error(child.exit.returncode)
        return ErrorInfo("Sandbox.ProtocolError", "the function wrote into coldprof's control pipe")


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


def _decode(reply: Reply) -> dict | None:
    """The bootstrap's reply line as a dict, or None (no line, or not the bootstrap's JSON)."""
    if reply.kind != LINE:
        return None
    try:
        decoded = json.loads(reply.line)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def _error_info(payload: dict) -> ErrorInfo:
    """ErrorInfo from the bootstrap's Lambda-shaped error payload."""
    return ErrorInfo(payload["errorType"], payload["errorMessage"], tuple(payload["stackTrace"]))


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
