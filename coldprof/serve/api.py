"""Every function served, with what the operations share: finding a function by name or ARN,
running an invocation within the concurrency limits, the event queue, and ending idle
environments."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from coldprof.data import lambda_facts
from coldprof.errors import ColdprofError
from coldprof.render.lifecycle import ADVICE, left_running_line
from coldprof.render.units import ms
from coldprof.results import display_path
from coldprof.sandbox import EnvironmentStopped
from coldprof.serve.configuration import ACCOUNT_ID, function_arn
from coldprof.serve.errors import bad_parameter, not_found, service_error, validation
from coldprof.serve.events import EventQueue, EventSettings, QueuedEvent
from coldprof.serve.functions import FunctionPool
from coldprof.serve.invoke import Outcome, run
from coldprof.serve.options import ServeOptions
from coldprof.serve.registry import ServedFunction
from coldprof.serve.throttle import Concurrency

Reply = tuple[int, dict[str, str], bytes]
Observer = Callable[[str], None]
# A name, a partial ARN or an ARN, with an optional qualifier (the model's pattern, in parts).
REFERENCE = re.compile(
    r"(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?"
    r"(?:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?(?:function:)?(?P<name>[a-zA-Z0-9-_.]+)"
    r"(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9-_]+))?"
)
STOPPED = "coldprof serve stopped while the function ran"


@dataclass(frozen=True)
class EventConfig:
    """A function's (or a version's or alias's) PutFunctionEventInvokeConfig."""

    settings: EventSettings
    last_modified_s: float  # epoch seconds


def default_event_settings() -> EventSettings:
    """Lambda's defaults: 2 retries after a function error, events kept for 6 hours."""
    defaults = lambda_facts()["async"]
    return EventSettings(defaults["maximum_retry_attempts"], defaults["maximum_event_age_s"])


def describe_outcome(name: str, outcome: Outcome) -> str:
    """One line for the observer: the version, cold or warm, the times, the error if any."""
    report = outcome.report()
    init = outcome.init
    start = "warm"
    if init is not None:
        start = f"cold start, init {ms(init.init_duration_ms)}"
        start += f", package read-only by {init.read_only}" if init.read_only else ""
    if init is not None and init.retry:
        start += ", stopped at Lambda's init limit and run again inside the invocation"
    version = outcome.configuration.version
    label = name if version == "$LATEST" else f"{name}:{version}"
    line = f"{label}: {start}, duration {ms(report.duration_ms)}"
    error = outcome.error
    return line if error is None else f"{line}, {display_path(f'{error.type}: {error.message}')}"


def left_running_lines(name: str, outcome: Outcome) -> list[str]:
    """A line per piece of work this invocation's handler left running (first seen now)."""
    result = outcome.invocation.result
    if result is None:
        return []
    new = [item for item in result.left_running if item.seen_after == result.invocation]
    return [f"{name}: left running: {left_running_line(item)}; {ADVICE}" for item in new]


class Functions:
    """Every function served, and what the API operations on them share."""

    def __init__(
        self,
        functions: Mapping[str, ServedFunction],
        options: ServeOptions,
        observer: Observer | None = None,
    ):
        self.options = options
        self.observer = observer
        self.region = options.region or lambda_facts()["defaults"]["region"]
        self.concurrency = Concurrency(options.account_concurrency, options.max_environments)
        self.event_configs: dict[tuple[str, str], EventConfig] = {}
        self.stopping = False
        self._functions = dict(functions)
        self._lock = threading.Lock()
        self.events = EventQueue(
            self._attempt_event, options.max_queued_events, options.event_retry_delays_s, observer
        )
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._retire_idle, daemon=True)
        self._reaper.start()

    def all(self) -> list[ServedFunction]:
        """The functions served, by name."""
        with self._lock:
            return [self._functions[name] for name in sorted(self._functions)]

    def function(self, params: Mapping[str, Any]) -> tuple[ServedFunction, str | None]:
        """The function a request names (FunctionName, and Qualifier when given) and the
        qualifier; 404 for an unknown name or another region's or account's ARN."""
        raw = params["FunctionName"]
        found = REFERENCE.fullmatch(raw)
        if found is None:  # the model's pattern has passed, so this does not happen
            raise bad_parameter(f"{raw} is not a function name or ARN")
        name, qualifier = found["name"], _qualifier(found["qualifier"], params.get("Qualifier"))
        limit = lambda_facts()["limits"]["function_name_chars"]
        if len(name) > limit:
            rule = f"Member must have length less than or equal to {limit}"
            raise validation(
                [f"Value '{raw}' at 'functionName' failed to satisfy constraint: {rule}"]
            )
        with self._lock:
            function = self._functions.get(name)
        foreign = found["account"] not in (None, ACCOUNT_ID)
        if function is None or foreign or found["region"] not in (None, function.region):
            region = found["region"] or (function.region if function else self.region)
            account = found["account"] or ACCOUNT_ID
            arn = function_arn(name, region, qualifier).replace(ACCOUNT_ID, account, 1)
            raise not_found(arn)
        return function, qualifier

    def remove(self, function: ServedFunction) -> None:
        """Stop serving a function (DeleteFunction): its environments end, its settings go."""
        with self._lock:
            self._functions.pop(function.name, None)
        self.concurrency.reserve(function.name, None)
        for key in [key for key in self.event_configs if key[0] == function.name]:
            del self.event_configs[key]
        function.close()
        self.tell(f"{function.name}: deleted; its environments ended")

    def run(
        self,
        function: ServedFunction,
        pool: FunctionPool,
        event: Any,
        request_id: str,
        context: Mapping[str, Any],
    ) -> Outcome:
        """One invocation within the function's concurrency; 429 when throttled."""
        with self.concurrency.held(function.name):
            lease = pool.acquire()
            try:
                outcome = run(pool, lease, event, request_id, context)
            except (ColdprofError, OSError) as error:
                if self.stopping and isinstance(error, EnvironmentStopped):
                    raise service_error(STOPPED) from None
                self.tell(f"{pool.name}: could not run: {error}")
                raise service_error(f"coldprof serve could not run {pool.name}: {error}") from None
        if self.stopping:
            raise service_error(STOPPED)
        self.tell(describe_outcome(function.name, outcome))
        for line in left_running_lines(function.name, outcome):
            self.tell(line)
        return outcome

    def event_settings(self, function: ServedFunction, qualifier: str | None) -> EventSettings:
        """The retry and age limits that apply to an Event invocation of this qualifier."""
        config = self.event_configs.get((function.name, qualifier or "$LATEST"))
        return default_event_settings() if config is None else config.settings

    def _attempt_event(self, item: QueuedEvent) -> Outcome:
        """One attempt of a queued event: the function is looked up again (it may be gone)."""
        with self._lock:
            function = self._functions.get(item.function)
        if function is None:
            raise not_found(function_arn(item.function, self.region))
        pool = function.resolve(item.qualifier)
        context = {"invoked_function_arn": function.arn(item.qualifier)}
        return self.run(function, pool, item.event, item.request_id, context)

    def close(self) -> None:
        """Stop: queued events are dropped, every environment ends (busy ones too)."""
        self.stopping = True
        self._stop.set()
        self.events.close()
        for function in self.all():
            function.close()
        self.events.wait_finished()

    def tell(self, message: str) -> None:
        """One line for the observer, if any."""
        if self.observer is not None:
            self.observer(message)

    def _retire_idle(self) -> None:
        idle_timeout_s = self.options.idle_timeout_s
        interval_s = max(0.05, min(1.0, idle_timeout_s / 4))
        while not self._stop.wait(interval_s):
            for function in self.all():
                for pool in function.versions():
                    retired = pool.retire_idle(idle_timeout_s)
                    if retired:
                        self.tell(f"{pool.name}: {retired} idle environment(s) ended")


def _qualifier(from_name: str | None, from_query: str | None) -> str | None:
    """The qualifier of `name:qualifier` or ?Qualifier=; 400 when both are given and differ."""
    if from_name is not None and from_query is not None and from_name != from_query:
        raise bad_parameter(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return from_name or from_query
