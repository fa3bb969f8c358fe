"""The Lambda API operations on the served functions: Invoke, Get/UpdateFunctionConfiguration."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from coldprof.bench.invocation import tail_base64
from coldprof.data import lambda_facts
from coldprof.errors import ColdprofError
from coldprof.serve import configuration
from coldprof.serve.errors import ApiError, bad_content, bad_parameter, not_found, service_error
from coldprof.serve.functions import FunctionPool, Lease
from coldprof.serve.invoke import Outcome, run

INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
JSON_HEADERS = {"Content-Type": "application/json"}

Reply = tuple[int, dict[str, str], bytes]
Observer = Callable[[str], None]


def split_name(raw: str, qualifier: str | None) -> tuple[str, str | None]:
    """Function name and qualifier from a name, `name:qualifier`, or a partial or full ARN."""
    parts = raw.split(":")
    if raw.startswith("arn:"):
        parts = parts[6:]
    elif len(parts) > 2 and parts[1] == "function":
        parts = parts[2:]
    name = parts[0] if parts else ""
    return name, qualifier or (parts[1] if len(parts) > 1 else None)


def describe_outcome(name: str, outcome: Outcome) -> str:
    """One line for the observer: cold or warm, the times, the error if any."""
    report = outcome.report()
    init = outcome.init
    start = "warm"
    if init is not None:
        start = f"cold start, init {init.init_duration_ms:.1f} ms"
    if init is not None and init.retry:
        start += ", stopped at Lambda's init limit and run again inside the invocation"
    line = f"{name}: {start}, duration {report.duration_ms:.1f} ms"
    error = outcome.error
    return line if error is None else f"{line}, {error.type}: {error.message}"


class Functions:
    """Every function served, answering the Lambda API operations; ends idle environments."""

    def __init__(
        self,
        pools: Mapping[str, FunctionPool],
        idle_timeout_s: float,
        region: str,
        observer: Observer | None = None,
    ):
        self.pools = dict(pools)
        self.idle_timeout_s = idle_timeout_s
        self.region = region
        self.observer = observer
        self.payload_max_bytes = lambda_facts()["limits"]["payload_sync_bytes"]
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._retire_idle, daemon=True)
        self._reaper.start()

    def invoke(
        self,
        name: str,
        qualifier: str | None,
        body: bytes,
        headers: Mapping[str, str],
        request_id: str,
    ) -> Reply:
        """POST .../invocations: RequestResponse (200), Event (202) or DryRun (204)."""
        pool = self.pool(name, qualifier)
        invocation_type = headers["invocation_type"]
        if invocation_type not in INVOCATION_TYPES:
            raise bad_parameter(
                f"X-Amz-Invocation-Type must be one of {', '.join(INVOCATION_TYPES)}"
            )
        event = _event(body)
        if invocation_type == "DryRun":
            return 204, {}, b""
        lease = pool.acquire()
        if invocation_type == "Event":
            args = (pool, lease, event, request_id)
            threading.Thread(target=self._run_event, args=args, daemon=True).start()
            return 202, {}, b""
        outcome = self._run(pool, lease, event, request_id)
        reply_headers = {**JSON_HEADERS, "X-Amz-Executed-Version": configuration.VERSION}
        if outcome.error is not None:
            reply_headers["X-Amz-Function-Error"] = "Unhandled"
        if headers["log_type"] == "Tail":
            reply_headers["X-Amz-Log-Result"] = tail_base64(outcome.log())
        return 200, reply_headers, outcome.payload()

    def describe(self, name: str, qualifier: str | None, wrapped: bool) -> Reply:
        """GET .../configuration (or GetFunction's {"Configuration": ...} when wrapped)."""
        pool = self.pool(name, qualifier)
        doc = configuration.document(pool.configuration, "Successful")
        return (
            200,
            dict(JSON_HEADERS),
            json.dumps({"Configuration": doc} if wrapped else doc).encode(),
        )

    def configure(self, name: str, qualifier: str | None, body: dict[str, Any]) -> Reply:
        """PUT .../configuration: apply the change; every environment of the function is retired."""
        pool = self.pool(name, qualifier)
        updated = pool.update(configuration.changed(body, pool.configuration))
        self._tell(f"{name}: configuration updated ({', '.join(sorted(body))}); next start is cold")
        doc = configuration.document(updated, "InProgress")
        return 200, dict(JSON_HEADERS), json.dumps(doc).encode()

    def pool(self, name: str, qualifier: str | None) -> FunctionPool:
        """The function's pool; ResourceNotFoundException for an unknown name or version."""
        pool = self.pools.get(name)
        if pool is None or qualifier not in (None, configuration.VERSION):
            arn = configuration.function_arn(name, self.region)
            raise not_found(arn if qualifier is None else f"{arn}:{qualifier}")
        return pool

    def close(self) -> None:
        """Stop retiring idle environments and end every environment of every function."""
        self._stop.set()
        for pool in self.pools.values():
            pool.close()

    def _run(self, pool: FunctionPool, lease: Lease, event: Any, request_id: str) -> Outcome:
        try:
            outcome = run(pool, lease, event, request_id)
        except (ColdprofError, OSError) as error:
            self._tell(f"{pool.name}: could not run: {error}")
            raise service_error(f"coldprof serve could not run {pool.name}: {error}") from None
        self._tell(describe_outcome(pool.name, outcome))
        return outcome

    def _run_event(self, pool: FunctionPool, lease: Lease, event: Any, request_id: str) -> None:
        """An Event invocation in its own thread: whatever happens is told, never raised."""
        try:
            self._run(pool, lease, event, request_id)
        except ApiError:
            return
        except Exception as error:  # no thread traceback on the server's stderr
            self._tell(f"{pool.name}: event invocation {request_id} failed: {error!r}")

    def _retire_idle(self) -> None:
        interval_s = max(0.05, min(1.0, self.idle_timeout_s / 4))
        while not self._stop.wait(interval_s):
            for pool in self.pools.values():
                retired = pool.retire_idle(self.idle_timeout_s)
                if retired:
                    self._tell(f"{pool.name}: {retired} idle environment(s) ended")

    def _tell(self, message: str) -> None:
        if self.observer is not None:
            self.observer(message)


def _event(body: bytes) -> Any:
    """The invocation payload as JSON (an empty body is `{}`)."""
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        raise bad_content(str(error)) from None
