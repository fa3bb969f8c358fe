"""`coldprof check`: measure the package, compare every budget, optionally write the baseline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from coldprof.analyze import analyze_function
from coldprof.analyze.result import AnalyzeResult
from coldprof.check import budgets
from coldprof.check.baseline import (
    Baseline,
    baseline_of,
    read_baseline,
    refuse_inside,
    write_baseline,
)
from coldprof.check.result import BudgetResult, CheckResult, Measurements
from coldprof.check.timing import InitTiming, Observer, time_init
from coldprof.config import Config
from coldprof.errors import UsageError


def _size_budgets(config: Config, analysis: AnalyzeResult) -> list[BudgetResult]:
    budget = config.budget
    results = [
        budgets.zipped(analysis, budget.zipped_bytes),
        budgets.unzipped(analysis, budget.unzipped_bytes),
    ]
    if budget.forbid:
        results.append(budgets.forbidden(analysis, budget.forbid))
    if budget.max_distribution_bytes is not None:
        results.append(budgets.largest_distribution(analysis, budget.max_distribution_bytes))
    if budget.require_valid_bytecode:
        results.append(budgets.valid_bytecode(analysis))
    if not budget.allow_incompatible_extensions:
        results.append(budgets.compatible_extensions(analysis))
    if not budget.allow_errors:
        results.append(budgets.analyze_errors(analysis))
    return results


def _init_budgets(config: Config, timing: InitTiming) -> list[BudgetResult]:
    limit_ms = config.budget.init_ms
    if limit_ms is None:
        return []
    if timing.init_ms is None:
        return [budgets.init_failed(timing.error or "no init was measured", limit_ms)]
    return [budgets.init_time(timing.init_ms, limit_ms)]


def _growth_budgets(
    config: Config, measurements: Measurements, baseline: Baseline | None
) -> list[BudgetResult]:
    growth = config.budget.max_growth
    if baseline is None or growth is None:
        return []
    results = [
        budgets.size_growth("zipped", measurements.zipped_bytes, baseline.zipped_bytes, growth),
        budgets.size_growth(
            "unzipped", measurements.unzipped_bytes, baseline.unzipped_bytes, growth
        ),
    ]
    init = measurements.init_ms
    if growth.fraction is not None and init is not None and baseline.init_ms is not None:
        results.append(budgets.init_growth(init, baseline.init_ms, growth))
    return results


def _baseline_to_compare(config: Config, update_baseline: bool) -> Baseline | None:
    """The baseline growth is compared with (read before any slow work, to fail early)."""
    path = config.budget.baseline
    if update_baseline and path is None:
        raise UsageError(
            f"{config.path}: set baseline in [tool.coldprof.budget] to the file "
            "--update-baseline should write"
        )
    if update_baseline:
        refuse_inside(path, _analysed(config))
    if update_baseline or path is None or config.budget.max_growth is None:
        return None
    return read_baseline(path)


def _analysed(config: Config) -> tuple[Path, ...]:
    return (config.function.target, *config.function.layers)


def _measure(config: Config, observer: Observer | None) -> tuple[AnalyzeResult, InitTiming]:
    function = config.function
    if observer is not None:
        observer(f"analysing {function.target}")
    analysis = analyze_function(function)
    if function.handler is None or config.budget.init_ms is None:
        return analysis, InitTiming(None, None)
    return analysis, time_init(function, config.runs, observer)


def _measurements(analysis: AnalyzeResult, timing: InitTiming) -> Measurements:
    totals = analysis.totals
    return Measurements(
        zipped_bytes=totals.zipped_bytes,
        zipped_exact=totals.zipped_exact,
        unzipped_bytes=totals.unzipped_bytes + totals.layers_unzipped_bytes,
        init_ms=timing.init_ms,
        read_only=timing.read_only,
        init_stopped_runs=timing.stopped_runs,
    )


def check(
    config: Config, observer: Observer | None = None, *, update_baseline: bool = False
) -> CheckResult:
    """Measure the package against every budget (update_baseline: write the baseline instead)."""
    baseline = _baseline_to_compare(config, update_baseline)
    analysis, timing = _measure(config, observer)
    measurements = _measurements(analysis, timing)
    results = [
        *_size_budgets(config, analysis),
        *_init_budgets(config, timing),
        *_growth_budgets(config, measurements, baseline),
    ]
    results = [replace(r, line=config.line_of(f"budget.{r.key}")) for r in results]
    if update_baseline and config.budget.baseline is not None:
        write_baseline(config.budget.baseline, baseline_of(measurements), _analysed(config))
    return CheckResult(
        config=str(config.path),
        target=analysis.target,
        layers=analysis.layers,
        runtime=analysis.runtime,
        arch=analysis.arch,
        measurements=measurements,
        budgets=tuple(results),
        ok=all(r.ok for r in results),
        baseline=str(config.budget.baseline) if config.budget.baseline else None,
        baseline_written=update_baseline,
    )
