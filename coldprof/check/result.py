"""The result record of `coldprof check` (JSON schema version in every document)."""

from __future__ import annotations

from dataclasses import dataclass

from coldprof.stats import Stats

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class BudgetResult:
    """One budget: the measured value against its limit."""

    name: str  # "zipped", "init_ms", "max_growth: unzipped", ...
    key: str  # the config key it comes from: "zipped", "max_growth", ...
    actual: float | None  # in `unit`; None when it could not be measured
    limit: float  # in `unit`
    headroom: float | None  # limit - actual; negative when over
    ok: bool
    unit: str  # "bytes" | "ms" | "distributions" | "files"
    detail: str  # what was measured and what is over, in words
    spread: float | None  # standard deviation of timed samples (same unit), None for sizes
    warning: str | None  # e.g. a spread larger than the margin: the verdict may flip
    line: int | None = None  # the key's line in the config file; None for a default budget


@dataclass(frozen=True)
class Measurements:
    """What the budgets were compared with, also what a baseline records."""

    zipped_bytes: int
    zipped_exact: bool  # False: a deflate-6 estimate for a folder
    unzipped_bytes: int  # function plus layers
    init_ms: Stats | None  # None when no handler is configured


@dataclass(frozen=True)
class CheckResult:
    config: str
    target: str
    layers: tuple[str, ...]
    runtime: str
    arch: str
    measurements: Measurements
    budgets: tuple[BudgetResult, ...]
    ok: bool
    baseline: str | None  # the baseline file compared with (or written)
    baseline_written: bool
    kind: str = "check"
    schema_version: int = SCHEMA_VERSION
