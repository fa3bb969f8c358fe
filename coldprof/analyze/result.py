"""The result record of `coldprof analyze` (JSON schema: docs/json-schema-analyze.md)."""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 2
SEVERITIES = ("error", "warning", "info")


def _from_v1(document: dict) -> dict:
    """Version 1 -> 2: a finding's `message` held its advice too; its `advice` reads as ""."""
    return document


UPGRADES = {1: _from_v1}  # schema version -> its document upgraded to the next version


@dataclass(frozen=True, kw_only=True)
class Finding:
    """Something that can go or must change, with what acting on it saves and risks."""

    rule: str  # "runtime-sdk", "tests-folder", ...
    severity: str  # "error" (will fail on Lambda) | "warning" (costs size or time) | "info"
    distribution: str | None  # distribution key, FUNCTION_CODE, or None for package-wide findings
    paths: tuple[str, ...]
    bytes: int  # unzipped bytes removing the paths would save (0 where nothing should be removed)
    message: str  # what was found (version 1: with the advice)
    risk: str  # what could break if one acts on the advice
    advice: str = ""  # what to do: the same for every finding of a rule in one result
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
    handler: str | None = None  # the handler checked (--handler), if any
    kind: str = "analyze"
    schema_version: int = SCHEMA_VERSION
