"""The result record of `coldprof check` (JSON schema: docs/check.md, "Output")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coldprof.results import Note, each_object, legacy_note, with_field
from coldprof.stats import Stats

SCHEMA_VERSION = 2


@dataclass(frozen=True, kw_only=True)
class BudgetResult:
    """One budget: the measured value against its limit."""

    name: str  # "zipped", "init_ms", "max_growth: unzipped", ...
    key: str  # the config key it comes from: "zipped", "max_growth", ...
    actual: float | None  # in `unit`; None when it could not be measured
    limit: float  # in `unit`
    headroom: float | None  # limit - actual; negative when over
    ok: bool
    unit: str  # "bytes" | "ms" | "distributions" | "files"
    detail: Note  # what was measured and what is over: "zip", "median-of-runs", "found", ...
    spread: float | None  # standard deviation of timed samples (same unit), None for sizes
    warning: Note | None  # "noisy": a spread larger than the margin, the verdict may flip
    line: int | None = None  # the key's line in the config file; None for a default budget


@dataclass(frozen=True, kw_only=True)
class Measurements:
    """What the budgets were compared with, also what a baseline records."""

    zipped_bytes: int
    zipped_exact: bool  # False: a deflate-6 estimate for a folder
    unzipped_bytes: int  # function plus layers
    init_ms: Stats | None  # None when no handler is configured
    read_only: str = ""  # how the package was kept read-only while init was timed:
    # mount-namespace | audit-hook ("": no init was timed)
    init_stopped_runs: int = 0  # timed runs whose init passed Lambda's 10 s limit: stopped, then
    # run again inside the first invocation (init_ms holds that second run's)


@dataclass(frozen=True, kw_only=True)
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


def _budget_from_v1(budget: dict[str, Any]) -> dict[str, Any]:
    """Version 1 worded a budget's detail and warning as sentences."""
    budget = with_field(budget, "detail", legacy_note)
    return with_field(budget, "warning", legacy_note)


def _from_v1(document: dict[str, Any]) -> dict[str, Any]:
    return with_field(document, "budgets", each_object(_budget_from_v1))


UPGRADES = {1: _from_v1}  # schema version -> its document upgraded to the next version
