"""The parts of an imports result about the invocations: imports deferred to them, what init
loaded that they did not use, files never loaded, lazy imports, work left running."""

from __future__ import annotations

from coldprof.imports.result import ImportsResult, LazyImports, UnusedAtInit, UnusedModule
from coldprof.render import layout
from coldprof.render.layout import Section
from coldprof.render.lifecycle import init_thread_line, left_running_line
from coldprof.render.units import ms, percent, size
from coldprof.results import display_path

INDENT = "· "
MAX_FILES_SHOWN = 20
ADVICE = {
    "import-where-used": "import it inside the function that uses it",
    "lazy-import": "`lazy import` it (Python 3.15, PEP 810)",
    "drop": "drop it: no event used any of its distribution",
}
USAGE_CAVEATS = (
    "Used is what these events exercised, not a proof: another kind of event may use a module "
    "listed here (give each kind with --event).",
    "A module's import may have side effects its users rely on (registering plugins, codecs, "
    "handlers, settings): deferring the import defers them, dropping it removes them.",
    "The import happens anyway while a used module imports it too (imported anyway by): "
    "change those imports as well.",
    "A module counts as used when its code ran, or an attribute of it was read, while a "
    "handler ran; one used only through names bound at init (from m import X, never called) "
    "shows here as unused.",
)
FILES_CAVEATS = (
    "Advisory: another kind of event may open files these did not (give each kind with --event).",
    "A file read by native code through its own open() (a CA bundle read by OpenSSL, a C "
    "library's data file) is not seen; shared libraries the dynamic loader maps are.",
    "dist-info metadata is left out: importlib.metadata reads it on demand.",
)
UNAVAILABLE = {
    "unused_at_init": "what init loaded that the events did not use",
    "unloaded_files": "the files never loaded",
    "lazy_imports": "which lazy imports were resolved, and when",
    "left_running": "threads and tasks left running",
    "init_threads": "threads started at init",
}


def deferred_rows(result: ImportsResult) -> list[list[str]]:
    """The summary's rows: what the invocations imported, beside init."""
    if not result.invocations:
        return []
    first, later = result.invocations[0], result.invocations[1:]
    rows = [["imports deferred to the first invocation (-X importtime)", _median(first)]]
    if later:
        total = sum(i.import_ms.median for i in later if i.import_ms is not None)
        rows.append(["imports deferred to later invocations (sum of medians)", ms(total)])
    return rows


def _median(invocation) -> str:
    stats = invocation.import_ms
    return "-" if stats is None else f"median {ms(stats.median)} (n={stats.n})"


def _invocations(result: ImportsResult) -> Section:
    rows = [
        [
            i.invocation,
            display_path(i.event),
            _median(i),
            i.modules,
            i.runs,
            "-" if i.error is None else f"{i.error.type}: {i.error.message}",
        ]
        for i in result.invocations
    ]
    headers = ["invocation", "event", "imports", "modules", "runs", "error"]
    return layout.table("Imports deferred to the invocations", headers, rows)


def _deferred_tree(result: ImportsResult) -> Section:
    rows = [
        [
            m.invocation,
            INDENT * m.depth + m.name,
            ms(m.self_ms),
            ms(m.cumulative_ms),
            m.distribution,
        ]
        for m in result.deferred
    ]
    headers = ["invocation", "module", "self", "cumulative", "distribution"]
    return layout.table("Deferred import tree (median ms)", headers, rows)


def _deferred_distributions(result: ImportsResult) -> Section:
    rows = [
        [d.name, d.category, ms(d.self_ms), percent(d.share), size(d.unzipped_bytes), d.modules]
        for d in result.deferred_distributions
    ]
    headers = ["distribution", "category", "self", "share of deferred", "unzipped", "modules"]
    return layout.table("Deferred imports per distribution", headers, rows)


def _flags(row: UnusedModule) -> str:
    """What limits the saving of one candidate."""
    flags = []
    if row.also_imported_by:
        flags.append(f"imported anyway by {', '.join(row.also_imported_by)}")
    if row.used_below:
        flags.append(f"would still load {', '.join(row.used_below)} (used)")
    return "; ".join(flags) or "-"


def _candidates(unused: UnusedAtInit) -> list[Section]:
    rows = [
        [
            m.name,
            m.distribution,
            ms(m.cumulative_ms),
            ms(m.unused_ms),
            m.modules,
            m.imported_by or "a .pth file",
            ADVICE.get(m.advice, m.advice),
            _flags(m),
        ]
        for m in unused.modules
    ]
    headers = [
        "module",
        "distribution",
        "cumulative",
        "unused",
        "modules",
        "imported by",
        "advice",
        "limits",
    ]
    title = (
        f"Loaded at init, unused by these {unused.events} event(s): lazy-import candidates "
        f"({unused.used_modules:,} of {unused.init_modules:,} init modules used; seen by "
        f"{unused.method}, in a run apart)"
    )
    found = [layout.table(title, headers, rows, optional=("modules", "limits"))]
    if unused.distributions:
        drows = [
            [d.name, d.category, ms(d.self_ms), d.modules, size(d.unzipped_bytes)]
            for d in unused.distributions
        ]
        dheaders = ["distribution", "category", "self at init", "modules", "unzipped"]
        found.append(layout.table("Distributions no event used", dheaders, drows))
    return [*found, Section("What used means here", lines=USAGE_CAVEATS)]


def _files(result: ImportsResult) -> list[Section]:
    seen = result.files_seen
    if seen is None:
        return []
    unloaded = seen.bytes - seen.loaded_bytes
    title = (
        f"Files never loaded: {size(unloaded)} of {size(seen.bytes)} "
        f"({percent(unloaded / seen.bytes if seen.bytes else 0.0)}), "
        f"{seen.files - seen.loaded_files:,} of {seen.files:,} files"
    )
    rows = [
        [d.name, d.category, d.files, size(d.bytes), percent(d.share), size(d.distribution_bytes)]
        for d in result.unloaded_distributions
    ]
    headers = ["distribution", "category", "files", "never loaded", "share of package", "all"]
    largest = [
        [f.package, display_path(f.path), size(f.bytes), f.distribution]
        for f in result.unloaded_files[:MAX_FILES_SHOWN]
    ]
    shown = f"{len(largest):,} of {len(result.unloaded_files):,}"
    return [
        layout.table(title, headers, rows),
        layout.table(
            f"Largest files never loaded ({shown})",
            ["package", "path", "size", "distribution"],
            largest,
        ),
        Section("About files never loaded", lines=FILES_CAVEATS),
    ]


def _lazy(lazy: LazyImports, python_version: str) -> list[Section]:
    title = f"Lazy imports (-X lazy_imports={lazy.mode})"
    if not lazy.deferred:
        line = (
            f"Python {python_version} accepted -X lazy_imports={lazy.mode} and imported "
            "eagerly: nothing was deferred (PEP 810 lazy imports need Python 3.15)"
        )
        return [Section(title, lines=(line,))]
    rows = [
        [
            i.name,
            f"{i.declared_in}.{i.binding}",
            "never" if i.resolved_in is None else f"invocation {i.resolved_in}",
            ms(i.cumulative_ms),
        ]
        for i in lazy.imports
    ]
    headers = ["import", "bound to", "resolved", "cost when resolved"]
    return [layout.table(f"{title}: left unresolved at the end of init", headers, rows)]


def _running(result: ImportsResult) -> list[Section]:
    """The threads init started that ran into the first invocation, and the work left after it."""
    found = []
    if result.init_threads:
        lines = tuple(init_thread_line(item) for item in result.init_threads)
        title = "Threads started at init, running as the first invocation started"
        found.append(Section(title, lines=lines))
    if result.left_running:
        lines = tuple(left_running_line(item) for item in result.left_running)
        found.append(Section("Work still running when the first invocation returned", lines=lines))
    return found


def sections(result: ImportsResult) -> list[Section]:
    """Every part about the invocations, in reading order."""
    found: list[Section] = []
    if result.invocations:
        found.append(_invocations(result))
    if result.deferred:
        found += [_deferred_tree(result), _deferred_distributions(result)]
    if result.unused_at_init is not None:
        found += _candidates(result.unused_at_init)
    found += _files(result)
    if result.lazy_imports is not None:
        found += _lazy(result.lazy_imports, result.python_version)
    found += _running(result)
    if result.unavailable:
        names = "; ".join(UNAVAILABLE.get(name, name) for name in result.unavailable)
        line = (
            f"Not available with --runtime-client {result.runtime_client} (AWS's client runs "
            f"unmodified, so nothing watches it): {names}"
        )
        found.append(Section("Not measured", lines=(line,)))
    return found
