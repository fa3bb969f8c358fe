"""`coldprof bench` as a library call: run every target, assemble the result record."""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coldprof.bench.compare import compare
from coldprof.bench.cost import CostEstimate, estimate_cost
from coldprof.bench.driver import Measured, Observer, Plan, measure
from coldprof.bench.lifecycle import count_left_running, ephemeral_peak_mb, held_vcpus
from coldprof.bench.quality import run_warnings
from coldprof.bench.result import BenchResult, ColdStats, Comparison, Sample, WarmStats
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig, environment_spec, prepare
from coldprof.sandbox import InterpreterInfo
from coldprof.stats import summarize

COMPARED_PHASES = {"cold start": "total_ms", "warm invocation": "invoke_ms"}
MAX_INVOCATIONS = 1_000_000  # per run: every raw sample is kept in memory


@dataclass(frozen=True, kw_only=True)
class BenchOptions:
    """How one `coldprof bench` measures: the event, the samples, the cost's cold share."""

    event: Any = field(default_factory=dict)
    cold: int = 10
    warm: int = 10
    warmup: int = 1
    cold_share: float = 0.01


def _values(samples: tuple[Sample, ...], name: str) -> list[float]:
    """Every successful figure of one field over the samples (warm lists flattened)."""
    values: list[float] = []
    for sample in samples:
        value = getattr(sample, name)
        if isinstance(value, tuple):
            values += value
        elif value is not None:
            values.append(value)
    return values


def _first_invoke_other_ms(samples: tuple[Sample, ...]) -> list[float]:
    """The first invocation's time outside its deferred imports, for each sample that has both."""
    return [
        s.first_invoke_ms - s.first_invoke_import_ms
        for s in samples
        if s.first_invoke_ms is not None and s.first_invoke_import_ms is not None
    ]


def _cost(
    samples: tuple[Sample, ...], function: FunctionConfig, options: BenchOptions
) -> CostEstimate:
    cold_billed = [s.billed_ms for s in samples if s.billed_ms is not None]
    warm_billed = [ms for s in samples for ms in s.warm_billed_ms]
    return estimate_cost(
        cold_billed,
        warm_billed,
        function.memory_mb,
        function.arch,
        function.region,
        options.cold_share,
    )


def assemble(
    label: str,
    function: FunctionConfig,
    options: BenchOptions,
    python: InterpreterInfo,
    measured: Measured,
) -> BenchResult:
    """The result record of one run from what it measured."""
    samples = measured.samples
    cold = ColdStats(
        init_ms=summarize(_values(samples, "init_ms")),
        first_invoke_ms=summarize(_values(samples, "first_invoke_ms")),
        total_ms=summarize(_values(samples, "total_ms")),
        runtime_init_ms=summarize(_values(samples, "runtime_init_ms")),
        first_invoke_import_ms=summarize(_values(samples, "first_invoke_import_ms")),
        first_invoke_other_ms=summarize(_first_invoke_other_ms(samples)),
    )
    warm = WarmStats(
        invoke_ms=summarize(_values(samples, "invoke_ms")),
        round_trip_ms=summarize(_values(samples, "round_trip_ms")),
    )
    memory = [s.max_memory_used_mb for s in samples if s.max_memory_used_mb is not None]
    cost = _cost(samples, function, options)
    plan = Plan(options.cold, options.warm, options.warmup)
    return BenchResult(
        label=label,
        target=str(function.target),
        handler=str(function.handler),
        layers=tuple(str(layer) for layer in function.layers),
        python=python.executable,
        python_version=f"{python.version[0]}.{python.version[1]}",
        memory_mb=function.memory_mb,
        timeout_s=function.timeout_s,
        arch=function.arch,
        region=function.region,
        cold_samples=options.cold,
        warm_per_environment=options.warm,
        warmup=options.warmup,
        cold=cold,
        warm=warm,
        max_memory_used_mb=max(memory) if memory else None,
        errors=measured.errors,
        samples=samples,
        cost=cost,
        warnings=run_warnings(cold, warm, measured, plan, cost),
        interrupted=measured.interrupted,
        compared=(),
        comparisons=(),
        emulation=measured.emulation,
        held_vcpus=held_vcpus(samples),
        ephemeral_peak_mb=ephemeral_peak_mb(samples),
        left_running=count_left_running(samples),
        runtime_client=function.runtime_client,
        read_only=measured.emulation.read_only if measured.emulation is not None else "",
    )


def bench_one(
    function: FunctionConfig, label: str, options: BenchOptions, observer: Observer | None
) -> BenchResult:
    """Measure one function (resolved: its interpreter found)."""
    plan = Plan(options.cold, options.warm, options.warmup)
    with ExitStack() as stack:
        spec = dataclasses.replace(environment_spec(prepare(stack, function)), import_clock=True)
        measured = measure(spec, options.event, plan, label, observer)
    return assemble(label, function, options, function.interpreter(), measured)


def run_labels(runs: list[tuple[Path, str]]) -> list[str]:
    """Short names for runs: their targets, their handlers, or both when neither is unique."""
    targets = [str(target) for target, _ in runs]
    handlers = [handler for _, handler in runs]
    if len(set(targets)) == len(runs):
        return targets
    if len(set(handlers)) == len(runs):
        return handlers
    both = [f"{target} ({handler})" for target, handler in zip(targets, handlers, strict=True)]
    if len(set(both)) == len(runs):
        return both
    return [f"{label} #{number}" for number, label in enumerate(both, start=1)]


def comparisons(first: BenchResult, other: BenchResult) -> list[Comparison]:
    """The cold start and warm invocation of `other` against `first`."""
    found = []
    for phase, name in COMPARED_PHASES.items():
        a, b = _values(first.samples, name), _values(other.samples, name)
        comparison = compare(phase, first.label, a, other.label, b)
        if comparison is not None:
            found.append(comparison)
    return found


def bench(
    function: FunctionConfig,
    options: BenchOptions | None = None,
    compare_targets: tuple[Path, ...] = (),
    compare_handlers: tuple[str, ...] = (),
    observer: Observer | None = None,
) -> BenchResult:
    """Cold against warm for a function, and for each target or handler it is compared with."""
    options = options or BenchOptions()
    if options.cold * (1 + options.warm) > MAX_INVOCATIONS:
        raise UsageError(
            f"--cold {options.cold} --warm {options.warm} asks for more than "
            f"{MAX_INVOCATIONS:,} invocations per run; lower one of them"
        )
    for path in (function.target, *compare_targets, *function.layers):
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
    function = function.resolved()
    runs = [function]
    runs += [dataclasses.replace(function, target=other) for other in compare_targets]
    runs += [dataclasses.replace(function, handler=other) for other in compare_handlers]
    labels = run_labels([(run.target, str(run.handler)) for run in runs])
    if function.cold_cache:
        runs.append(dataclasses.replace(function, cold_cache=False))
        labels = [f"{labels[0]} (code read cold)", *labels[1:], f"{labels[0]} (code cached)"]
    results: list[BenchResult] = []
    for run, label in zip(runs, labels, strict=True):
        results.append(bench_one(run, label, options, observer))
        if results[-1].interrupted:
            break
    first, *others = results
    found = [c for other in others for c in comparisons(first, other)]
    return dataclasses.replace(first, compared=tuple(others), comparisons=tuple(found))
