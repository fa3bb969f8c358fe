"""Hyperfine-style comparisons: "B's cold start is 1.42 ± 0.05 times faster than A's"."""

from __future__ import annotations

import random
import statistics

from coldprof.bench.result import Comparison
from coldprof.stats import ratio, summarize

BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95
SEED = 0  # a fixed seed: the same samples always give the same interval
MIN_DIFFERENCE_MS = 0.1  # below this, a difference of the means is too small to act on
MIN_SAMPLES = 3  # fewer on either side: a bootstrap interval says nothing


def beyond_noise(n_fast: int, n_slow: int, times: float, error: float, low: float) -> bool:
    """One run is faster beyond the noise: enough samples on both sides, the bootstrap interval
    of the ratio above 1, and the ratio's propagated error smaller than its distance to 1."""
    return min(n_fast, n_slow) >= MIN_SAMPLES and low > 1 and times - error > 1


def bootstrap_interval(faster_ms: list[float], slower_ms: list[float]) -> tuple[float, float]:
    """95% percentile-bootstrap interval of mean(slower) / mean(faster)."""
    rng = random.Random(SEED)
    ratios = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        fast = statistics.fmean(rng.choices(faster_ms, k=len(faster_ms)))
        slow = statistics.fmean(rng.choices(slower_ms, k=len(slower_ms)))
        if fast > 0:
            ratios.append(slow / fast)
    ratios.sort()
    tail = (1 - CONFIDENCE) / 2
    return ratios[int(tail * (len(ratios) - 1))], ratios[round((1 - tail) * (len(ratios) - 1))]


def compare(
    phase: str, a_label: str, a_ms: list[float], b_label: str, b_ms: list[float]
) -> Comparison | None:
    """How many times faster the faster of two runs is in one phase; None without samples."""
    a, b = summarize(a_ms), summarize(b_ms)
    if a is None or b is None or a.mean <= 0 or b.mean <= 0:
        return None
    if b.mean <= a.mean:
        faster, slower, fast_ms, slow_ms = (b_label, b), (a_label, a), b_ms, a_ms
    else:
        faster, slower, fast_ms, slow_ms = (a_label, a), (b_label, b), a_ms, b_ms
    times, error = ratio(faster[1], slower[1])
    low, high = bootstrap_interval(fast_ms, slow_ms)
    difference_ms = slower[1].mean - faster[1].mean
    significant = beyond_noise(len(fast_ms), len(slow_ms), times, error, low)
    return Comparison(
        phase=phase,
        faster=faster[0],
        slower=slower[0],
        times=times,
        error=error,
        ci_low=low,
        ci_high=high,
        significant=significant,
        difference_ms=difference_ms,
        verdict=verdict(significant, difference_ms),
    )


def verdict(significant: bool, difference_ms: float) -> str:
    """faster; within-noise when not beyond the noise; too-small below MIN_DIFFERENCE_MS."""
    if not significant:
        return "within-noise"
    return "too-small" if difference_ms < MIN_DIFFERENCE_MS else "faster"
