"""The result record of `coldprof imports` (JSON schema: docs/json-schema-imports.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coldprof.results import Note, legacy_notes, with_field
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
    top: int = 30  # the table shows this many modules (the largest cumulative times)...
    min_ms: float = 0.0  # ...of at least this many ms; JSON always holds every module
    kind: str = "imports"
    schema_version: int = SCHEMA_VERSION
