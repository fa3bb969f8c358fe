"""What Lambda bills: billed duration in 1 ms steps, and the cost of invocations in USD."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from coldprof.data import lambda_facts
from coldprof.errors import UsageError

PRICED_REGION = "us-east-1"
MIB_PER_GB = 1024
INVOCATIONS_PER_MILLION = 1_000_000


@dataclass(frozen=True)
class Prices:
    """On-demand prices for one architecture, from the dated data file."""

    arch: str
    region: str
    gb_second_usd: float
    request_usd: float
    checked: str  # the date the prices were checked


@dataclass(frozen=True, kw_only=True)
class CostEstimate:
    """What invocations cost at one memory size and a given share of cold starts."""

    arch: str
    region: str  # the region asked for
    prices_region: str  # the region the prices are for
    prices_checked: str
    memory_mb: int
    gb_second_usd: float
    request_usd: float
    cold_share: float  # fraction of invocations that are cold starts
    cold_billed_ms: float | None  # mean billed duration of a cold invocation (init included)
    warm_billed_ms: float | None  # mean billed duration of a warm invocation
    cold_invocation_usd: float | None
    warm_invocation_usd: float | None
    per_million_usd: float | None  # a million invocations at cold_share


def billed_duration_ms(duration_ms: float, init_ms: float | None = None) -> int:
    """Lambda's Billed Duration: handler time plus init (on-demand), rounded up to 1 ms."""
    return max(1, math.ceil(duration_ms + (init_ms or 0.0)))


def prices(arch: str) -> Prices:
    """The on-demand prices of an architecture (x86_64 or arm64)."""
    facts = lambda_facts()
    table = facts["pricing_us_east_1"]
    if arch not in table:
        raise UsageError(f"no Lambda prices for architecture {arch!r}; use {', '.join(table)}")
    row = table[arch]
    return Prices(arch, PRICED_REGION, row["gb_second_usd"], row["request_usd"], facts["checked"])


def invocation_usd(billed_ms: float, memory_mb: int, price: Prices) -> float:
    """The cost of one invocation: the request plus its GB-seconds."""
    gb_seconds = memory_mb / MIB_PER_GB * billed_ms / 1000
    return price.request_usd + gb_seconds * price.gb_second_usd


def _mean_usd(billed_ms: list[int], memory_mb: int, price: Prices) -> tuple[float, float] | None:
    if not billed_ms:
        return None
    mean_ms = statistics.fmean(billed_ms)
    return mean_ms, invocation_usd(mean_ms, memory_mb, price)


def _per_million(cold_usd: float | None, warm_usd: float | None, cold_share: float) -> float | None:
    if cold_share == 1 and cold_usd is not None:
        return cold_usd * INVOCATIONS_PER_MILLION
    if cold_share == 0 and warm_usd is not None:
        return warm_usd * INVOCATIONS_PER_MILLION
    if cold_usd is None or warm_usd is None:
        return None
    return (cold_share * cold_usd + (1 - cold_share) * warm_usd) * INVOCATIONS_PER_MILLION


def estimate_cost(
    cold_billed_ms: list[int],
    warm_billed_ms: list[int],
    memory_mb: int,
    arch: str,
    region: str,
    cold_share: float,
) -> CostEstimate:
    """Cost per cold and warm invocation and per million invocations at a cold-start share."""
    if not 0 <= cold_share <= 1:
        raise UsageError(f"the cold-start share must be between 0 and 1, not {cold_share}")
    price = prices(arch)
    cold = _mean_usd(cold_billed_ms, memory_mb, price)
    warm = _mean_usd(warm_billed_ms, memory_mb, price)
    cold_usd = cold[1] if cold else None
    warm_usd = warm[1] if warm else None
    return CostEstimate(
        arch=arch,
        region=region,
        prices_region=price.region,
        prices_checked=price.checked,
        memory_mb=memory_mb,
        gb_second_usd=price.gb_second_usd,
        request_usd=price.request_usd,
        cold_share=cold_share,
        cold_billed_ms=cold[0] if cold else None,
        warm_billed_ms=warm[0] if warm else None,
        cold_invocation_usd=cold_usd,
        warm_invocation_usd=warm_usd,
        per_million_usd=_per_million(cold_usd, warm_usd, cold_share),
    )
