"""The result record of `coldprof analyze` (JSON schema: docs/json-schema-analyze.md)."""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 1
UPGRADES: dict = {}  # schema version -> its document upgraded to the next version
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, kw_only=True)
class Finding:
    """Something that can go or must change, with what acting on it saves and risks."""

    rule: str  # "runtime-sdk", "tests-folder", ...
    severity: str  # "error" (will fail on Lambda) | "warning" (costs size or time) | "info"
    distribution: str | None  # distribution key, FUNCTION_CODE, or None for package-wide findings
    paths: tuple[str, ...]
    bytes: int  # unzipped bytes removing the paths would save (0 where nothing should be removed)
    message: str  # what was found and one line of advice
    risk: str  # what could break if one acts on the advice


@dataclass(frozen=True, kw_only=True)
class Totals:
    files: int
    unzipped_bytes: int  # function package only
    zipped_bytes: int  # function package's zip: exact for a zip, deflate-6 estimate for a folder
    zipped_exact: bool
    layers_unzipped_bytes: int


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
    reason: str


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
    kind: str = "analyze"
    schema_version: int = SCHEMA_VERSION
