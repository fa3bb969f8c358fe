"""A version of a served function: its configuration and its pool of warm environments."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from coldprof.function import FunctionConfig, environment_spec
from coldprof.sandbox import Environment
from coldprof.serve.errors import service_error, throttled

CLOSE_WAIT_S = 5.0  # how long closing waits for busy environments' invocations to wind up
LATEST = "$LATEST"
HASH_CHUNK_BYTES = 1024 * 1024


def lambda_timestamp() -> str:
    """Lambda's LastModified format: 2025-11-23T15:25:00.000+0000."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


@dataclass(frozen=True)
class Code:
    """Where a function's code is, as GetFunction shows it: a local folder or zip."""

    location: str  # a file:// URI
    sha256: str | None = None  # base64 SHA-256 of a zip (CodeSha256); None for a folder
    size_bytes: int | None = None  # the zip's size (CodeSize); None for a folder


def code_of(target: Path) -> Code:
    """The code of a target as given on the command line (a zip is hashed, never changed)."""
    path = target.resolve()
    if path.is_dir():
        return Code(path.as_uri())
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    sha256 = base64.b64encode(digest.digest()).decode("ascii")
    return Code(path.as_uri(), sha256, path.stat().st_size)


@dataclass(frozen=True, kw_only=True)
class Configuration:
    """A version's configuration; on $LATEST a new one retires every environment."""

    function: FunctionConfig  # prepared: its target a folder, its interpreter found
    code: Code
    version: str = LATEST  # "$LATEST", or "1", "2", ... once published
    log_format: str = "Text"  # "Text" | "JSON", as LoggingConfig.LogFormat
    description: str = ""
    revision_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    last_modified: str = field(default_factory=lambda_timestamp)


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
    """A version's environments: reused while warm, at most `max_environments` at once."""

    def __init__(self, configuration: Configuration, max_environments: int):
        self.name = configuration.function.function_name
        self.version = configuration.version
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
            revision = {"revision_id": str(uuid.uuid4()), "last_modified": lambda_timestamp()}
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
                raise throttled(machine_bound(self.name, self.max_environments))
            config = self._configuration
            environment = Environment(environment_spec(config.function, version=config.version))
            self._busy.add(environment)
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


def machine_bound(name: str, limit: int) -> str:
    """Why an invocation is refused at this machine's bound (not one of Lambda's)."""
    return (
        f"{name} has {limit} environment(s) busy: --max-environments, this machine's bound "
        "for one function (Lambda would start another)"
    )


def _close_all(environments: Iterable[Environment]) -> None:
    for environment in environments:
        environment.close()
