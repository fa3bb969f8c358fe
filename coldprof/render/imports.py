"""Table and Markdown views of an imports result: the init summary, the rollup, the module tree."""

from __future__ import annotations

from collections.abc import Sequence

from coldprof.imports.result import ImportsResult, ModuleRow
from coldprof.render import invocations, layout
from coldprof.render.layout import Section
from coldprof.render.units import memory_mb, ms, percent, range_ms, size, spread_ms
from coldprof.render.words import word
from coldprof.stats import Stats

INDENT = "· "  # tabulate strips leading spaces, so the tree is indented with dots
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
UNUSED_MARK = " (unused)"  # a module no event used, in the init tree


def spread(stats: Stats | None) -> str:
    """'median 12.3 ms (mean 12.5 ± 0.40 ms, 11.9 … 13.4 ms, n=5)', or '-' when not measured."""
    if stats is None:
        return "-"
    return (
        f"median {ms(stats.median)} (mean {spread_ms(stats.mean, stats.stdev)}, "
        f"{range_ms(stats.min, stats.max)}, n={stats.n})"
    )


def saving(saving_ms: float | None) -> str:
    """A saving, or 'none measurable' with the raw difference when it is not positive."""
    if saving_ms is None or saving_ms > 0:
        return ms(saving_ms)
    return f"none measurable ({ms(saving_ms)})"


def _outside_imports(result: ImportsResult) -> str:
    """The init outside the handler's import: the figure, or why it is not one (within the
    noise; below zero, as -X importtime's own cost inflates the profiled import total)."""
    value, noise = result.init_minus_import_ms, result.init_minus_import_noise_ms
    if value is None:
        return "-"
    if noise is not None and abs(value) <= noise:
        return f"within the noise ({ms(value)}, spread ± {ms(noise)})"
    if value < 0:
        return (
            f"none measurable ({ms(value)}: -X importtime's own cost makes the profiled "
            "import total longer than the unprofiled init)"
        )
    return ms(value)


def _summary(result: ImportsResult) -> Section:
    """The init summary: measured times side by side, and what they imply."""
    rows = [
        [
            f"runtime start ({result.runtime_client}; spawn to runtime ready)",
            spread(result.runtime_init_ms),
        ],
        ["function init (runtime ready to handler ready)", spread(result.init_ms)],
        ["profiled import total (-X importtime)", spread(result.import_ms)],
        ["bare interpreter start (python -I -S -B -c pass)", spread(result.bare_start_ms)],
        ["function init minus imports (.pth files, runtime glue)", _outside_imports(result)],
        ["init with a warm bytecode cache", spread(result.warm_init_ms)],
        ["valid .pyc files for this runtime would save", saving(result.bytecode_saving_ms)],
        ["peak memory after init (resident; Lambda's MB are MiB)", memory_mb(result.max_rss_mb)],
        ["package kept read-only by", result.read_only or "-"],
        *invocations.deferred_rows(result),
    ]
    return layout.table("Init", ["measure", "value"], rows)


def _distributions(result: ImportsResult) -> Section:
    """One row per distribution: its ms and its bytes side by side."""
    rows = [
        [
            row.name,
            row.category,
            ms(row.self_ms),
            percent(row.share),
            size(row.unzipped_bytes),
            size(row.zipped_bytes),
            row.modules,
        ]
        for row in result.distributions
    ]
    title = "Per distribution: self time (summed per run, median of the runs) and size"
    return layout.table(title, DISTRIBUTION_HEADERS, rows)


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


def _modules(result: ImportsResult) -> Section:
    """The module tree, indented, limited by --top and --min-ms."""
    shown = shown_modules(result.modules, result.top, result.min_ms)
    unused = set(result.unused_at_init.unused) if result.unused_at_init else set()
    rows = [
        [
            INDENT * m.depth + m.name + (UNUSED_MARK if m.name in unused else ""),
            ms(m.self_ms),
            ms(m.cumulative_ms),
            ms(m.body_ms),
            ms(m.bytecode_saving_ms),
            m.distribution,
        ]
        for m in shown
    ]
    title = f"Import tree (median ms; {len(shown):,} of {len(result.modules):,} modules shown)"
    return layout.table(title, MODULE_HEADERS, rows)


def _problems(result: ImportsResult) -> list[Section]:
    """The notes, and the handler's failure as Lambda would report it."""
    found = []
    if result.notes:
        found.append(Section("Notes", lines=tuple(word(note) for note in result.notes)))
    error = result.error
    if error is not None:
        trace = tuple(line for entry in error.stack_trace for line in entry.splitlines())
        found.append(Section("Error", lines=(f"{error.type}: {error.message}",), code=trace))
    return found


def sections(result: ImportsResult) -> list[Section]:
    """Every part of the result, in reading order."""
    found = [_summary(result)]
    if result.modules:
        found += [_distributions(result), _modules(result)]
    return found + invocations.sections(result) + _problems(result)


def title(result: ImportsResult) -> str:
    """Which handler was profiled, on which Python."""
    return (
        f"coldprof imports: {result.handler} in {result.target} on Python "
        f"{result.python_version} ({result.python}), --repeat {result.repeat}"
    )


def table(result: ImportsResult) -> str:
    """Plain-text report for a terminal."""
    return layout.terminal(title(result), sections(result))


def markdown(result: ImportsResult) -> str:
    """Markdown report (GitHub tables), for pull requests and job summaries."""
    return layout.markdown(title(result), sections(result))


RENDERERS = {"table": table, "markdown": markdown}
