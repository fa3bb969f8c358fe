"""Table and Markdown views of an imports result: the init summary, the rollup, the module tree."""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate

from coldprof.imports.result import ImportsResult, ModuleRow
from coldprof.render.units import human_bytes, ms, percent
from coldprof.results import display_path
from coldprof.stats import Stats

INDENT = "· "  # tabulate strips leading spaces, so the tree is indented with dots


def spread(stats: Stats | None) -> str:
    """'median 12.3 ms (mean 12.5 ± 0.4 ms, 11.9…13.4 ms, n=5)', or '-' when not measured."""
    if stats is None:
        return "-"
    return (
        f"median {ms(stats.median)} (mean {stats.mean:,.1f} ± {stats.stdev:,.1f} ms, "
        f"{stats.min:,.1f}…{stats.max:,.1f} ms, n={stats.n})"
    )


def saving(saving_ms: float | None) -> str:
    """A saving, or 'none measurable' with the raw difference when it is not positive."""
    if saving_ms is None or saving_ms > 0:
        return ms(saving_ms)
    return f"none measurable ({ms(saving_ms)})"


def summary_rows(result: ImportsResult) -> list[list[str]]:
    """The init summary: measured times side by side, and what they imply."""
    rss = "-" if result.max_rss_mb is None else f"{result.max_rss_mb:,.1f} MiB"
    return [
        [
            f"runtime start ({result.runtime_client}; spawn to runtime ready)",
            spread(result.runtime_init_ms),
        ],
        ["function init (runtime ready to handler ready)", spread(result.init_ms)],
        ["profiled import total (-X importtime)", spread(result.import_ms)],
        ["bare interpreter start (python -I -S -B -c pass)", spread(result.bare_start_ms)],
        ["function init minus imports (.pth files, runtime glue)", ms(result.init_minus_import_ms)],
        ["init with a warm bytecode cache", spread(result.warm_init_ms)],
        ["valid .pyc files for this runtime would save", saving(result.bytecode_saving_ms)],
        ["peak memory after init (resident)", rss],
        ["package kept read-only by", result.read_only or "-"],
    ]


def distribution_rows(result: ImportsResult) -> list[list[str]]:
    """One row per distribution: its ms and its bytes side by side."""
    return [
        [
            row.name,
            row.category,
            ms(row.self_ms),
            percent(row.share),
            "-" if row.unzipped_bytes is None else human_bytes(row.unzipped_bytes),
            "-" if row.zipped_bytes is None else human_bytes(row.zipped_bytes),
            f"{row.modules:,}",
        ]
        for row in result.distributions
    ]


def shown_modules(modules: Sequence[ModuleRow], top: int, min_ms: float) -> list[ModuleRow]:
    """The `top` modules by cumulative time of at least `min_ms`, with their ancestors, in order."""
    ranked = sorted(
        (i for i, m in enumerate(modules) if m.cumulative_ms >= min_ms and not m.cached),
        key=lambda i: modules[i].cumulative_ms,
        reverse=True,
    )
    keep = set(ranked[:top])
    ancestors: list[int] = []
    for index, module in enumerate(modules):
        del ancestors[module.depth :]
        if index in keep:
            keep.update(ancestors)
        ancestors.append(index)
    return [module for index, module in enumerate(modules) if index in keep]


def module_rows(result: ImportsResult) -> list[list[str]]:
    """The module tree, indented, limited by --top and --min-ms."""
    return [
        [
            INDENT * module.depth + module.name,
            ms(module.self_ms),
            ms(module.cumulative_ms),
            ms(module.body_ms),
            ms(module.bytecode_saving_ms),
            module.distribution,
        ]
        for module in shown_modules(result.modules, result.top, result.min_ms)
    ]


def trace_lines(result: ImportsResult) -> list[str]:
    """The user's traceback, one printable line each."""
    entries = result.error.stack_trace if result.error else ()
    return [display_path(line) for entry in entries for line in entry.splitlines()]


def error_lines(result: ImportsResult) -> list[str]:
    """The handler's failure, as Lambda would report it, and the notes."""
    lines = [f"note: {note}" for note in result.notes]
    if result.error is not None:
        lines.append(f"error: {result.error.type}: {display_path(result.error.message)}")
        lines += [f"  {line}" for line in trace_lines(result)]
    return lines


DISTRIBUTION_HEADERS = [
    "distribution",
    "category",
    "self",
    "share of init",
    "unzipped",
    "zipped",
    "modules",
]
MODULE_HEADERS = ["module", "self", "cumulative", "body", ".pyc saves", "distribution"]


def sections(result: ImportsResult, tablefmt: str) -> list[tuple[str, str]]:
    """(title, text) of each part of the report."""
    headline = (
        f"{result.handler} in {result.target} on Python {result.python_version} "
        f"({result.python}), --repeat {result.repeat}"
    )
    shown = len(shown_modules(result.modules, result.top, result.min_ms))
    parts = [
        (headline, tabulate(summary_rows(result), tablefmt=tablefmt)),
        (
            "per distribution: self time (summed per run, median of the runs) and size",
            tabulate(
                distribution_rows(result),
                headers=DISTRIBUTION_HEADERS,
                tablefmt=tablefmt,
                disable_numparse=True,
            ),
        ),
        (
            f"import tree (median ms; {shown:,} of {len(result.modules):,} modules shown)",
            tabulate(module_rows(result), headers=MODULE_HEADERS, tablefmt=tablefmt),
        ),
    ]
    return parts if result.modules else parts[:1]


def table(result: ImportsResult) -> str:
    """Plain-text report for a terminal."""
    text = "\n\n".join(f"{title}\n{body}" for title, body in sections(result, "simple"))
    return "\n".join([text, *error_lines(result)]) + "\n"


def markdown_errors(result: ImportsResult) -> list[str]:
    """The notes and the handler's failure as Markdown paragraphs."""
    parts = [f"> note: {note}" for note in result.notes]
    if result.error is not None:
        message = display_path(result.error.message)
        parts.append(f"**error:** `{result.error.type}`: {message}")
        if trace_lines(result):
            parts.append("```\n" + "\n".join(trace_lines(result)) + "\n```")
    return parts


def markdown(result: ImportsResult) -> str:
    """Markdown report (GitHub tables), for pull requests and job summaries."""
    parts = [f"### {title}\n\n{body}" for title, body in sections(result, "github")]
    return "\n\n".join(["## coldprof imports", *parts, *markdown_errors(result)]) + "\n"


RENDERERS = {"table": table, "markdown": markdown}
