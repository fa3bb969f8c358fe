"""How a server runs: where it listens, its bounds, its throttling and who may call it."""

from __future__ import annotations

from dataclasses import dataclass

from coldprof.data import lambda_facts
from coldprof.serve.auth import AccessKey

CONCURRENCY = lambda_facts()["concurrency"]
ASYNC = lambda_facts()["async"]


@dataclass(frozen=True, kw_only=True)
class ServeOptions:
    """The settings of `coldprof serve` (the functions themselves are FunctionConfig records)."""

    host: str = "127.0.0.1"
    port: int = 9001  # 0: any free port
    max_environments: int = 4  # environments of one function at once: this machine's bound
    idle_timeout_s: float = 300.0  # an idle environment is ended after this long
    account_concurrency: int = CONCURRENCY["account_default"]  # Lambda's account-wide limit
    max_queued_events: int = 100  # Event invocations waiting or running: 429 beyond
    event_retry_delays_s: tuple[float, ...] = tuple(ASYNC["retry_delays_s"])  # Lambda: 60, 120
    accept_keys: tuple[AccessKey, ...] = ()  # --accept-key KEY_ID:SECRET
    credential_chain: bool = True  # also accept this environment's own AWS credentials
    no_auth: bool = False  # accept unsigned requests (--no-auth)
    region: str | None = None  # the default region of functions that set none
