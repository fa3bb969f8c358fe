"""The result record of `coldprof imports` (JSON schema: docs/json-schema-imports.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coldprof.results import Note, legacy_notes, with_field
from coldprof.sandbox.left_running import LeftRunning
from coldprof.sandbox.spec import Emulation
from coldprof.stats import Stats

SCHEMA_VERSION = 2


def _from_v1(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 held its notes as sentences."""
    return with_field(document, "notes", legacy_notes)


UPGRADES = {1: _from_v1}  # schema version -> its document upgraded to the next version


@dataclass(frozen=True, kw_only=True)
class ErrorRecord:
    """Why the handler could not be made ready, as Lambda reports it."""

    type: str  # "Runtime.ImportModuleError", "ValueError", "Sandbox.Timedout", ...
    message: str
    stack_trace: tuple[str, ...]  # the user's traceback lines


@dataclass(frozen=True, kw_only=True)
class ModuleRow:
    """One imported module of the handler's import tree (pre-order: a parent before its imports)."""

    name: str
    distribution: str
    category: str
    self_ms: float  # median over the profiled runs, without a bytecode cache
    cumulative_ms: float  # with everything it imported
    depth: int  # 0 for the handler module
    bytecode_saving_ms: float | None  # self time a valid shipped .pyc would save (None: unknown)
    body_ms: float | None  # self time with a warm bytecode cache: mostly running its body
    cached: bool  # an `-X importtime=2` row for a module already imported
    runs: int  # in how many profiled runs the module was imported at this place
    bytecode_saving_noise_ms: float | None = None  # the spreads (stdev) of the self times with
    # and without a bytecode cache combined: a saving within it is not measured


@dataclass(frozen=True, kw_only=True)
class DistributionRow:
    """What one distribution costs at init, in ms and in bytes."""

    name: str
    category: str
    self_ms: float  # its modules' self times summed in each run, median over the runs
    share: float  # self_ms / median init_ms
    unzipped_bytes: int | None  # None: not in the package (standard library, built-in)
    zipped_bytes: int | None
    modules: int


@dataclass(frozen=True, kw_only=True)
class DeferredModuleRow(ModuleRow):
    """A module first imported during an invocation, not at init: its cost moved there."""

    invocation: int  # the invocation that imported it: 1 for the first after init


@dataclass(frozen=True, kw_only=True)
class InvocationImports:
    """What one invocation imported that init had not: its total beside init's."""

    invocation: int  # from 1 (the first after init)
    event: str  # the event it was given, as named (the --event value)
    import_ms: Stats | None  # its top-level imports' cumulative ms, summed in each profiled run
    modules: int  # modules it imported (in the median tree)
    runs: int  # profiled runs in which it ran
    error: ErrorRecord | None  # how it failed, in the first run where it did (None: it never did)


@dataclass(frozen=True, kw_only=True)
class UnusedModule:
    """A module init imported that no event used: a lazy-import candidate."""

    name: str
    distribution: str
    category: str
    self_ms: float  # its own import time at init (median)
    cumulative_ms: float  # with everything it imported at init: what init would no longer pay
    unused_ms: float  # self times of it and of the modules under it that no event used either
    modules: int  # modules in its subtree at init, itself included
    imported_by: str  # its importer in the init tree ("" for a .pth file's import line)
    also_imported_by: tuple[str, ...]  # used modules that hold it too: it is imported anyway
    used_below: tuple[str, ...]  # modules under it that an event used (they would still load)
    advice: str  # "import-where-used", "lazy-import" (python3.15) or "drop"


@dataclass(frozen=True, kw_only=True)
class UnusedDistribution:
    """A distribution whose modules init imported and no event used."""

    name: str
    category: str
    self_ms: float  # its modules' self times at init, summed per run (median)
    modules: int
    unzipped_bytes: int | None


@dataclass(frozen=True, kw_only=True)
class UnusedAtInit:
    """What init imported that the events did not use, measured in runs apart from the timed
    ones: used means that a module's code ran, or an attribute of it was read, while a handler
    ran on one of these events. It is what these events exercised, not a proof."""

    method: str  # how code that ran was seen: "sys.monitoring" (3.12+) or "setprofile"
    events: int  # events the usage run invoked
    init_modules: int  # modules of the init tree (the handler's and .pth files' imports)
    used_modules: int  # of them, those an event used
    modules: tuple[UnusedModule, ...]  # costliest first (cumulative_ms)
    distributions: tuple[UnusedDistribution, ...]  # costliest first (self_ms)
    unused: tuple[str, ...] = ()  # every module of the init tree no event used, sorted


@dataclass(frozen=True, kw_only=True)
class UnloadedFile:
    """A package file neither imported nor opened during init and the events."""

    path: str  # in its package (as analyze names it)
    bytes: int  # unzipped
    package: str  # "function", "layer 1", ...
    distribution: str  # its owner, or "(function code)", "(layer N code)"


@dataclass(frozen=True, kw_only=True)
class UnloadedDistribution:
    """One distribution's files that init and the events never loaded."""

    name: str
    category: str  # "function code", "dependency" or "layer"
    files: int
    bytes: int
    share: float  # bytes / the package's bytes (function and layers, metadata left out)
    distribution_bytes: int  # all its files' bytes


@dataclass(frozen=True, kw_only=True)
class FilesSeen:
    """The package's files (function and layers, dist-info metadata left out), loaded or not."""

    files: int
    bytes: int
    loaded_files: int
    loaded_bytes: int


@dataclass(frozen=True, kw_only=True)
class LazyImport:
    """A lazy import (PEP 810) left unresolved at the end of init, and what became of it."""

    name: str  # what it imports ("json")
    declared_in: str  # the module whose global holds it
    binding: str  # that global's name
    resolved_in: int | None  # the invocation that resolved it; None: never, in these events
    cumulative_ms: float | None  # its import when resolved (median over the profiled runs; None:
    # never resolved, or resolved without a row of its own: already imported by then)


@dataclass(frozen=True, kw_only=True)
class LazyImports:
    """`--lazy-imports MODE`: what the interpreter deferred, and what each deferral cost later."""

    mode: str  # "all" or "normal" (-X lazy_imports=MODE)
    deferred: bool  # the interpreter defers imports in this mode (probed: 3.14 accepts the flag
    # and imports eagerly)
    imports: tuple[LazyImport, ...]  # in the order found


@dataclass(frozen=True, kw_only=True)
class ImportsResult:
    """Where the init phase of one handler goes, module by module and dependency by dependency."""

    target: str
    handler: str
    layers: tuple[str, ...]
    python: str  # the real executable that ran the handler
    python_version: str  # "3.12"
    repeat: int
    init_ms: Stats | None  # the function's init: runtime ready -> handler ready (no importtime)
    import_ms: Stats | None  # the handler module's cumulative time under -X importtime
    bare_start_ms: Stats | None  # `python -I -S -B -c pass`, the same interpreter
    init_minus_import_ms: float | None  # median init - median import: .pth files, runtime glue
    warm_init_ms: Stats | None  # init with a warmed bytecode cache outside the package
    bytecode_saving_ms: float | None  # median init_ms - median warm_init_ms
    max_rss_mb: float | None  # peak resident memory of the child after init, over the runs
    distributions: tuple[DistributionRow, ...]
    modules: tuple[ModuleRow, ...]
    error: ErrorRecord | None
    notes: tuple[Note, ...]  # what limited the profile: rows-dropped, no-handler-row, ...
    runtime_init_ms: Stats | None = None  # the runtime's start: spawn -> runtime ready;
    # runtime_init_ms + init_ms is what Lambda reports as Init Duration
    runtime_client: str = "coldprof"  # "coldprof" (light runtime) or "awslambdaric"
    read_only: str = ""  # how the package was kept read-only: mount-namespace | audit-hook
    emulation: Emulation | None = None  # how the first environment that started lived here
    init_minus_import_noise_ms: float | None = None  # the noise of init_minus_import_ms: the
    # spreads (stdev) of init_ms and import_ms combined; a difference within it is not measured
    top: int = 30  # the table shows this many modules (the largest cumulative times)...
    min_ms: float = 0.0  # ...of at least this many ms; JSON always holds every module
    events: tuple[str, ...] = ()  # the events invoked after init, in order (none: --no-invoke)
    invocations: tuple[InvocationImports, ...] = ()  # one per event
    deferred: tuple[DeferredModuleRow, ...] = ()  # modules the invocations imported, pre-order
    deferred_distributions: tuple[DistributionRow, ...] = ()  # their rollup (share: of deferred)
    unused_at_init: UnusedAtInit | None = None  # None: not measured (no events, or awslambdaric)
    unloaded_files: tuple[UnloadedFile, ...] = ()  # largest first
    unloaded_distributions: tuple[UnloadedDistribution, ...] = ()  # most bytes first
    files_seen: FilesSeen | None = None  # None: files were not watched
    left_running: tuple[LeftRunning, ...] = ()  # work still running when invocation 1 returned
    init_threads: tuple[LeftRunning, ...] = ()  # threads running as invocation 1 started
    lazy_imports: LazyImports | None = None  # None: --lazy-imports not given
    unavailable: tuple[str, ...] = ()  # measurements this runtime client cannot give (fields)
    kind: str = "imports"
    schema_version: int = SCHEMA_VERSION
