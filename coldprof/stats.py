"""Summary statistics for repeated samples, as hyperfine reports them."""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass

# A sample whose modified z-score (from the median absolute deviation) exceeds this is an outlier.
OUTLIER_Z = 3.5


@dataclass(frozen=True, kw_only=True)
class Stats:
    """n, mean ± stdev, median, percentiles and range of a list of samples (one unit)."""

    n: int
    mean: float
    stdev: float
    median: float
    p90: float
    p95: float
    p99: float
    min: float
    max: float
    outliers: int

    @property
    def relative_spread(self) -> float:
        """Standard deviation as a fraction of the median (0 when the median is 0)."""
        return self.stdev / self.median if self.median else 0.0


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Linear-interpolation percentile (numpy's default) of already sorted values."""
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    weight = position - low
    return sorted_values[low] * (1 - weight) + sorted_values[high] * weight


def outlier_indexes(values: list[float]) -> list[int]:
    """Indexes of samples whose modified z-score (MAD based) is above OUTLIER_Z."""
    if len(values) < 3:
        return []
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    if mad == 0:
        return []
    return [i for i, v in enumerate(values) if 0.6745 * abs(v - median) / mad > OUTLIER_Z]


def summarize(values: list[float]) -> Stats | None:
    """Stats of the samples, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return Stats(
        n=len(values),
        mean=statistics.fmean(values),
        stdev=statistics.stdev(values) if len(values) > 1 else 0.0,
        median=statistics.median(ordered),
        p90=percentile(ordered, 0.90),
        p95=percentile(ordered, 0.95),
        p99=percentile(ordered, 0.99),
        min=ordered[0],
        max=ordered[-1],
        outliers=len(outlier_indexes(values)),
    )


def ratio(a: Stats, b: Stats) -> tuple[float, float]:
    """b.mean / a.mean with its standard error propagated ("A is r ± e times faster than B")."""
    r = b.mean / a.mean
    error = r * math.sqrt((a.stdev / a.mean) ** 2 + (b.stdev / b.mean) ** 2)
    return r, error


def median_interval(
    values: list[float], confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of the median (fixed seed: the same samples give the same
    interval); None without samples."""
    if not values:
        return None
    rng = random.Random(seed)
    medians = sorted(
        statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples)
    )
    tail = (1 - confidence) / 2
    return medians[int(tail * (resamples - 1))], medians[round((1 - tail) * (resamples - 1))]


def median_ratio_interval(
    numerator: list[float],
    denominator: list[float],
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of median(numerator) / median(denominator), each side
    resampled on its own (fixed seed); None without samples or with a median of 0."""
    if not numerator or not denominator:
        return None
    rng = random.Random(seed)
    ratios = []
    for _ in range(resamples):
        bottom = statistics.median(rng.choices(denominator, k=len(denominator)))
        if bottom > 0:
            ratios.append(statistics.median(rng.choices(numerator, k=len(numerator))) / bottom)
    if not ratios:
        return None
    ratios.sort()
    tail = (1 - confidence) / 2
    return ratios[int(tail * (len(ratios) - 1))], ratios[round((1 - tail) * (len(ratios) - 1))]
