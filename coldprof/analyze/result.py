"""The result record of `coldprof analyze` (JSON schema: docs/json-schema-analyze.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coldprof.results import LEGACY_TEXT, each_object, with_field
from coldprof.stats import Stats

SCHEMA_VERSION = 3
SEVERITIES = ("error", "warning", "info")


def _from_v1(document: dict) -> dict:
    """Version 1 -> 2: a finding's `message` held its advice too; its `advice` reads as ""."""
    return document


def _finding_v2(finding: dict) -> dict:
    """A version-2 finding's sentences kept as they were, under the code `text`."""
    words = {key: finding.get(key, "") for key in ("message", "advice", "risk")}
    values = {"text": words["message"], "advice": words["advice"], "risk": words["risk"]}
    return {**finding, "code": LEGACY_TEXT, "values": values}


def _skipped_v2(row: dict) -> dict:
    return {**row, "code": LEGACY_TEXT, "values": {"text": row.get("reason", "")}}


def _from_v2(document: dict) -> dict:
    """Version 2 -> 3: findings and skipped entries held sentences (`message`, `advice`,
    `risk`; `reason`); version 3 holds a code and its values, worded by the renderers."""
    document = with_field(document, "findings", each_object(_finding_v2))
    return with_field(document, "skipped", each_object(_skipped_v2))


UPGRADES = {1: _from_v1, 2: _from_v2}  # schema version -> its document upgraded to the next


@dataclass(frozen=True, kw_only=True)
class Finding:
    """Something that can go or must change, with what acting on it saves and risks."""

    rule: str  # "runtime-sdk", "tests-folder", ...
    severity: str  # "error" (will fail on Lambda) | "warning" (costs size or time) | "info"
    distribution: str | None  # distribution key, FUNCTION_CODE, or None for package-wide findings
    paths: tuple[str, ...]
    bytes: int  # unzipped bytes removing the paths would save (0 where nothing should be removed)
    code: str  # which case of the rule it is: "leave-out", "stale", ... (docs list them)
    # the facts of the case, as numbers, names and codes (never sentences); renderers word them
    values: dict[str, Any] = field(default_factory=dict)
    package: str | None = None  # where the paths are: "function", "layer 1", ...
    distributions: tuple[str, ...] = ()  # the distributions a package-wide finding names
    path_bytes: tuple[int, ...] = ()  # per path, the unzipped bytes it saves (when bytes > 0)
    ms: float | None = None  # the ms per cold start acting on it saves, where estimated


@dataclass(frozen=True, kw_only=True)
class ZippedEstimate:
    """What zipping the function's folder with one packager would weigh."""

    packager: str  # "python-zipfile" (zipfile, SAM), "info-zip" (`zip -r`)
    bytes: int


@dataclass(frozen=True, kw_only=True)
class Totals:
    files: int
    unzipped_bytes: int  # function package only
    zipped_bytes: int  # function package's zip: exact for a zip, zipfile's estimate for a folder
    zipped_exact: bool
    layers_unzipped_bytes: int
    removable_bytes: int | None = None  # unzipped bytes the findings free, each file once
    zipped_estimates: tuple[ZippedEstimate, ...] = ()  # a folder's, per packager; () for a zip

    @property
    def zipped_verdict_bytes(self) -> int:
        """The zipped size held against Lambda's limit: exact, or the larger estimate."""
        return max([self.zipped_bytes, *(e.bytes for e in self.zipped_estimates)])


@dataclass(frozen=True, kw_only=True)
class Limit:
    name: str
    limit_bytes: int
    actual_bytes: int
    headroom_bytes: int
    ok: bool


@dataclass(frozen=True, kw_only=True)
class DistributionRow:
    name: str
    version: str | None
    package: str  # "function" or "layer N"
    files: int
    unzipped_bytes: int
    zipped_bytes: int
    removal_saves_bytes: int  # it plus the dependencies nothing else needs
    requires: tuple[str, ...]
    required_by: tuple[str, ...]
    runtime_provided: bool
    ownership: str


@dataclass(frozen=True, kw_only=True)
class SizeRow:
    path: str
    package: str
    files: int
    unzipped_bytes: int
    zipped_bytes: int
    distribution: str  # the owner of the file, or of most of the folder's bytes


@dataclass(frozen=True, kw_only=True)
class SkippedRow:
    package: str
    path: str
    code: str  # why it was skipped: "link-outside", "fifo", "method", ... (docs list them)
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AddedDistribution:
    """A distribution `analyze --add` would bring into the package."""

    name: str
    version: str
    files: int
    unzipped_bytes: int
    zipped_bytes: int  # deflate-6 of its files, with their zip headers
    requested: bool  # named with --add (else a dependency pip resolved)
    runtime_provided: bool  # the Lambda runtime ships it already


@dataclass(frozen=True, kw_only=True)
class AddedConflict:
    """Where an addition meets what the package already holds: reported, never merged."""

    # "file-present": a file the addition brings is in the function package already (it would
    # be replaced); "other-version": the package holds the distribution at a version the
    # requirement excludes (left out: a version change is not an addition)
    code: str
    distribution: str
    path: str | None = None  # file-present: the package path
    held_version: str | None = None  # other-version: the version the package holds
    requirement: str | None = None  # other-version: the requirement as given


@dataclass(frozen=True, kw_only=True)
class AddedInit:
    """What importing the added top-level modules adds to the handler's init."""

    handler: str
    modules: tuple[str, ...]  # the top-level modules of the requested distributions, imported
    repeat: int
    without_ms: Stats | None  # the handler's init, the additions on sys.path but not imported
    with_ms: Stats | None  # the same, then the new modules imported
    added_ms: float | None  # median with - median without
    within_noise: bool | None  # the 95% interval of with/without holds 1 (bench's comparison)
    error_type: str | None  # the handler or a new module failed: Lambda's errorType...
    error_message: str | None  # ...and errorMessage


@dataclass(frozen=True, kw_only=True)
class Added:
    """What `analyze --add` would add to the package, measured on a real install."""

    requirements: tuple[str, ...]  # as given: "requests==2.32.3"
    python_version: str  # the Python pip resolved for: "3.12"
    platforms: tuple[str, ...]  # the --platform tags pip was given, newest glibc first
    files: int
    unzipped_bytes: int
    zipped_bytes: int
    distributions: tuple[AddedDistribution, ...]  # largest first
    already_present: tuple[str, ...]  # resolved distributions the package (or a layer) holds
    limits: tuple[Limit, ...]  # Lambda's size limits with the additions
    init: AddedInit | None  # with --handler
    conflicts: tuple[AddedConflict, ...] = ()  # files already present, versions held otherwise


@dataclass(frozen=True, kw_only=True)
class AnalyzeResult:
    target: str
    layers: tuple[str, ...]
    runtime: str
    arch: str
    totals: Totals
    limits: tuple[Limit, ...]
    distributions: tuple[DistributionRow, ...]
    largest_folders: tuple[SizeRow, ...]
    largest_files: tuple[SizeRow, ...]
    findings: tuple[Finding, ...]
    skipped: tuple[SkippedRow, ...]
    handler: str | None = None  # the handler checked (--handler), if any
    added: Added | None = None  # `analyze --add PACKAGE`: what adding it would cost
    kind: str = "analyze"
    schema_version: int = SCHEMA_VERSION
