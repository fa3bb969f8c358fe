"""Views of a bench result: a table, Markdown, and CSV with every raw invocation."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from tabulate import tabulate

from coldprof.bench.cost import CostEstimate
from coldprof.bench.result import BenchResult, Sample, SampleError
from coldprof.render.units import percent
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

Table = tuple[list[str], list[list]]


def _clean(text: str, limit: int = MESSAGE_CHARS) -> str:
    """User text made safe to print on one line, cut to `limit` characters."""
    first = display_path(text.strip().splitlines()[0] if text.strip() else "")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _number(value: float) -> str:
    """Milliseconds with the decimals that matter: 3 below 1 ms, 2 below 10 ms, else 1."""
    decimals = 3 if abs(value) < 1 else 2 if abs(value) < 10 else 1
    return f"{value:,.{decimals}f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{_number(value)} ms"


def _stats_row(phase: str, s: Stats) -> list:
    return [
        phase,
        s.n,
        _ms(s.median),
        f"{_number(s.mean)} ± {_number(s.stdev)} ms",
        _ms(s.p90),
        _ms(s.p95),
        _ms(s.p99),
        f"{_number(s.min)} … {_number(s.max)} ms",
        s.outliers,
    ]


def _latency(run: BenchResult) -> Table:
    phases = [
        ("cold runtime start", run.cold.runtime_init_ms),
        ("cold init", run.cold.init_ms),
        ("first invocation", run.cold.first_invoke_ms),
        ("cold start (runtime + init + first)", run.cold.total_ms),
        ("warm invocation", run.warm.invoke_ms),
        ("warm round trip", run.warm.round_trip_ms),
    ]
    return LATENCY_HEADERS, [_stats_row(name, s) for name, s in phases if s is not None]


def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:,.8f}".rstrip("0").rstrip(".")


def _memory_and_cost(run: BenchResult) -> Table:
    cost = run.cost
    peak = run.max_memory_used_mb
    used = "-" if peak is None else f"{peak:,.0f} MB of {run.memory_mb:,} MB"
    prices = f"{cost.arch}, {cost.prices_region} prices checked {cost.prices_checked}"
    rows = [
        ["max memory used (peak resident; Lambda's MB are MiB)", used],
        ["billed cold invocation (mean, init included)", _ms(cost.cold_billed_ms)],
        ["billed warm invocation (mean)", _ms(cost.warm_billed_ms)],
        ["cost of a cold invocation", _usd(cost.cold_invocation_usd)],
        ["cost of a warm invocation", _usd(cost.warm_invocation_usd)],
        [f"per million at {percent(cost.cold_share)} cold starts", _per_million(cost)],
        ["prices", prices],
    ]
    return ["", "value"], rows


def _per_million(cost: CostEstimate) -> str:
    value = cost.per_million_usd
    return "-" if value is None else f"${value:,.4f}"


def _errors(run: BenchResult) -> Table:
    headers = ["sample", "phase", "invocation", "type", "message"]
    rows = [
        [e.sample, e.phase, e.invocation, _clean(e.type, 60), _clean(e.message)]
        for e in run.errors[:ERROR_ROWS]
    ]
    if len(run.errors) > ERROR_ROWS:
        rows.append(["…", "", "", "", f"{len(run.errors) - ERROR_ROWS} more in --format json"])
    return headers, rows


def _title(run: BenchResult) -> str:
    cold = sum(1 for s in run.samples if s.init_ms is not None or not s.invoke_ms)
    return (
        f"coldprof bench: {display_path(run.target)} ({display_path(run.handler)}), "
        f"Python {run.python_version}, {run.memory_mb:,} MB, {run.arch}, "
        f"{cold} of {run.cold_samples} cold samples × {run.warm_per_environment} warm"
    )


def _run_sections(run: BenchResult) -> list[tuple[str, Table | None]]:
    sections: list[tuple[str, Table | None]] = [
        (_title(run), None),
        ("Latency", _latency(run)),
        ("Memory and cost", _memory_and_cost(run)),
    ]
    if run.errors:
        sections.append((f"Errors ({len(run.errors)})", _errors(run)))
    return sections


def _sweep(result: BenchResult) -> Table:
    """A deployed function's memory sweep (`bench --function-name --memory`): a row per size."""
    mean = f"mean at {percent(result.cost.cold_share)} cold"
    headers = ["memory", "cold start median", "warm median", mean, "per million", "best"]
    rows = [
        [
            f"{row.memory_mb:,} MB",
            _ms(row.cold_start_median_ms),
            _ms(row.warm_median_ms),
            _ms(row.expected_ms),
            "-" if row.per_million_usd is None else f"${row.per_million_usd:,.4f}",
            ", ".join(
                mark for mark, on in (("cheapest", row.cheapest), ("fastest", row.fastest)) if on
            ),
        ]
        for row in result.remote.sweep
    ]
    return headers, rows


def _sweep_sections(result: BenchResult) -> list[tuple[str, Table | None]]:
    """The memory sweep of a deployed function, when --memory listed several sizes."""
    remote = getattr(result, "remote", None)
    return [("Memory sweep", _sweep(result))] if remote is not None and remote.sweep else []


def _closing_lines(result: BenchResult) -> list[tuple[str, list[str]]]:
    found = []
    remote = getattr(result, "remote", None)
    if remote is not None:
        found.append(("Configuration", [remote.restore_note]))
    if result.comparisons:
        found.append(("Comparison", [display_path(c.summary) for c in result.comparisons]))
    warnings = [
        f"{run.label}: {w}" if result.compared else w for run in result.runs for w in run.warnings
    ]
    if warnings:
        found.append(("Warnings", [display_path(w) for w in warnings]))
    return found


def _render(result: BenchResult, tablefmt: str, heading: Callable[[str], str], bullet: str) -> str:
    parts = []
    sections = [section for run in result.runs for section in _run_sections(run)]
    for name, table in sections + _sweep_sections(result):
        parts.append(heading(name))
        if table is not None:
            headers, rows = table
            parts.append(tabulate(rows, headers, tablefmt=tablefmt) if rows else "(none)")
    for name, lines in _closing_lines(result):
        parts.append(heading(name))
        parts.append("\n".join(f"{bullet}{line}" for line in lines))
    return "\n\n".join(parts) + "\n"


def table(result: BenchResult) -> str:
    """Plain-text tables for a terminal."""
    return _render(result, "simple", lambda text: f"== {text}", "  ")


def markdown(result: BenchResult) -> str:
    """GitHub-flavoured Markdown, for a CI summary or a pull request."""
    return _render(result, "github", lambda text: f"## {text}", "- ")


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
        "error_type": error.type,
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
        writer.writerows(_run_rows(run))
    return out.getvalue()


RENDERERS = {"table": table, "markdown": markdown, "csv": csv_text}
