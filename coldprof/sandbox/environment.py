"""One execution environment: a child interpreter that starts a Lambda-like Python runtime,
imports the handler once, then serves invocations, with Lambda's limits (init limit and its
retry, timeout, memory, response size) enforced by the parent."""

from __future__ import annotations

import dataclasses
import json
import marshal
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from coldprof.data import lambda_facts
from coldprof.errors import UsageError
from coldprof.sandbox import faults
from coldprof.sandbox.capture import BoundedLog, ImportTimeSplitter
from coldprof.sandbox.child import (
    check_spec,
    child_argv,
    child_config,
    child_env,
)
from coldprof.sandbox.interpreter import compiled_bootstrap
from coldprof.sandbox.memory import MemoryWatcher
from coldprof.sandbox.process import ENDED, LINE, TIMEOUT, Child, ControlPipes, Reply
from coldprof.sandbox.runtime_api import RuntimeApi
from coldprof.sandbox.spec import EnvironmentSpec, ErrorInfo, InitResult, InvokeResult

ACCOUNT_ID = "000000000000"
MARSHAL_VERSION = 4  # readable by every CPython coldprof runs (3.9+)
JSON_ESCAPE_FACTOR = 6  # a byte of a body may take up to six in the reply line (\u00XX)
ERROR_SLACK_BYTES = 1024 * 1024  # room for an error's message and stack trace in a reply
EXIT_GRACE_S = 2.0  # how long a runtime refused a response is given to exit by itself


class Environment:
    """One Lambda execution environment (one child process), used as a context manager."""

    def __init__(self, spec: EnvironmentSpec):
        self.spec = spec
        self.ended = False
        self._child: Child | None = None
        self._api: RuntimeApi | None = None
        self._watcher: MemoryWatcher | None = None
        self._tmp_dir: str | None = None
        self._ready = False
        self._retry_init = False  # init passed its limit: run it again in the first invocation
        self._read_only = ""
        self._log = BoundedLog()
        self._stderr = ImportTimeSplitter(self._log)
        self._max_response_bytes = lambda_facts()["limits"]["response_max_bytes"]
        self._max_reply_bytes = self._max_response_bytes * JSON_ESCAPE_FACTOR + ERROR_SLACK_BYTES
        self._arn = f"arn:aws:lambda:{spec.region}:{ACCOUNT_ID}:function:{spec.function_name}"

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
        are in the result. An init that passes the limit is run again by the next invoke()."""
        if self._child is not None:
            raise RuntimeError("Environment.start() may be called once")
        check_spec(self.spec)
        result = self._init(self.spec.init_timeout_s, "init", None)
        if result.status == "timeout":
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
        request_id = request_id or str(uuid.uuid4())
        context = context or {}
        if self._retry_init:
            return self._invoke_with_init(event, request_id, context)
        if not self._ready or self.ended:
            raise RuntimeError("Environment.invoke() needs a started, running environment")
        sent_ns = time.perf_counter_ns()
        deadline_ns = sent_ns + _ns(self.spec.timeout_s)
        return self._invoke(event, request_id, sent_ns, deadline_ns, context)

    def close(self) -> None:
        """End the child and its whole process group; remove the environment's /tmp."""
        self._close_child()
        if self._tmp_dir is not None:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)
            self._tmp_dir = None
        self.ended = True

    def _close_child(self) -> None:
        if self._child is not None:
            self._child.close()
        if self._api is not None:
            self._api.close()
            self._api = None

    def _init(self, limit_s: float, phase: str, started_ns: int | None) -> InitResult:
        """Spawn the child; wait for its runtime, then its handler, within the limit."""
        bootstrap = compiled_bootstrap(self.spec.interpreter.executable)
        child, message = self._spawn(bootstrap)
        started_ns = child.spawn_ns if started_ns is None else started_ns
        deadline_ns = started_ns + _ns(limit_s)
        reply = child.exchange(message, deadline_ns, self._max_reply_bytes)
        runtime_ns = None
        first = _decode(reply)
        if first.get("runtime") is True:
            runtime_ns = _runtime_ready_ns(first, started_ns, reply.at_ns)
            self._read_only = str(first.get("read_only", ""))
            reply = child.exchange(b"", deadline_ns, self._max_reply_bytes)
        return self._init_result(reply, started_ns, runtime_ns, phase, limit_s)

    def _spawn(self, bootstrap: bytes) -> tuple[Child, bytes]:
        """Start the child: the loader, its runtime's config, Lambda's variables, its own /tmp,
        its package read-only; the bytes to send it first (its code and config)."""
        spec = self.spec
        info = spec.interpreter
        self._tmp_dir = self._tmp_dir or tempfile.mkdtemp(prefix="coldprof-tmp-")
        control = ControlPipes.open()
        if spec.runtime_client == "awslambdaric":
            reply_write = os.dup(control.reply_write)
            self._api = RuntimeApi(
                os.dup(control.request_read), reply_write, self._max_response_bytes
            )
        fds = control.child_fds()
        config = child_config(spec, fds, self._max_response_bytes)
        config_bytes = marshal.dumps(config, MARSHAL_VERSION)
        argv = child_argv(spec, info, fds[0], (len(bootstrap), len(config_bytes)))
        env = child_env(spec, info, self._tmp_dir, self._api.address if self._api else None)
        stderr_sink = self._stderr.write if spec.importtime else self._log.write
        try:
            child = Child(argv, env, str(spec.task_root), self._log.write, stderr_sink, control)
        except (OSError, ValueError) as error:
            self._close_child()
            raise UsageError(f"cannot start {info.executable}: {error}") from None
        self._child = child
        self._watcher = MemoryWatcher(child.pid, spec.memory_mb, child.kill_group)
        child.on_tick = self._watcher.sample
        return child, bootstrap + config_bytes

    def retry_init(self) -> InitResult:
        """Run init again after it passed its limit, as Lambda does inside the first invocation
        (Phase: invoke), under the function's timeout; the handler is not invoked."""
        if not self._retry_init:
            raise RuntimeError("Environment.retry_init() follows an init that passed its limit")
        self._retry_init = False
        self._close_child()
        return self._init(self.spec.timeout_s, "invoke", time.perf_counter_ns())

    def _invoke_with_init(
        self, event: Any, request_id: str, context: Mapping[str, Any]
    ) -> InvokeResult:
        """The first invocation after an init that passed its limit: Lambda runs init again
        inside it, under the function's timeout, then the handler in the time left."""
        sent_ns = time.perf_counter_ns()
        deadline_ns = sent_ns + _ns(self.spec.timeout_s)
        reinit = self.retry_init()
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
        return InvokeResult(
            ok=False,
            duration_ms=duration_ms,
            round_trip_ms=reinit.init_duration_ms,
            response=_json_or_none(payload),
            error=error,
            log="",
            max_rss_mb=reinit.max_rss_mb,
            environment_ended=True,
            request_id=request_id,
            payload=payload,
            reinit=reinit,
            timed_out=timed_out,
        )

    def _invoke(
        self,
        event: Any,
        request_id: str,
        sent_ns: int,
        deadline_ns: int,
        context: Mapping[str, Any],
    ) -> InvokeResult:
        """Send one request and wait for its reply until the deadline."""
        message = self._request(event, request_id, deadline_ns - sent_ns, context)
        self._log.clear()
        reply = self._child.exchange(message, deadline_ns, self._max_reply_bytes)
        round_trip_ms = (reply.at_ns - sent_ns) / 1e6
        self._child.drain()
        self._watcher.sample()
        decoded = _decode(reply)
        if "ok" in decoded and "response_bytes" not in decoded and not self._watcher.exceeded_mb:
            result = _invocation_result(decoded, round_trip_ms, request_id)
            if result is not None:
                return dataclasses.replace(
                    result,
                    log=self._log.text(),
                    max_rss_mb=self._watcher.peak_mb,
                    importtime_lines=tuple(self._stderr.take_rows()[0]),
                )
        return self._ended_invocation(reply, decoded, request_id, round_trip_ms)

    def _ended_invocation(
        self, reply: Reply, decoded: dict, request_id: str, round_trip_ms: float
    ) -> InvokeResult:
        """The result of an invocation that ended its environment."""
        if "response_bytes" in decoded:  # the runtime exits by itself: let it say what it says
            self._let_exit(time.perf_counter_ns() + _ns(EXIT_GRACE_S))
        error = self._end(reply, request_id)
        duration_ms = round_trip_ms
        if "response_bytes" in decoded:
            error = faults.response_too_large(self._max_response_bytes)
            duration_ms = _number(decoded.get("duration_ns")) / 1e6
        timed_out = reply.kind == TIMEOUT
        if timed_out:
            duration_ms = self.spec.timeout_s * 1000
        payload = faults.platform_payload(error)
        return InvokeResult(
            ok=False,
            duration_ms=duration_ms,
            round_trip_ms=round_trip_ms,
            response=json.loads(payload),
            error=error,
            log=self._log.text(),
            max_rss_mb=self._watcher.peak_mb,
            environment_ended=True,
            request_id=request_id,
            importtime_lines=tuple(self._stderr.take_rows()[0]),
            payload=payload,
            timed_out=timed_out,
        )

    def _let_exit(self, deadline_ns: int) -> None:
        """Pump the child's output until it exits (or the deadline passes)."""
        while self._child.exchange(b"", deadline_ns, self._max_reply_bytes).kind == LINE:
            continue

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
            "event": event,
        }
        try:
            return json.dumps(request).encode() + b"\n"
        except (TypeError, ValueError) as error:
            raise UsageError(f"the event is not JSON: {error}") from None

    def _init_result(
        self, reply: Reply, started_ns: int, runtime_ns: int | None, phase: str, limit_s: float
    ) -> InitResult:
        """The InitResult for what the child answered (or did not) after spawning."""
        if runtime_ns is None:
            runtime_init_ms, init_ms = (reply.at_ns - started_ns) / 1e6, 0.0
        else:
            runtime_init_ms = (runtime_ns - started_ns) / 1e6
            init_ms = (reply.at_ns - runtime_ns) / 1e6
        self._child.drain()
        self._watcher.sample()
        decoded = _decode(reply)
        error, payload = None, b""
        if decoded.get("ready") is True and self._watcher.exceeded_mb is None:
            self._ready = True
        elif isinstance(decoded.get("init_error"), str) and self._watcher.exceeded_mb is None:
            payload = decoded["init_error"].encode("utf-8")
            error = _error_info(_json_or_none(payload))
            self._end(reply, "")
        else:
            error = self._end(reply, "", limit_s)
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
            runtime_init_ms=runtime_init_ms,
            phase=phase,
            read_only=self._read_only,
            payload=payload,
        )

    def _end(self, reply: Reply, request_id: str, limit_s: float | None = None) -> ErrorInfo:
        """Kill the environment after a failure; the error that ended it."""
        child = self._child
        child.kill_group()
        child.reap()
        child.drain()
        self._stderr.flush()
        self.ended = True
        if reply.kind == TIMEOUT:
            return faults.timed_out(limit_s or self.spec.timeout_s, request_id)
        if self._watcher.exceeded_mb is not None:
            return faults.out_of_memory(request_id)
        if reply.kind == ENDED:
            return faults.exit_error(child.exit.returncode, request_id)
        return ErrorInfo("Sandbox.ProtocolError", "the function wrote into coldprof's control pipe")


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


def _trace_id() -> str:
    """An X-Ray trace header shaped like the one Lambda hands the runtime."""
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    return f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=0"


def _decode(reply: Reply) -> dict:
    """The runtime's reply line as a dict ({} for no line, or not the runtime's JSON)."""
    if reply.kind != LINE:
        return {}
    try:
        decoded = json.loads(reply.line)
    except (ValueError, RecursionError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _runtime_ready_ns(line: dict, started_ns: int, read_ns: int) -> int:
    """When the runtime was ready: the child's own reading of the shared monotonic clock,
    kept within the parent's readings around it (the line's arrival when it has none)."""
    at_ns = line.get("at_ns")
    if isinstance(at_ns, int) and started_ns <= at_ns <= read_ns:
        return at_ns
    return read_ns


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _json_or_none(payload: bytes) -> Any:
    """A payload decoded as JSON, or None when it is not JSON."""
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):
        return None


def _body(reply: dict) -> tuple[bytes, str] | None:
    """The response's exact bytes and content type from a reply line (None: malformed)."""
    content_type = reply.get("content_type", "application/json")
    if isinstance(reply.get("body"), str):
        return reply["body"].encode("utf-8", "surrogatepass"), str(content_type)
    if isinstance(reply.get("body_latin1"), str):
        try:
            return reply["body_latin1"].encode("latin-1"), str(content_type)
        except UnicodeEncodeError:
            return None
    return None


def _invocation_result(reply: dict, round_trip_ms: float, request_id: str) -> InvokeResult | None:
    """The InvokeResult for a reply line of the runtime (None: not a well-formed one)."""
    body = _body(reply)
    if body is None:
        return None
    payload, content_type = body
    response = _json_or_none(payload) if content_type == "application/json" else None
    error = None if reply["ok"] is True else _error_info(response)
    return InvokeResult(
        ok=error is None,
        duration_ms=_number(reply.get("duration_ns")) / 1e6,
        round_trip_ms=round_trip_ms,
        response=response,
        error=error,
        log="",
        max_rss_mb=0.0,
        environment_ended=False,
        request_id=request_id,
        payload=payload,
        content_type=content_type,
    )


def _error_info(payload: Any) -> ErrorInfo:
    """ErrorInfo from the runtime's Lambda-shaped error payload."""
    if not isinstance(payload, dict):
        return ErrorInfo("Runtime.Unknown", "the runtime reported an error that is not JSON")
    trace = payload.get("stackTrace")
    lines = tuple(str(line) for line in trace) if isinstance(trace, list) else ()
    return ErrorInfo(str(payload.get("errorType", "")), str(payload.get("errorMessage", "")), lines)
