"""The result record of `coldprof slim` (JSON schema: docs/json-schema-slim.md)."""

from __future__ import annotations

from dataclasses import dataclass

from coldprof.bench.result import Comparison
from coldprof.imports.result import ErrorRecord
from coldprof.results import Note
from coldprof.stats import Stats

SCHEMA_VERSION = 1
UPGRADES: dict = {}  # schema version -> its document upgraded to the next version
STRIP_CHECKS = ("imports", "elf", "strip-failed", "not-loadable", "import-failed")


@dataclass(frozen=True, kw_only=True)
class Interval:
    """A 95% confidence interval, in the unit its field names."""

    low: float
    high: float


@dataclass(frozen=True, kw_only=True)
class Side:
    """One side of the proof: the package before or after slimming, measured in the same run."""

    zipped_bytes: int  # after: the zip slim writes, exact; before: exact for a zip target
    zipped_exact: bool  # False: a deflate-6 estimate of the folder, as analyze makes it
    unzipped_bytes: int
    files: int
    init_ms: Stats | None  # fresh environments, as `imports` measures init (None: it failed)
    init_median_ci_ms: Interval | None  # 95% bootstrap interval of the median init


@dataclass(frozen=True, kw_only=True)
class Gain:
    """How many times faster init is after slimming: the ratio of the two sides' medians."""

    times: float  # median init before / median init after (above 1: faster after)
    ci_low: float  # 95% bootstrap interval of `times`, each side resampled on its own
    ci_high: float
    beyond_noise: bool  # 3+ runs a side and the interval leaves out 1 (no change)


@dataclass(frozen=True, kw_only=True)
class StepRow:
    """What one `--drop` step did, and the analyze findings it acted on."""

    step: str  # "tests", "docs", ..., "debug-symbols", "unused-files"
    rules: tuple[str, ...]  # the analyze rule ids whose findings it acted on
    files: int  # files removed (for debug-symbols: files stripped)
    unzipped_bytes: int  # unzipped bytes it took out of the package
    paths: tuple[str, ...]  # the finding paths it acted on (folders or files)


@dataclass(frozen=True, kw_only=True)
class Bytecode:
    """The bytecode slim compiled for the target runtime."""

    mode: str  # "unchecked-hash", "checked-hash" or "none"
    python: str  # the interpreter that compiled it (the runtime's)
    python_version: str  # "3.12"
    compiled: int  # .pyc files written
    unzipped_bytes: int  # their bytes
    kept: int  # modules whose valid hash-based .pyc was kept as it was
    failed: tuple[str, ...]  # modules that do not compile (so cannot be imported either)


@dataclass(frozen=True, kw_only=True)
class StrippedFile:
    """One shared object of the debug-symbols step."""

    path: str
    before_bytes: int
    after_bytes: int  # equal to before_bytes when the original was kept
    # "imports": stripped, and the extension imports in a child of the runtime; "elf": stripped,
    # checked as an ELF for the target only (a library, or another architecture); originals kept:
    # "strip-failed", "not-loadable" (not a loadable ELF after), "import-failed"
    check: str


@dataclass(frozen=True, kw_only=True)
class ResponseCheck:
    """The handler's response to the event, before and after slimming."""

    equal: bool
    before_sha256: str | None  # of the response's canonical JSON (an error: its type and message)
    after_sha256: str | None
    before_error: ErrorRecord | None  # the function failed (init or invocation): Lambda's error
    after_error: ErrorRecord | None
    varies: bool  # the response differs between two runs of the original package too


@dataclass(frozen=True, kw_only=True)
class SlimResult:
    """A slimmed package, what each step did, and the proof measured side by side."""

    target: str
    output: str | None  # the zip or folder written; None when nothing was (--check, or failed)
    check: bool  # --check: nothing written
    handler: str
    runtime: str  # "python3.12"
    arch: str
    python: str  # the interpreter that compiled the bytecode and ran the handler
    python_version: str
    repeat: int  # fresh environments per side
    steps: tuple[StepRow, ...]
    bytecode: Bytecode
    stripped: tuple[StrippedFile, ...]
    records_rewritten: int  # RECORD files rewritten to describe what is left
    before: Side
    after: Side
    init: Comparison | None  # after against before, hyperfine style (None: a side failed)
    response: ResponseCheck
    notes: tuple[Note, ...]
    ok: bool  # the slimmed handler initialises and answers the event as the original did
    init_gain: Gain | None = None  # the headline: ratio of the medians (None: a side failed)
    kind: str = "slim"
    schema_version: int = SCHEMA_VERSION
