"""The proof, measured side by side in one run: sizes, init times and the handler's answer.

Both sides run with the same settings, layers and interpreter; only the package differs.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coldprof.bench.compare import compare
from coldprof.bench.result import Comparison
from coldprof.imports.profile import error_record
from coldprof.imports.result import ErrorRecord
from coldprof.imports.sides import init_ms, init_side_by_side
from coldprof.package.model import Package
from coldprof.sandbox import Environment, EnvironmentSpec
from coldprof.slim.result import Gain, Interval, ResponseCheck, Side
from coldprof.stats import median_interval, median_ratio_interval, summarize

REQUEST_ID = "c01dc01d-5117-4e00-8000-000000000000"  # the same on both sides

Tick = Callable[[int, int], None]


@dataclass(frozen=True)
class Answer:
    """What one environment answered: a digest of the response, or the error."""

    sha256: str
    error: ErrorRecord | None


def _digest(value: Any) -> str:
    text = json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _failed(error: ErrorRecord) -> Answer:
    """An error's answer: its type and message (its stack trace names paths that differ)."""
    return Answer(_digest({"errorType": error.type, "errorMessage": error.message}), error)


def answer(spec: EnvironmentSpec, event: Any) -> Answer:
    """The handler's answer to the event in a fresh environment."""
    with Environment(spec) as environment:
        init = environment.start()
        if not init.ok:
            return _failed(error_record(init.error))
        result = environment.invoke(event, REQUEST_ID)
    if result.error is not None:
        return _failed(error_record(result.error))
    return Answer(_digest(result.response), None)


def check_response(before: EnvironmentSpec, after: EnvironmentSpec, event: Any) -> ResponseCheck:
    """The answers before and after; when they differ, whether the original's answer varies."""
    first, slimmed = answer(before, event), answer(after, event)
    equal = first.sha256 == slimmed.sha256
    varies = not equal and answer(before, event).sha256 != first.sha256
    return ResponseCheck(
        equal=equal,
        before_sha256=first.sha256,
        after_sha256=slimmed.sha256,
        before_error=first.error,
        after_error=slimmed.error,
        varies=varies,
    )


def measure_init(
    before: EnvironmentSpec, after: EnvironmentSpec, repeat: int, tick: Tick
) -> tuple[list[float], list[float]]:
    """Init times of both sides over `repeat` fresh environments each, interleaved."""
    runs = init_side_by_side({"before": before, "after": after}, repeat, tick)
    return init_ms(runs["before"]), init_ms(runs["after"])


def init_comparison(before_ms: list[float], after_ms: list[float]) -> Comparison | None:
    """After against before, hyperfine style, as bench compares runs."""
    return compare("init", "before", before_ms, "after", after_ms)


MIN_GAIN_RUNS = 3  # fewer runs a side: an interval says nothing about the gain


def init_gain(before_ms: list[float], after_ms: list[float]) -> Gain | None:
    """median(before) / median(after) with its 95% bootstrap interval; None without samples."""
    interval = median_ratio_interval(before_ms, after_ms)
    before, after = summarize(before_ms), summarize(after_ms)
    if interval is None or before is None or after is None or after.median <= 0:
        return None
    low, high = interval
    enough = min(len(before_ms), len(after_ms)) >= MIN_GAIN_RUNS
    return Gain(
        times=before.median / after.median,
        ci_low=low,
        ci_high=high,
        beyond_noise=enough and not low <= 1 <= high,
    )


def side(zipped: tuple[int, bool], unzipped_bytes: int, files: int, samples: list[float]) -> Side:
    """One side's record: sizes and init statistics."""
    interval = median_interval(samples)
    return Side(
        zipped_bytes=zipped[0],
        zipped_exact=zipped[1],
        unzipped_bytes=unzipped_bytes,
        files=files,
        init_ms=summarize(samples),
        init_median_ci_ms=None if interval is None else Interval(low=interval[0], high=interval[1]),
    )


def package_sizes(package: Package) -> tuple[tuple[int, bool], int, int]:
    """(zipped bytes and whether exact, unzipped bytes, files) of the target as analyze read it."""
    zipped = (package.archive_bytes, package.zipped_exact)
    return zipped, package.unzipped_bytes, len(package.files)


def folder_sizes(root: Path, archive: Path) -> tuple[tuple[int, bool], int, int]:
    """(zipped bytes of the zip written, exact; unzipped bytes, files) of the slimmed package."""
    sizes = [
        os.stat(os.path.join(folder, name)).st_size
        for folder, _, names in os.walk(root)
        for name in names
    ]
    return (archive.stat().st_size, True), sum(sizes), len(sizes)
