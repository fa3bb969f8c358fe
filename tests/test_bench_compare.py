"""Comparisons ("B's cold start is 1.42 ± 0.05 times faster than A's") and trust warnings."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from coldprof.bench.compare import compare
from coldprof.bench.cost import estimate_cost
from coldprof.bench.driver import Measured, Plan
from coldprof.bench.quality import phase_warnings, run_warnings
from coldprof.bench.result import ColdStats, Sample, SampleError, WarmStats
from coldprof.bench.run import run_labels
from coldprof.render.words import verdict, word
from coldprof.stats import summarize


def noisy(mean_ms: float, n: int, seed: int, spread: float = 0.02) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(mean_ms, mean_ms * spread) for _ in range(n)]


def test_the_faster_run_is_named_first_with_the_error_and_interval():
    a, b = noisy(142, 30, 1), noisy(100, 30, 2)
    comparison = compare("cold start", "old/", a, "new/", b)
    assert (comparison.faster, comparison.slower) == ("new/", "old/")
    assert comparison.times == pytest.approx(1.42, abs=0.03)
    assert 0 < comparison.error < 0.1
    assert comparison.ci_low < comparison.times < comparison.ci_high
    assert comparison.ci_low > 1 and comparison.significant
    assert comparison.verdict == "faster"
    assert verdict(comparison).startswith(
        f"new/'s cold start is {comparison.times:.2f} ± {comparison.error:.2f} times faster "
        "than old/'s (95% CI "
    )


def test_the_order_of_the_runs_does_not_change_the_verdict():
    a, b = noisy(100, 20, 3), noisy(150, 20, 4)
    forward = compare("warm invocation", "A", a, "B", b)
    backward = compare("warm invocation", "B", b, "A", a)
    assert forward.faster == backward.faster == "A"
    assert forward.times == pytest.approx(backward.times)


def test_the_same_distribution_twice_is_within_the_noise():
    comparison = compare("cold start", "A", noisy(100, 20, 5), "B", noisy(100, 20, 6))
    assert comparison.ci_low < 1 < comparison.ci_high
    assert not comparison.significant
    assert comparison.verdict == "within-noise"
    assert verdict(comparison).startswith("A's and B's cold start differ by less than the noise")
    assert "times faster" not in verdict(comparison)


def test_a_large_ratio_with_a_larger_error_is_within_the_noise():
    """Two samples a side: a bootstrap interval above 1, but 13 ± 17 times is no finding."""
    comparison = compare("cold start", "128 MB", [60.0, 2900.0], "512 MB", [50.0, 60.0])
    assert comparison.times > 10 and comparison.error > comparison.times - 1
    assert not comparison.significant and comparison.verdict == "within-noise"
    assert "times faster" not in verdict(comparison)
    assert "differ by less than the noise (95% CI of the ratio " in verdict(comparison)


def test_a_microsecond_difference_is_called_too_small_to_matter():
    comparison = compare("warm invocation", "A", [0.0013] * 5 + [0.0014], "B", [0.0010] * 6)
    assert comparison.significant
    assert comparison.verdict == "too-small"
    assert comparison.difference_ms == pytest.approx(0.0013 + 0.0001 / 6 - 0.0010)
    assert verdict(comparison).endswith(
        "; the difference of the means (0.000 ms) is too small to matter"
    )


def test_a_target_compared_with_itself_gets_numbered_labels():
    runs = [(Path("f.zip"), "app.handler"), (Path("f.zip"), "app.handler")]
    assert run_labels(runs) == ["f.zip (app.handler) #1", "f.zip (app.handler) #2"]


def test_the_interval_is_the_same_on_every_run():
    a, b = noisy(100, 10, 7), noisy(120, 10, 8)
    first, second = compare("x", "A", a, "B", b), compare("x", "A", a, "B", b)
    assert (first.ci_low, first.ci_high) == (second.ci_low, second.ci_high)


def test_no_comparison_without_samples_on_both_sides():
    assert compare("cold start", "A", [], "B", [10.0]) is None
    assert compare("cold start", "A", [0.0, 0.0], "B", [10.0]) is None


def test_outliers_are_warned_about_when_they_matter():
    values = [*noisy(100, 20, 9, spread=0.01), 180.0]
    (warning,) = phase_warnings("cold start", summarize(values))
    assert (warning.code, warning.values["outliers"], warning.values["samples"]) == (
        "outliers",
        1,
        21,
    )
    assert word(warning).startswith("cold start: 1 of 21 samples are outliers")
    assert "--warmup" in word(warning)


def test_jitter_of_a_few_percent_is_not_worth_a_warning():
    values = [310.1, 310.3, 310.2, 310.3, 313.6]
    assert summarize(values).outliers == 1
    assert phase_warnings("cold init", summarize(values)) == []


def test_low_outliers_are_warned_about_too():
    values = [*noisy(100, 20, 9, spread=0.01), 20.0]
    (warning,) = phase_warnings("cold start", summarize(values))
    assert warning.values["farthest_ms"] == pytest.approx(79.9, abs=0.05)
    assert "1 of 21 samples are outliers (modified z-score above 3.5, up to 79.9 ms" in word(
        warning
    )


def test_sub_millisecond_jitter_is_not_worth_a_warning():
    values = [0.01] * 10 + [0.02, 0.3]
    assert phase_warnings("warm invocation", summarize(values)) == []


def test_a_spread_too_wide_to_trust_is_warned_about():
    (warning,) = phase_warnings("cold init", summarize([50.0, 100.0, 150.0, 80.0, 120.0]))
    assert warning.code == "wide-spread"
    assert word(warning).startswith(
        "cold init: the spread is too wide to trust (σ = 38.1 ms, 38.1% of"
    )


def sample(index: int, total_ms: float | None, warm: int) -> Sample:
    started = total_ms is not None
    return Sample(
        index=index,
        init_ms=total_ms - 1 if started else None,
        first_invoke_ms=1.0 if started else None,
        total_ms=total_ms,
        first_round_trip_ms=1.2 if started else None,
        invoke_ms=(0.5,) * warm,
        round_trip_ms=(0.6,) * warm,
        max_memory_used_mb=30.0,
        ok=True,
    )


def warnings_of(samples: list[Sample], errors: list[SampleError], plan: Plan, **kw) -> tuple:
    measured = Measured(tuple(samples), tuple(errors), kw.get("interrupted", False))
    totals = summarize([s.total_ms for s in samples if s.total_ms])
    cold = ColdStats(init_ms=None, first_invoke_ms=None, total_ms=totals)
    warm = WarmStats(invoke_ms=None, round_trip_ms=None)
    cost = estimate_cost([10], [1], 128, "x86_64", kw.get("region", "us-east-1"), 0.01)
    return run_warnings(cold, warm, measured, plan, cost)


def test_few_samples_ended_environments_interruption_and_region_are_warned_about():
    crash = SampleError(
        sample=1,
        phase="warm_invoke",
        invocation=2,
        type="Runtime.ExitError",
        message="signal",
        stack_trace=(),
        duration_ms=1.0,
        environment_ended=True,
    )
    samples = [sample(0, 100.0, 3), sample(1, 101.0, 1), sample(2, None, 0)]
    plan = Plan(cold=10, warm=3, warmup=0)
    warnings = warnings_of(samples, [crash], plan, interrupted=True, region="eu-west-1")
    assert [w.code for w in warnings] == [
        "few-samples",
        "warm-not-run",
        "interrupted",
        "other-region",
    ]
    assert tuple(map(word, warnings)) == (
        "only 2 successful cold sample(s): too few for sound statistics; use --cold 10 or more",
        "1 warm invocation(s) not run: their environment ended (see errors)",
        "stopped after 3 of 10 cold samples: the figures cover what was measured",
        "prices are us-east-1's (checked 2026-11-23); eu-west-1's may differ",
    )


def test_a_clean_run_has_no_warnings():
    samples = [sample(i, 100.0 + i % 2, 2) for i in range(10)]
    assert warnings_of(samples, [], Plan(cold=10, warm=2, warmup=1)) == ()
