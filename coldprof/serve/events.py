"""Event (asynchronous) invocations as Lambda runs them: queued at once (202), retried after a
function error with a delay, dropped when too old; the queue is bounded (429 when full), and what
happened to each event is told to the observer and kept for the status endpoint."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from coldprof.render.units import seconds
from coldprof.results import display_path
from coldprof.serve.errors import ApiError, service_error, throttled
from coldprof.serve.invoke import Outcome

THROTTLE_WAIT_S = 1.0  # a throttled event is tried again this much later (not an attempt)
HISTORY_EVENTS = 100  # finished events kept for the status endpoint
STOP_WAIT_S = 5.0

Observer = Callable[[str], None]


@dataclass(frozen=True)
class EventSettings:
    """PutFunctionEventInvokeConfig's limits: retries after a function error, and event age."""

    maximum_retry_attempts: int
    maximum_event_age_s: int


@dataclass(kw_only=True)
class QueuedEvent:
    """One Event invocation and what has happened to it so far."""

    request_id: str
    function: str
    qualifier: str | None
    event: Any
    settings: EventSettings
    enqueued_at: float = field(default_factory=time.monotonic)
    attempts: int = 0
    state: str = "queued"  # queued | running | retrying | succeeded | dropped
    error_type: str | None = None  # the last attempt's error type
    dropped_because: str | None = None  # too-old | retries-exhausted | stopping | not-found | error

    def record(self) -> dict[str, Any]:
        """The event as the status endpoint shows it."""
        return {
            "RequestId": self.request_id,
            "FunctionName": self.function,
            "Qualifier": self.qualifier,
            "State": self.state,
            "Attempts": self.attempts,
            "ErrorType": self.error_type,
            "DroppedBecause": self.dropped_because,
            "AgeSeconds": round(time.monotonic() - self.enqueued_at, 3),
        }


Attempt = Callable[[QueuedEvent], Outcome]  # raises ApiError: 429 waits, anything else drops


class EventQueue:
    """The queued Event invocations of every function, run as concurrency allows."""

    def __init__(
        self,
        attempt: Attempt,
        max_events: int,
        retry_delays_s: Sequence[float],
        observer: Observer | None = None,
    ):
        self.attempt = attempt
        self.max_events = max_events
        self.retry_delays_s = tuple(retry_delays_s)
        self.observer = observer
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, QueuedEvent]] = []
        self._order = itertools.count()
        self._pending: dict[str, QueuedEvent] = {}
        self._finished: deque[QueuedEvent] = deque(maxlen=HISTORY_EVENTS)
        self._counts: Counter[str] = Counter()
        self._closing = False
        self._scheduler = threading.Thread(target=self._schedule, daemon=True)
        self._scheduler.start()

    def submit(self, item: QueuedEvent) -> None:
        """Queue an event; TooManyRequestsException when the queue is full (this server's bound),
        ServiceException once the server is stopping."""
        with self._cond:
            if self._closing:
                raise service_error("coldprof serve is stopping: the event cannot be queued")
            if len(self._pending) >= self.max_events:
                raise throttled(
                    f"the event queue holds {self.max_events} events (--max-queued-events, this "
                    "machine's bound; Lambda's queue has none)"
                )
            self._pending[item.request_id] = item
            self._push(item, 0.0)
        self._tell(f"{item.function}: event {item.request_id} queued")

    def status(self) -> dict[str, Any]:
        """Counts and the events pending or recently finished."""
        with self._cond:
            pending = [item.record() for item in self._pending.values()]
            finished = [item.record() for item in self._finished]
            counts = dict(self._counts)
        return {
            "MaxQueuedEvents": self.max_events,
            "Pending": len(pending),
            "Succeeded": counts.get("succeeded", 0),
            "Retried": counts.get("retried", 0),
            "Dropped": counts.get("dropped", 0),
            "Events": pending + finished,
        }

    def close(self) -> None:
        """Stop: queued events are dropped now, running ones when their attempt ends."""
        with self._cond:
            self._closing = True
            waiting = [item for _, _, item in self._heap]
            self._heap.clear()
            self._cond.notify_all()
        for item in waiting:
            self._drop(item, "stopping")
        self._scheduler.join(STOP_WAIT_S)

    def wait_finished(self, timeout_s: float = STOP_WAIT_S) -> None:
        """Wait until no event is pending (running attempts report their end)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._pending, timeout=timeout_s)

    def _push(self, item: QueuedEvent, delay_s: float) -> None:
        heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._order), item))
        self._cond.notify_all()

    def _schedule(self) -> None:
        """Start each event's attempt when it is due, in its own thread."""
        with self._cond:
            while not self._closing:
                wait_s = self._heap[0][0] - time.monotonic() if self._heap else None
                if wait_s is None or wait_s > 0:
                    self._cond.wait(wait_s)
                    continue
                _, _, item = heapq.heappop(self._heap)
                item.state = "running"
                threading.Thread(target=self._run, args=(item,), daemon=True).start()

    def _run(self, item: QueuedEvent) -> None:
        """One attempt of an event, then what follows: done, a retry, a wait, or a drop."""
        if self._closing:
            return self._drop(item, "stopping")
        if time.monotonic() - item.enqueued_at > item.settings.maximum_event_age_s:
            return self._drop(item, "too-old")
        try:
            outcome = self.attempt(item)
        except ApiError as error:
            return self._refused(item, error)
        except Exception as error:  # never a thread traceback on the server's stderr
            item.error_type = type(error).__name__
            return self._drop(item, "error")
        item.attempts += 1
        error = outcome.error
        if error is None:
            self._tell(
                f"{item.function}: event {item.request_id} succeeded (attempt {item.attempts})"
            )
            return self._finish(item, "succeeded")
        item.error_type = error.type
        if self._closing:
            return self._drop(item, "stopping")
        if item.attempts > item.settings.maximum_retry_attempts:
            return self._drop(item, "retries-exhausted")
        self._retry(item)

    def _refused(self, item: QueuedEvent, error: ApiError) -> None:
        """A throttled attempt waits (it is not an attempt); any other refusal drops the event.
        A service error (5xx: the environment could not start, or the server stopped while the
        function ran) counts as an attempt made; a client error (the function gone) does not."""
        if error.status == 429 and self._requeue(item, "queued", THROTTLE_WAIT_S):
            return
        if error.status >= 500:
            item.attempts += 1
        item.error_type = error.error_type
        reason = "not-found" if error.status == 404 else "error"
        self._drop(item, "stopping" if self._closing else reason)

    def _retry(self, item: QueuedEvent) -> None:
        delay_s = self.retry_delays_s[min(item.attempts, len(self.retry_delays_s)) - 1]
        total = item.settings.maximum_retry_attempts + 1
        self._tell(
            f"{item.function}: event {item.request_id} attempt {item.attempts} of {total} failed "
            f"({display_path(item.error_type or '')}); retrying in {seconds(delay_s)}"
        )
        if not self._requeue(item, "retrying", delay_s):
            self._drop(item, "stopping")

    def _requeue(self, item: QueuedEvent, state: str, delay_s: float) -> bool:
        """Queue an event again (a retry, or a wait after a throttle); False once stopping, when
        the queue no longer runs anything (checked under the lock close() takes)."""
        with self._cond:
            if self._closing:
                return False
            item.state = state
            if state == "retrying":
                self._counts["retried"] += 1
            self._push(item, delay_s)
        return True

    def _finish(self, item: QueuedEvent, state: str) -> None:
        with self._cond:
            item.state = state
            self._counts[state] += 1
            self._pending.pop(item.request_id, None)
            self._finished.append(item)
            self._cond.notify_all()

    def _drop(self, item: QueuedEvent, reason: str) -> None:
        """Say why an event is dropped, then count it finished (told before whoever waits for
        the queue to empty, such as close(), goes on)."""
        item.dropped_because = reason
        error = f", last error {display_path(item.error_type)}" if item.error_type else ""
        self._tell(
            f"{item.function}: event {item.request_id} dropped ({reason}) after "
            f"{item.attempts} attempt(s){error}"
        )
        self._finish(item, "dropped")

    def _tell(self, message: str) -> None:
        if self.observer is not None:
            self.observer(message)
