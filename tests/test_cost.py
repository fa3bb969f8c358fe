"""Billed duration and cost, as Lambda bills on-demand functions."""

from __future__ import annotations

import pytest

from coldprof.bench.cost import billed_duration_ms, estimate_cost, invocation_usd, prices
from coldprof.errors import UsageError


@pytest.mark.parametrize(
    ("duration_ms", "init_ms", "billed_ms"),
    [
        (8.40, None, 9),
        (8.00, None, 8),
        (0.02, None, 1),  # at least 1 ms
        (0.0, None, 1),
        (8.40, 170.13, 179),  # init is billed on on-demand functions (since August 2025)
        (0.5, 0.5, 1),
    ],
)
def test_billed_duration_rounds_up_to_the_millisecond(duration_ms, init_ms, billed_ms):
    assert billed_duration_ms(duration_ms, init_ms) == billed_ms


def test_prices_come_from_the_dated_data_file():
    x86, arm = prices("x86_64"), prices("arm64")
    assert x86.gb_second_usd == 0.0000166667
    assert arm.gb_second_usd == 0.0000133334
    assert x86.request_usd == arm.request_usd == 0.0000002
    assert x86.region == "us-east-1"
    assert len(x86.checked) == len("2026-11-23")


def test_one_invocation_is_the_request_plus_gb_seconds():
    # 1024 MB for 1000 ms is 1 GB-second.
    assert invocation_usd(1000, 1024, prices("x86_64")) == pytest.approx(0.0000002 + 0.0000166667)
    # 128 MB for 100 ms is 0.0125 GB-seconds.
    assert invocation_usd(100, 128, prices("arm64")) == pytest.approx(
        0.0000002 + 0.0125 * 0.0000133334
    )


def test_per_million_mixes_cold_and_warm_at_the_share():
    cost = estimate_cost([1000, 1000], [100], 1024, "x86_64", "us-east-1", 0.1)
    cold_usd = 0.0000002 + 0.0000166667
    warm_usd = 0.0000002 + 0.1 * 0.0000166667
    assert cost.cold_billed_ms == 1000
    assert cost.warm_billed_ms == 100
    assert cost.cold_invocation_usd == pytest.approx(cold_usd)
    assert cost.warm_invocation_usd == pytest.approx(warm_usd)
    assert cost.per_million_usd == pytest.approx(1e6 * (0.1 * cold_usd + 0.9 * warm_usd))


def test_arm64_costs_less_than_x86_64_for_the_same_durations():
    x86 = estimate_cost([300], [20], 512, "x86_64", "us-east-1", 0.05)
    arm = estimate_cost([300], [20], 512, "arm64", "us-east-1", 0.05)
    assert arm.per_million_usd < x86.per_million_usd


def test_without_warm_samples_only_an_all_cold_share_has_a_price():
    assert estimate_cost([200], [], 128, "x86_64", "us-east-1", 0.5).per_million_usd is None
    all_cold = estimate_cost([200], [], 128, "x86_64", "us-east-1", 1.0)
    assert all_cold.per_million_usd == pytest.approx(1e6 * all_cold.cold_invocation_usd)


def test_another_region_is_priced_with_us_east_1_and_says_so():
    cost = estimate_cost([10], [1], 128, "arm64", "eu-west-1", 0.01)
    assert (cost.region, cost.prices_region) == ("eu-west-1", "us-east-1")


def test_bad_share_and_unknown_architecture_are_usage_errors():
    with pytest.raises(UsageError, match="between 0 and 1"):
        estimate_cost([10], [1], 128, "x86_64", "us-east-1", 1.5)
    with pytest.raises(UsageError, match="no Lambda prices for architecture 'sparc'"):
        prices("sparc")
