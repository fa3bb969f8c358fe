"""The functions a server runs: their configuration and a pool of warm environments each."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from coldprof.function import FunctionConfig, environment_spec
from coldprof.sandbox import Environment
from coldprof.serve.errors import service_error, too_many_requests

CLOSE_WAIT_S = 5.0  # how long closing waits for busy environments' invocations to wind up


def _now() -> str:
    """Lambda's LastModified format: 2025-11-23T15:25:00.000+0000."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


@dataclass(frozen=True, kw_only=True)
class Configuration:
    """A served function's configuration; a new one retires every environment."""

    function: FunctionConfig  # prepared: its target a folder, its interpreter found
    log_format: str = "Text"  # "Text" | "JSON", as LoggingConfig.LogFormat
    description: str = ""
    revision_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    last_modified: str = field(default_factory=_now)


@dataclass(frozen=True)
class Lease:
    """An environment lent to one invocation; `cold` when it still has to start."""

    environment: Environment
    cold: bool
    revision_id: str
    configuration: Configuration


@dataclass(frozen=True)
class _Idle:
    environment: Environment
    revision_id: str
    since: float  # time.monotonic() when it was given back


class FunctionPool:
    """A function's environments: reused while warm, at most `max_environments` at once."""

    def __init__(self, configuration: Configuration, max_environments: int):
        self.name = configuration.function.function_name
        self.max_environments = max_environments
        self._configuration = configuration
        self._lock = threading.Lock()
        self._released = threading.Condition(self._lock)
        self._idle: list[_Idle] = []
        self._busy: set[Environment] = set()
        self._closed = False

    @property
    def configuration(self) -> Configuration:
        """The current configuration."""
        with self._lock:
            return self._configuration

    def update(self, configuration: Configuration) -> Configuration:
        """Apply a new configuration: every idle environment is ended, busy ones on return."""
        with self._lock:
            revision = {"revision_id": str(uuid.uuid4()), "last_modified": _now()}
            updated = dataclasses.replace(configuration, **revision)
            self._configuration = updated
            retired, self._idle = self._idle, []
        _close_all(item.environment for item in retired)
        return updated

    def acquire(self) -> Lease:
        """A warm environment if one is idle, else a new one; 429 when all are busy."""
        with self._lock:
            if self._closed:
                raise service_error(f"coldprof serve is stopping: {self.name} cannot start")
            if self._idle:
                item = self._idle.pop()
                self._busy.add(item.environment)
                return Lease(item.environment, False, item.revision_id, self._configuration)
            if len(self._busy) >= self.max_environments:
                raise too_many_requests(self.name, self.max_environments)
            environment = Environment(environment_spec(self._configuration.function))
            self._busy.add(environment)
            config = self._configuration
            return Lease(environment, True, config.revision_id, config)

    def release(self, lease: Lease, reusable: bool) -> None:
        """Take an environment back: kept warm if reusable and its configuration is current."""
        environment = lease.environment
        with self._lock:
            current = lease.revision_id == self._configuration.revision_id
            if reusable and current and not self._closed:
                self._busy.discard(environment)
                self._idle.append(_Idle(environment, lease.revision_id, time.monotonic()))
                return
        environment.close()
        with self._lock:
            self._busy.discard(environment)
            self._released.notify_all()

    def retire_idle(self, idle_timeout_s: float) -> int:
        """End environments idle for longer than idle_timeout_s; how many were ended."""
        deadline = time.monotonic() - idle_timeout_s
        with self._lock:
            stale = [item for item in self._idle if item.since < deadline]
            self._idle = [item for item in self._idle if item.since >= deadline]
        _close_all(item.environment for item in stale)
        return len(stale)

    def close(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """End every environment, busy ones included; no new ones start afterwards."""
        with self._lock:
            self._closed = True
            idle, self._idle = [item.environment for item in self._idle], []
            busy = list(self._busy)
        _close_all(idle + busy)
        with self._lock:
            self._released.wait_for(lambda: not self._busy, timeout=wait_s)


def _close_all(environments: Iterable[Environment]) -> None:
    for environment in environments:
        environment.close()
