"""`profile_imports()`: fresh child interpreters run the handler's init, with and without
`-X importtime`, with and without a warmed bytecode cache, in interleaved rounds; the profiled
ones then invoke the events, so imports deferred to the invocations are recorded as init's are,
and one usage run apart watches what the events use (runs.py).

What can be told apart, and what cannot: a module's `-X importtime` self time covers finding
it, loading its code (compiling the source when no valid `.pyc` exists) and running its body
minus its own imports. Runs with a warmed cache outside the package take the compile step away:
the difference is the module's `bytecode_saving_ms`, and what is left (`body_ms`) is mostly its
body running, plus locating and unmarshalling its cached code (well under a millisecond for a
typical module). Work a body does by calling into already imported code (`boto3.client(...)`
at global scope) stays in that module's self time; `-X importtime` cannot split it further.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from coldprof.analyze.model import Context
from coldprof.data import lambda_facts
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig
from coldprof.imports.attribution import (
    BUILT_IN,
    NOT_FOUND,
    STANDARD_LIBRARY,
    Attributor,
    build_attributor,
    interpreter_module_names,
    package_contexts,
    package_sizes,
)
from coldprof.imports.deferred import deferred_distributions, deferred_rows, invocation_summary
from coldprof.imports.lazy import defers_imports, lazy_report
from coldprof.imports.parser import parse_rows
from coldprof.imports.result import ImportsResult
from coldprof.imports.rows import distribution_rows, error_record, module_rows
from coldprof.imports.runs import Event, Observer, Runs, run_all, start_once
from coldprof.imports.tree import Node, build_forest, find_module, median_tree
from coldprof.imports.unloaded import loaded_files, unloaded_files
from coldprof.imports.unused import unused_at_init, watched
from coldprof.results import Note
from coldprof.sandbox import InitResult, InvokeResult, bare_start_ms
from coldprof.sandbox.left_running import THREAD, LeftRunning
from coldprof.stats import Stats, summarize

__all__ = ["error_record", "handler_module", "profile_imports", "start_once"]
DEFAULT_EVENTS: tuple[Event, ...] = (("{}", {}),)  # without --event: one invocation with {}
NOT_IN_PACKAGE = (STANDARD_LIBRARY, BUILT_IN, NOT_FOUND)
AWSLAMBDARIC_UNAVAILABLE = (
    "unused_at_init",
    "unloaded_files",
    "lazy_imports",
    "left_running",
    "init_threads",
)


@dataclass(frozen=True)
class Trees:
    """The median init trees: the handler module's, and the modules .pth files imported."""

    handler: Node | None
    warm_handler: Node | None
    pth: tuple[Node, ...]
    found: tuple[Node, ...]  # the handler's node in each profiled run that has its row
    missing: int  # profiled runs without a row for the handler module


def handler_module(handler: str) -> str:
    """The dotted module of a Lambda handler string ("pkg/app.handler" -> "pkg.app")."""
    return handler.rsplit(".", 1)[0].replace("/", ".")


def handler_roots(results: Sequence[InitResult], module: str) -> list[Node | None]:
    """The handler module's node in each run's import tree (None where it has no row)."""
    return [find_module(build_forest(parse_rows(r.importtime_lines)), module) for r in results]


def median_of_found(roots: Sequence[Node | None]) -> Node | None:
    """The median tree of the roots that were found, or None."""
    found = [root for root in roots if root is not None]
    return median_tree(found) if found else None


def pth_roots(results: Sequence[InitResult], module: str, attributor: Attributor) -> list[Node]:
    """The median trees of the package's modules a .pth file's import line imported: the other
    top-level rows of init that come from the function or its layers."""
    holders = []
    for result in results:
        forest = build_forest(parse_rows(result.importtime_lines))
        tops = tuple(
            node
            for node in forest
            if not node.cached
            and node.name != module
            and attributor.origin(node.name).category not in NOT_IN_PACKAGE
        )
        holders.append(Node("(.pth files)", 0.0, 0.0, False, tops))
    return list(median_tree(holders).children) if holders else []


def init_trees(ok: Mapping[str, list[InitResult]], module: str, attributor: Attributor) -> Trees:
    """The init trees from the profiled runs that started."""
    roots = handler_roots(ok["profile"], module)
    found = tuple(root for root in roots if root is not None)
    return Trees(
        handler=median_tree(found) if found else None,
        warm_handler=median_of_found(handler_roots(ok["warm_profile"], module)),
        pth=tuple(pth_roots(ok["profile"], module, attributor)),
        found=found,
        missing=len(roots) - len(found),
    )


def combined_spread(a: Stats | None, b: Stats | None) -> float | None:
    """The noise of the difference of two medians: their spreads (stdev) combined."""
    return None if a is None or b is None else math.hypot(a.stdev, b.stdev)


def difference(a: float | None, b: float | None) -> float | None:
    """a - b, or None when either is unknown."""
    return None if a is None or b is None else a - b


def usage_notes(runs: Runs, events: Sequence[Event]) -> list[Note]:
    """The usage run did not report on every event (an invocation ended its environment): what
    the events left out used is missing, so more may show as unused than is."""
    if runs.usage is None:
        return []
    reported = sum(1 for result in runs.usage if result.usage is not None)
    if reported == len(events):
        return []
    failed = next((r.error for r in runs.usage if r.usage is None and r.error), None)
    error = f"{failed.type}: {failed.message}" if failed else ""
    return [Note("usage-incomplete", {"reported": reported, "events": len(events), "error": error})]


def profile_notes(runs: Runs, module: str, trees: Trees) -> tuple[Note, ...]:
    """What the reader should know about how far the profile could be read."""
    notes = []
    dropped = sum(r.importtime_dropped for results in runs.by_variant.values() for r in results)
    if dropped:
        notes.append(Note("rows-dropped", {"rows": dropped}))
    if any(r.phase == "invoke" for results in runs.by_variant.values() for r in results):
        limit_s = float(lambda_facts()["limits"]["init_max_s"])
        notes.append(Note("init-run-again", {"limit_s": limit_s}))
    if runs.error is None and not trees.found:
        notes.append(Note("no-handler-row", {"module": module}))
    elif runs.error is None and trees.missing:
        notes.append(Note("handler-row-missing", {"module": module, "runs": trees.missing}))
    return tuple(notes)


@dataclass(frozen=True, kw_only=True)
class Measured:
    """What the runs measured, and what was asked: the profile's inputs."""

    function: FunctionConfig
    repeat: int
    python: str
    version: tuple[int, int]
    runs: Runs
    events: tuple[Event, ...]
    contexts: list[Context]
    sizes: Mapping[tuple[str, str | None], tuple[int, int]]  # package_sizes(contexts)
    bare_ms: Sequence[float]


def init_fields(measured: Measured, attributor: Attributor, trees: Trees) -> dict:
    """The init part of the result: times, the import tree and its rollup."""
    runs = measured.runs
    ok = {variant: [r for r in results if r.ok] for variant, results in runs.by_variant.items()}
    init = summarize([r.init_ms for r in ok["init"]])
    warm_init = summarize([r.init_ms for r in ok["warm_init"]])
    imports = summarize([root.cumulative_ms for root in trees.found])
    tree, warm = trees.handler, trees.warm_handler
    modules = module_rows(tree, warm, attributor) if tree is not None else []
    init_median = init.median if init else None
    sizes = measured.sizes
    all_runs = [r for results in runs.by_variant.values() for r in results]
    return {
        "init_ms": init,
        "import_ms": imports,
        "init_minus_import_ms": difference(init_median, imports.median if imports else None),
        "init_minus_import_noise_ms": combined_spread(init, imports),
        "warm_init_ms": warm_init,
        "bytecode_saving_ms": difference(init_median, warm_init.median if warm_init else None),
        "max_rss_mb": max((r.max_rss_mb for r in all_runs), default=None),
        "distributions": tuple(
            distribution_rows(trees.found, modules, attributor, sizes, init_median)
        ),
        "modules": tuple(modules),
        "runtime_init_ms": summarize([r.runtime_init_ms for r in ok["init"]]),
        "read_only": next((r.read_only for r in all_runs if r.read_only), ""),
        "emulation": next((r.emulation for r in all_runs if r.emulation is not None), None),
    }


def invocation_fields(measured: Measured, attributor: Attributor) -> dict:
    """The invocations' part: what each imported, and the work left running after the first."""
    invoked = measured.runs.invoked.get("profile", [])
    warm = measured.runs.invoked.get("warm_profile", [])
    events = measured.events
    summaries = [invocation_summary(invoked, n, label) for n, (label, _) in enumerate(events, 1)]
    numbers = range(1, len(events) + 1)
    rows = [row for n in numbers for row in deferred_rows(invoked, warm, attributor, n)]
    sizes = measured.sizes
    first = next((results[0] for results in invoked if results), None)
    init = next((r for r in measured.runs.by_variant["profile"] if r.ok), None)
    return {
        "events": tuple(label for label, _ in events),
        "invocations": tuple(summaries),
        "deferred": tuple(rows),
        "deferred_distributions": tuple(
            deferred_distributions(invoked, rows, attributor, sizes, summaries)
        ),
        "left_running": tuple(
            item for item in (first.left_running if first else ()) if item.seen_after == 1
        ),
        "init_threads": init_threads(init, first) if first else (),
    }


def init_threads(init: InitResult, first: InvokeResult) -> tuple[LeftRunning, ...]:
    """The threads running as init ended (so as the first invocation started, the environment
    idle in between), each finished_during 1 when it no longer ran once that invocation
    returned."""
    after = {(i.name, i.started_at) for i in first.left_running if i.kind == THREAD}
    return tuple(
        item if (item.name, item.started_at) in after else replace(item, finished_during=1)
        for item in init.running_at_end
        if item.kind == THREAD
    )


def usage_fields(measured: Measured, attributor: Attributor, trees: Trees) -> dict:
    """The usage run's part: what init loaded that the events did not use, files never loaded,
    and the lazy imports' fate."""
    usage = measured.runs.usage or ()
    seen = watched(usage)
    fields: dict = {}
    if seen is not None and trees.handler is not None:
        fields["unused_at_init"] = unused_at_init(
            trees.handler, trees.pth, seen, attributor, measured.sizes, measured.version
        )
    if seen is not None:
        files, rollup, totals = unloaded_files(measured.contexts[0], loaded_files(usage))
        fields.update(unloaded_files=tuple(files), unloaded_distributions=tuple(rollup))
        fields["files_seen"] = totals
    mode = measured.function.lazy_imports
    if mode is not None:
        invoked = measured.runs.invoked.get("profile", [])
        deferred = defers_imports(measured.python, mode)
        fields["lazy_imports"] = lazy_report(mode, deferred, usage, invoked)
    return fields


def unavailable_fields(function: FunctionConfig, events: Sequence[Event]) -> tuple[str, ...]:
    """What AWS's unmodified client cannot give (nothing in it can watch the invocations)."""
    if function.runtime_client != "awslambdaric" or not events:
        return ()
    wanted = [f for f in AWSLAMBDARIC_UNAVAILABLE if f != "lazy_imports" or function.lazy_imports]
    return tuple(wanted)


def build_result(measured: Measured, attributor: Attributor) -> ImportsResult:
    """The result record from the runs."""
    function, runs = measured.function, measured.runs
    module = handler_module(str(function.handler))
    ok = {variant: [r for r in results if r.ok] for variant, results in runs.by_variant.items()}
    trees = init_trees(ok, module, attributor)
    unavailable = unavailable_fields(function, measured.events)
    return ImportsResult(
        target=str(function.target),
        handler=str(function.handler),
        layers=tuple(str(layer) for layer in function.layers),
        python=measured.python,
        python_version=".".join(map(str, measured.version)),
        repeat=measured.repeat,
        bare_start_ms=summarize(list(measured.bare_ms)),
        error=error_record(runs.error),
        notes=(*profile_notes(runs, module, trees), *usage_notes(runs, measured.events)),
        runtime_client=function.runtime_client,
        unavailable=unavailable,
        **init_fields(measured, attributor, trees),
        **invocation_fields(measured, attributor),
        **usage_fields(measured, attributor, trees),
    )


def profile_imports(
    function: FunctionConfig,
    *,
    repeat: int = 5,
    observer: Observer | None = None,
    events: Sequence[Event] = DEFAULT_EVENTS,
) -> ImportsResult:
    """Where a handler's init phase goes (init time, import tree, costs per distribution), and,
    for `events` (name, event) invoked in order after init: what each imported that init had not,
    what init loaded that they did not use, and the package's files they never loaded."""
    if repeat < 1:
        raise UsageError(f"--repeat must be at least 1, not {repeat}")
    function = function.resolved()
    info = function.interpreter()
    contexts = package_contexts(
        function.target, function.layers, function.runtime_sdk, info.version
    )
    runs = run_all(function, repeat, observer, tuple(events))
    bare_ms = bare_start_ms(info.executable, repeat) if runs.error is None else []
    names = interpreter_module_names(info.executable)
    sizes = package_sizes(contexts)
    measured = Measured(
        function=function,
        repeat=repeat,
        python=info.executable,
        version=info.version,
        runs=runs,
        events=tuple(events),
        contexts=contexts,
        sizes=sizes,
        bare_ms=bare_ms,
    )
    return build_result(measured, build_attributor(contexts, names))
