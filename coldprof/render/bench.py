"""Views of a bench result: a table, Markdown, and CSV with every raw invocation."""

from __future__ import annotations

import csv
import io

from coldprof.bench.result import BenchResult, LeftRunningCount, Sample, SampleError, SweepRow
from coldprof.render import escape, layout
from coldprof.render.layout import Section
from coldprof.render.lifecycle import ADVICE, emulation_rows, left_running_count_line
from coldprof.render.units import memory_mb, ms, percent, range_ms, spread_ms, usd
from coldprof.render.words import verdict, word
from coldprof.results import display_path
from coldprof.stats import Stats

ERROR_ROWS = 20
MESSAGE_CHARS = 160
CSV_MESSAGE_CHARS = 1000
LATENCY_HEADERS = ["phase", "n", "median", "mean ± σ", "p90", "p95", "p99", "min … max", "outliers"]
CSV_HEADERS = [
    "run",
    "target",
    "handler",
    "sample",
    "invocation",
    "phase",
    "init_ms",
    "duration_ms",
    "round_trip_ms",
    "total_ms",
    "max_memory_used_mb",
    "ok",
    "error_type",
    "error_message",
]


def _clean(text: str, limit: int = MESSAGE_CHARS) -> str:
    """User text made safe to print on one line, cut to `limit` characters."""
    first = display_path(text.strip().splitlines()[0] if text.strip() else "")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _stats_row(phase: str, s: Stats) -> list:
    return [
        phase,
        s.n,
        ms(s.median),
        spread_ms(s.mean, s.stdev),
        ms(s.p90),
        ms(s.p95),
        ms(s.p99),
        range_ms(s.min, s.max),
        s.outliers,
    ]


def _latency(run: BenchResult) -> Section:
    phases = [
        ("cold runtime start", run.cold.runtime_init_ms),
        ("cold init", run.cold.init_ms),
        ("first invocation", run.cold.first_invoke_ms),
        ("· of it, imports deferred to it", run.cold.first_invoke_import_ms),
        ("· of it, the rest", run.cold.first_invoke_other_ms),
        ("cold start (runtime + init + first)", run.cold.total_ms),
        ("warm invocation", run.warm.invoke_ms),
        ("warm round trip", run.warm.round_trip_ms),
    ]
    rows = [_stats_row(name, s) for name, s in phases if s is not None]
    return layout.table("Latency", LATENCY_HEADERS, rows)


def _memory_and_cost(run: BenchResult) -> Section:
    cost = run.cost
    peak = run.max_memory_used_mb
    used = "-" if peak is None else f"{memory_mb(peak)} of {memory_mb(run.memory_mb)}"
    prices = f"{cost.arch}, {cost.prices_region} prices checked {cost.prices_checked}"
    rows = [
        ["max memory used (peak resident; Lambda's MB are MiB)", used],
        ["billed cold invocation (mean, init included)", ms(cost.cold_billed_ms)],
        ["billed warm invocation (mean)", ms(cost.warm_billed_ms)],
        ["cost of a cold invocation", usd(cost.cold_invocation_usd)],
        ["cost of a warm invocation", usd(cost.warm_invocation_usd)],
        [f"per million at {percent(cost.cold_share)} cold starts", usd(cost.per_million_usd)],
        ["prices", prices],
    ]
    return layout.table("Memory and cost", ["measure", "value"], rows)


def _errors(run: BenchResult) -> Section:
    headers = ["sample", "phase", "invocation", "type", "message"]
    rows = [
        [e.sample, e.phase, e.invocation, _clean(e.type, 60), _clean(e.message)]
        for e in run.errors[:ERROR_ROWS]
    ]
    if len(run.errors) > ERROR_ROWS:
        rows.append(["…", "", "", "", f"{len(run.errors) - ERROR_ROWS} more in --format json"])
    return layout.table(f"Errors ({len(run.errors)})", headers, rows)


def run_title(run: BenchResult) -> str:
    """What one run measured, and how many samples it has."""
    cold = sum(1 for s in run.samples if s.init_ms is not None or not s.invoke_ms)
    return (
        f"coldprof bench: {run.target} ({run.handler}), Python {run.python_version}, "
        f"{memory_mb(run.memory_mb)}, {run.arch}, {cold} of {run.cold_samples} cold samples × "
        f"{run.warm_per_environment} warm"
    )


def run_sections(run: BenchResult) -> list[Section]:
    """The tables of one run (without its title)."""
    found = [_latency(run), _memory_and_cost(run)]
    found += [_lifecycle(run)] if run.emulation is not None else []
    found += [_left_running(run)] if run.left_running else []
    return found + ([_errors(run)] if run.errors else [])


def _lifecycle(run: BenchResult) -> Section:
    """How the environments lived here: CPU share and method, freeze, processes, /tmp."""
    rows = emulation_rows(run.emulation, run.memory_mb, run.held_vcpus, run.ephemeral_peak_mb)
    return layout.table("Lifecycle", ["", "how"], rows)


def _left_running(run: BenchResult) -> Section:
    """Work left running, counted over the environments."""
    headers = ["kind", "name", "where", "environments", "times", "finished later", "lost"]
    rows = [_left_running_row(item) for item in run.left_running]
    return layout.table("Left running when the handler returned", headers, rows)


def _left_running_row(item: LeftRunningCount) -> list:
    counts = [item.environments, item.times, item.finished_later, item.lost]
    return [item.kind, _clean(item.name, 60), _clean(item.where), *counts]


def _left_running_findings(run: BenchResult) -> list[str]:
    """The left-running finding: what was left running, and the advice."""
    if not run.left_running:
        return []
    return [*(left_running_count_line(item) for item in run.left_running), ADVICE]


def _sweep(result: BenchResult) -> list[Section]:
    """A deployed function's memory sweep (`bench --function-name --memory`): a row per size."""
    if result.remote is None or not result.remote.sweep:
        return []
    mean = f"mean at {percent(result.cost.cold_share)} cold"
    headers = ["memory", "cold start median", "warm median", mean, "per million", "best"]
    rows = [_sweep_row(row) for row in result.remote.sweep]
    return [layout.table("Memory sweep", headers, rows)]


def _sweep_row(row: SweepRow) -> list[str]:
    marks = (
        ("cheapest", row.cheapest),
        ("fastest", row.fastest),
        ("as fast as any, within the noise", row.within_noise_of_fastest),
    )
    best = ", ".join(mark for mark, on in marks if on)
    return [
        memory_mb(row.memory_mb),
        ms(row.cold_start_median_ms),
        ms(row.warm_median_ms),
        ms(row.expected_ms),
        usd(row.per_million_usd),
        best,
    ]


def warning_lines(result: BenchResult) -> list[str]:
    """Every run's warnings in words, each named after its run when runs were compared."""
    return [
        f"{run.label}: {line}" if result.compared else line
        for run in result.runs
        for line in [*map(word, run.warnings), *_left_running_findings(run)]
    ]


def _closing(result: BenchResult) -> list[Section]:
    found = []
    if result.remote is not None:
        found.append(Section("Configuration", lines=(word(result.remote.restore),)))
    if result.comparisons:
        found.append(Section("Comparison", lines=tuple(map(verdict, result.comparisons))))
    if warning_lines(result):
        found.append(Section("Warnings", lines=tuple(warning_lines(result))))
    return found


def sections(result: BenchResult) -> list[Section]:
    """Every run under its title, then the sweep, the configuration, comparisons, warnings."""
    found = []
    for run in result.runs:
        found += [Section(run_title(run)), *run_sections(run)]
    return found + _sweep(result) + _closing(result)


def table(result: BenchResult) -> str:
    """Plain-text tables for a terminal."""
    return layout.terminal(None, sections(result))


def markdown(result: BenchResult) -> str:
    """GitHub-flavoured Markdown, for a CI summary or a pull request."""
    return layout.markdown(None, sections(result), level=1)


def _warm_numbers(sample: Sample, errors: list[SampleError]) -> list[int]:
    """The invocation numbers of a sample's successful warm invocations, in order."""
    failed = {e.invocation for e in errors if e.phase == "warm_invoke"}
    attempted = len(sample.invoke_ms) + len(failed)
    return [n for n in range(1, attempted + 1) if n not in failed]


def _error_row(error: SampleError) -> dict:
    time_field = "init_ms" if error.phase == "init" else "duration_ms"
    return {
        "sample": error.sample,
        "invocation": error.invocation,
        "phase": error.phase,
        time_field: error.duration_ms,
        "ok": False,
        "error_type": _clean(error.type, CSV_MESSAGE_CHARS),
        "error_message": _clean(error.message, CSV_MESSAGE_CHARS),
    }


def _success_rows(sample: Sample, errors: list[SampleError]) -> list[dict]:
    rows = []
    if sample.first_invoke_ms is not None:
        rows.append(
            {
                "invocation": 0,
                "phase": "first_invoke",
                "init_ms": sample.init_ms,
                "duration_ms": sample.first_invoke_ms,
                "round_trip_ms": sample.first_round_trip_ms,
                "total_ms": sample.total_ms,
            }
        )
    warm = zip(_warm_numbers(sample, errors), sample.invoke_ms, sample.round_trip_ms, strict=True)
    rows += [
        {"invocation": n, "phase": "warm_invoke", "duration_ms": ms, "round_trip_ms": trip}
        for n, ms, trip in warm
    ]
    for row in rows:
        row.update(sample=sample.index, ok=True)
    return rows


def _sample_rows(sample: Sample, errors: list[SampleError]) -> list[dict]:
    rows = _success_rows(sample, errors) + [_error_row(e) for e in errors]
    for row in rows:
        row["max_memory_used_mb"] = sample.max_memory_used_mb
    return sorted(rows, key=lambda row: row["invocation"])


def _run_rows(run: BenchResult) -> list[dict]:
    rows = []
    for sample in run.samples:
        rows += _sample_rows(sample, [e for e in run.errors if e.sample == sample.index])
    rows += [_error_row(e) for e in run.errors if e.sample >= len(run.samples)]
    for row in rows:
        row.update(run=run.label, target=run.target, handler=run.handler)
    return rows


def csv_text(result: BenchResult) -> str:
    """Every invocation of every run, one row each (failed ones with their error)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_HEADERS, lineterminator="\n")
    writer.writeheader()
    for run in result.runs:
        writer.writerows(
            {key: escape.csv_cell(value) for key, value in row.items()} for row in _run_rows(run)
        )
    return out.getvalue()


RENDERERS = {"table": table, "markdown": markdown, "csv": csv_text}
