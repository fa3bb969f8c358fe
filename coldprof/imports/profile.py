"""`profile_imports()`: fresh child interpreters run the handler's init, with and without
`-X importtime`, with and without a warmed bytecode cache, in interleaved rounds.

What can be told apart, and what cannot: a module's `-X importtime` self time covers finding
it, loading its code (compiling the source when no valid `.pyc` exists) and running its body
minus its own imports. Runs with a warmed cache outside the package take the compile step away:
the difference is the module's `bytecode_saving_ms`, and what is left (`body_ms`) is mostly its
body running, plus locating and unmarshalling its cached code (well under a millisecond for a
typical module). Work a body does by calling into already imported code (`boto3.client(...)`
at global scope) stays in that module's self time; `-X importtime` cannot split it further.
"""

from __future__ import annotations

import itertools
import statistics
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from coldprof.data import lambda_facts
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig, environment_spec, prepare
from coldprof.imports.attribution import (
    Attributor,
    Origin,
    build_attributor,
    interpreter_module_names,
    package_contexts,
    package_sizes,
)
from coldprof.imports.parser import parse_rows
from coldprof.imports.result import DistributionRow, ErrorRecord, ImportsResult, ModuleRow
from coldprof.imports.tree import Key, Node, build_forest, find_module, median_tree, walk
from coldprof.results import Note
from coldprof.sandbox import Environment, EnvironmentSpec, ErrorInfo, InitResult, bare_start_ms
from coldprof.stats import summarize

Observer = Callable[[int, int], None]  # (runs done, runs in all)

# (importtime, warm bytecode cache) of the four runs in each round
VARIANTS = {
    "init": (False, False),
    "profile": (True, False),
    "warm_init": (False, True),
    "warm_profile": (True, True),
}


@dataclass(frozen=True)
class Runs:
    """The init results of every run, by variant, and the first failure if any."""

    by_variant: dict[str, list[InitResult]]
    error: ErrorInfo | None


def handler_module(handler: str) -> str:
    """The dotted module of a Lambda handler string ("pkg/app.handler" -> "pkg.app")."""
    return handler.rsplit(".", 1)[0].replace("/", ".")


def start_once(spec: EnvironmentSpec) -> InitResult:
    """One cold start in a fresh child; the child is gone afterwards. An init that passes
    Lambda's 10 s limit is run again, as Lambda runs it inside the first invocation."""
    with Environment(spec) as environment:
        result = environment.start()
        return environment.retry_init() if result.retry else result


def measure(
    function: FunctionConfig, cache_dir: Path, repeat: int, observer: Observer | None
) -> Runs:
    """A warm-up run filling the bytecode cache, then `repeat` rounds of the four variants."""
    report = observer or (lambda done, total: None)
    total = 1 + repeat * len(VARIANTS)
    runs: dict[str, list[InitResult]] = {variant: [] for variant in VARIANTS}
    spec = environment_spec(function)
    warm_up = start_once(replace(spec, pycache_prefix=cache_dir))
    report(1, total)
    if not warm_up.ok:
        runs["init"].append(warm_up)
        return Runs(runs, warm_up.error)
    rounds = itertools.chain.from_iterable([VARIANTS.items()] * repeat)
    for done, (variant, (importtime, warm)) in enumerate(rounds, start=2):
        cache = cache_dir if warm else None
        result = start_once(replace(spec, importtime=importtime, pycache_prefix=cache))
        runs[variant].append(result)
        report(done, total)
        if not result.ok:
            return Runs(runs, result.error)
    return Runs(runs, None)


def handler_roots(results: Sequence[InitResult], module: str) -> list[Node | None]:
    """The handler module's node in each run's import tree (None where it has no row)."""
    return [find_module(build_forest(parse_rows(r.importtime_lines)), module) for r in results]


def median_of_found(roots: Sequence[Node | None]) -> Node | None:
    """The median tree of the roots that were found, or None."""
    found = [root for root in roots if root is not None]
    return median_tree(found) if found else None


def module_rows(tree: Node, warm_tree: Node | None, attributor: Attributor) -> list[ModuleRow]:
    """Every module of the handler's tree, in pre-order, with its origin and bytecode effect."""
    warm_nodes: dict[Key, Node] = {}
    if warm_tree is not None:
        warm_nodes = {key: node for node, _, key in walk(warm_tree)}
    rows = []
    for node, depth, key in walk(tree):
        origin = attributor.origin(node.name)
        warm = None if node.cached else warm_nodes.get(key)
        rows.append(
            ModuleRow(
                name=node.name,
                distribution=origin.distribution,
                category=origin.category,
                self_ms=node.self_ms,
                cumulative_ms=node.cumulative_ms,
                depth=depth,
                bytecode_saving_ms=None if warm is None else max(0.0, node.self_ms - warm.self_ms),
                body_ms=None if warm is None else warm.self_ms,
                cached=node.cached,
                runs=node.runs,
            )
        )
    return rows


def distribution_self_ms(
    roots: Sequence[Node], attributor: Attributor
) -> dict[tuple[str, str], tuple[float, Origin]]:
    """Each distribution's self time summed within each run, then the median over the runs.

    Summing before taking the median keeps the rollup consistent with the import total: the
    median of each of hundreds of small modules would leave out the noise every run has.
    """
    per_run: list[dict[tuple[str, str], float]] = []
    origins: dict[tuple[str, str], Origin] = {}
    for root in roots:
        sums: dict[tuple[str, str], float] = {}
        for node, _, _ in walk(root):
            if node.cached:
                continue
            origin = attributor.origin(node.name)
            key = (origin.distribution, origin.category)
            origins.setdefault(key, origin)
            sums[key] = sums.get(key, 0.0) + node.self_ms
        per_run.append(sums)
    return {
        key: (statistics.median(sums.get(key, 0.0) for sums in per_run), origin)
        for key, origin in origins.items()
    }


def distribution_rows(
    roots: Sequence[Node],
    modules: Sequence[ModuleRow],
    attributor: Attributor,
    sizes: Mapping[tuple[str, str | None], tuple[int, int]],
    init_median_ms: float | None,
) -> list[DistributionRow]:
    """The rollup per distribution: self-time sum, share of init, bytes; costliest first."""
    counts = Counter((m.distribution, m.category) for m in modules if not m.cached)
    rows = []
    for (name, category), (self_ms, origin) in distribution_self_ms(roots, attributor).items():
        size = sizes.get((origin.package, origin.owner_key)) if origin.package else None
        rows.append(
            DistributionRow(
                name=name,
                category=category,
                self_ms=self_ms,
                share=self_ms / init_median_ms if init_median_ms else 0.0,
                unzipped_bytes=size[0] if size else None,
                zipped_bytes=size[1] if size else None,
                modules=counts[(name, category)],
            )
        )
    return sorted(rows, key=lambda row: row.self_ms, reverse=True)


def difference(a: float | None, b: float | None) -> float | None:
    """a - b, or None when either is unknown."""
    return None if a is None or b is None else a - b


def error_record(error: ErrorInfo | None) -> ErrorRecord | None:
    """The result's form of a sandbox error."""
    if error is None:
        return None
    return ErrorRecord(type=error.type, message=error.message, stack_trace=tuple(error.stack_trace))


def run_all(function: FunctionConfig, repeat: int, observer: Observer | None) -> Runs:
    """All the runs, in children whose task root and layers are safe, read-only copies of zips."""
    with ExitStack() as stack:
        prepared = prepare(stack, function)
        cache_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="coldprof-")))
        return measure(prepared, cache_dir, repeat, observer)


def profile_notes(runs: Runs, module: str, trees: Sequence[Node | None]) -> tuple[Note, ...]:
    """What the reader should know about how far the profile could be read."""
    notes = []
    dropped = sum(r.importtime_dropped for results in runs.by_variant.values() for r in results)
    if dropped:
        notes.append(Note("rows-dropped", {"rows": dropped}))
    if any(r.phase == "invoke" for results in runs.by_variant.values() for r in results):
        limit_s = float(lambda_facts()["limits"]["init_max_s"])
        notes.append(Note("init-run-again", {"limit_s": limit_s}))
    if runs.error is None and not any(trees):
        notes.append(Note("no-handler-row", {"module": module}))
    elif runs.error is None and not all(trees):
        missing = sum(1 for tree in trees if tree is None)
        notes.append(Note("handler-row-missing", {"module": module, "runs": missing}))
    return tuple(notes)


def build_result(
    function: FunctionConfig,
    repeat: int,
    python: str,
    python_version: str,
    runs: Runs,
    attributor: Attributor,
    sizes: Mapping[tuple[str, str | None], tuple[int, int]],
    bare_ms: Sequence[float],
) -> ImportsResult:
    """The result record from the runs."""
    module = handler_module(str(function.handler))
    ok = {variant: [r for r in results if r.ok] for variant, results in runs.by_variant.items()}
    trees = handler_roots(ok["profile"], module)
    found = [root for root in trees if root is not None]
    tree = median_tree(found) if found else None
    warm_tree = median_of_found(handler_roots(ok["warm_profile"], module))
    init = summarize([r.init_ms for r in ok["init"]])
    runtime_init = summarize([r.runtime_init_ms for r in ok["init"]])
    warm_init = summarize([r.init_ms for r in ok["warm_init"]])
    imports = summarize([root.cumulative_ms for root in found])
    modules = module_rows(tree, warm_tree, attributor) if tree is not None else []
    init_median = init.median if init else None
    all_runs = [r for results in runs.by_variant.values() for r in results]
    return ImportsResult(
        target=str(function.target),
        handler=str(function.handler),
        layers=tuple(str(layer) for layer in function.layers),
        python=python,
        python_version=python_version,
        repeat=repeat,
        init_ms=init,
        import_ms=imports,
        bare_start_ms=summarize(list(bare_ms)),
        init_minus_import_ms=difference(init_median, imports.median if imports else None),
        warm_init_ms=warm_init,
        bytecode_saving_ms=difference(init_median, warm_init.median if warm_init else None),
        max_rss_mb=max((r.max_rss_mb for r in all_runs), default=None),
        distributions=tuple(distribution_rows(found, modules, attributor, sizes, init_median)),
        modules=tuple(modules),
        error=error_record(runs.error),
        notes=profile_notes(runs, module, trees),
        runtime_init_ms=runtime_init,
        runtime_client=function.runtime_client,
        read_only=next((r.read_only for r in all_runs), ""),
    )


def profile_imports(
    function: FunctionConfig, *, repeat: int = 5, observer: Observer | None = None
) -> ImportsResult:
    """Where a handler's init phase goes: init time, import tree, costs per distribution."""
    if repeat < 1:
        raise UsageError(f"--repeat must be at least 1, not {repeat}")
    function = function.resolved()
    info = function.interpreter()
    contexts = package_contexts(
        function.target, function.layers, function.runtime_sdk, info.version
    )
    runs = run_all(function, repeat, observer)
    bare_ms = bare_start_ms(info.executable, repeat) if runs.error is None else []
    names = interpreter_module_names(info.executable)
    version = ".".join(map(str, info.version))
    return build_result(
        function,
        repeat,
        info.executable,
        version,
        runs,
        build_attributor(contexts, names),
        package_sizes(contexts),
        bare_ms,
    )
