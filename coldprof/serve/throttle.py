"""Throttling as Lambda does it: reserved concurrency per function, the account's limit for the
rest, and this machine's own bound on one function's environments (--max-environments)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from coldprof.data import lambda_facts
from coldprof.serve.errors import ApiError, bad_parameter, throttled
from coldprof.serve.functions import machine_bound

RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"


class Concurrency:
    """Invocations in flight per function, against the limits that apply to it."""

    def __init__(self, account_limit: int, machine_limit: int):
        self.account_limit = account_limit
        self.machine_limit = machine_limit
        self.unreserved_min = min(account_limit, lambda_facts()["concurrency"]["unreserved_min"])
        self._lock = threading.Lock()
        self._running: Counter[str] = Counter()
        self._reserved: dict[str, int] = {}

    def reserved(self, name: str) -> int | None:
        """The function's reserved concurrency, if it has one."""
        with self._lock:
            return self._reserved.get(name)

    def unreserved(self) -> int:
        """The account's concurrency left for functions without a reservation."""
        with self._lock:
            return self.account_limit - sum(self._reserved.values())

    def reserve(self, name: str, count: int | None) -> None:
        """Set (or with None, remove) a reservation; the account keeps its unreserved minimum."""
        with self._lock:
            others = sum(n for fn, n in self._reserved.items() if fn != name)
            if count is not None and self.account_limit - others - count < self.unreserved_min:
                raise bad_parameter(
                    f"Specified ReservedConcurrentExecutions for function decreases account's "
                    f"UnreservedConcurrentExecution below its minimum value of "
                    f"[{self.unreserved_min}]."
                )
            if count is None:
                self._reserved.pop(name, None)
            else:
                self._reserved[name] = count

    def acquire(self, name: str) -> None:
        """Count one more invocation of the function; 429 with Lambda's Reason when over a limit."""
        with self._lock:
            refusal = self._refusal(name)
            if refusal is not None:
                raise refusal
            self._running[name] += 1

    def release(self, name: str) -> None:
        """One invocation of the function has ended."""
        with self._lock:
            self._running[name] -= 1

    @contextmanager
    def held(self, name: str) -> Iterator[None]:
        """One invocation's share of concurrency, for as long as it runs."""
        self.acquire(name)
        try:
            yield
        finally:
            self.release(name)

    def _refusal(self, name: str) -> ApiError | None:
        reserved = self._reserved.get(name)
        running = self._running[name]
        if reserved is not None and running >= reserved:
            detail = f"{name} has reached its reserved concurrency ({reserved})"
            return throttled(detail, RESERVED_LIMIT)
        unreserved = self.account_limit - sum(self._reserved.values())
        in_pool = sum(n for fn, n in self._running.items() if fn not in self._reserved)
        if reserved is None and in_pool >= unreserved:
            detail = f"the account's unreserved concurrency ({unreserved}) is in use"
            return throttled(detail, ACCOUNT_LIMIT)
        if running >= self.machine_limit:
            return throttled(machine_bound(name, self.machine_limit))
        return None
