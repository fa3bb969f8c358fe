"""A served function: $LATEST, its published versions (each with its own warm environments, as on
Lambda) and its aliases, which route invocations between versions by weight."""

from __future__ import annotations

import dataclasses
import random
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from coldprof.serve.configuration import function_arn
from coldprof.serve.errors import conflict, not_found
from coldprof.serve.functions import LATEST, Configuration, FunctionPool, lambda_timestamp


@dataclass(frozen=True)
class Alias:
    """A name for a version, optionally sending a share of invocations to a second version."""

    name: str
    function_version: str
    description: str = ""
    weights: Mapping[str, float] = field(default_factory=dict)  # AdditionalVersionWeights
    revision_id: str = field(default_factory=lambda: str(uuid.uuid4()))


class ServedFunction:
    """One function's versions and aliases; versions are numbered 1, 2, ... and never reused."""

    def __init__(self, configuration: Configuration, max_environments: int):
        self.name = configuration.function.function_name
        self.region = configuration.function.region
        self.max_environments = max_environments
        self._lock = threading.Lock()
        self._pools = {LATEST: FunctionPool(configuration, max_environments)}
        self._aliases: dict[str, Alias] = {}
        self._last_version = 0

    @property
    def latest(self) -> FunctionPool:
        """$LATEST: the version whose configuration changes."""
        return self._pools[LATEST]

    def arn(self, qualifier: str | None = None) -> str:
        """The function's ARN, qualified with a version or alias when given."""
        return function_arn(self.name, self.region, qualifier)

    def versions(self) -> list[FunctionPool]:
        """$LATEST, then the published versions in order."""
        with self._lock:
            return list(self._pools.values())

    def version(self, version: str) -> FunctionPool:
        """A version by number (or $LATEST); ResourceNotFoundException if there is none."""
        with self._lock:
            pool = self._pools.get(version)
        if pool is None:
            raise not_found(self.arn(version))
        return pool

    def resolve(self, qualifier: str | None) -> FunctionPool:
        """The version an invocation runs: the qualifier's, or an alias's (weights drawn)."""
        if qualifier is None or qualifier == LATEST or qualifier.isdigit():
            return self.version(qualifier or LATEST)
        alias = self.alias(qualifier)
        chosen = alias.function_version
        for version, weight in alias.weights.items():
            if random.random() < weight:
                chosen = version
        return self.version(chosen)

    def publish(self, description: str | None) -> tuple[FunctionPool, bool]:
        """A new version from $LATEST's configuration, or the last one when nothing changed since
        (as Lambda does); whether one was published."""
        latest = self.latest.configuration
        with self._lock:
            last = self._pools.get(str(self._last_version))
            if last is not None and _same(last.configuration, latest):
                return last, False
            self._last_version += 1
            number = str(self._last_version)
            frozen = dataclasses.replace(
                latest,
                version=number,
                description=latest.description if description is None else description,
                revision_id=str(uuid.uuid4()),
                last_modified=lambda_timestamp(),
            )
            pool = self._pools[number] = FunctionPool(frozen, self.max_environments)
            return pool, True

    def delete_version(self, version: str) -> None:
        """End a published version's environments and forget it; refused while an alias uses it."""
        with self._lock:
            users = sorted(a.name for a in self._aliases.values() if version in _targets(a))
            if users:
                raise conflict(
                    "Unable to delete version because the following aliases reference it: "
                    f"[{', '.join(users)}]"
                )
            pool = self._pools.pop(version, None)
        if pool is None:
            raise not_found(self.arn(version))
        pool.close()

    def aliases(self) -> list[Alias]:
        """The aliases, by name."""
        with self._lock:
            return sorted(self._aliases.values(), key=lambda alias: alias.name)

    def alias(self, name: str) -> Alias:
        """An alias by name; ResourceNotFoundException if there is none."""
        with self._lock:
            alias = self._aliases.get(name)
        if alias is None:
            raise not_found(self.arn(name), "Alias")
        return alias

    def put_alias(self, alias: Alias, create: bool) -> Alias:
        """Create an alias (ResourceConflictException if it exists) or replace one."""
        for version in _targets(alias):
            self.version(version)
        with self._lock:
            if create and alias.name in self._aliases:
                raise conflict(f"Alias already exists: {self.arn(alias.name)}")
            self._aliases[alias.name] = alias
        return alias

    def delete_alias(self, name: str) -> None:
        """Forget an alias."""
        self.alias(name)
        with self._lock:
            self._aliases.pop(name, None)

    def close(self) -> None:
        """End every environment of every version."""
        for pool in self.versions():
            pool.close()


def _targets(alias: Alias) -> list[str]:
    return [alias.function_version, *alias.weights]


def _same(published: Configuration, latest: Configuration) -> bool:
    """Nothing a version freezes differs between a published version and $LATEST."""
    fields = ("function", "code", "log_format")
    return all(getattr(published, name) == getattr(latest, name) for name in fields)
