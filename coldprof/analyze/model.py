"""What the analysis works on: distributions found in a package, and the context rules read."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from coldprof.package.model import FileEntry, Package

FUNCTION_CODE = "(function code)"  # the row for files no distribution owns in the function package


@dataclass(frozen=True)
class Runtime:
    """The target Lambda runtime."""

    name: str  # "python3.11"
    version: tuple[int, int]  # (3, 11)
    glibc: tuple[int, int]  # (2, 26)


@dataclass(frozen=True, kw_only=True)
class Distribution:
    """One installed distribution (a *.dist-info folder) in a package."""

    name: str  # as METADATA spells it
    key: str  # normalized (PEP 503): lower case, runs of -_. as "-"
    version: str
    package: str  # the Package.name holding it ("function", "layer 1", ...)
    dist_info: str  # path of its *.dist-info folder, relative to the package root
    files: tuple[str, ...]  # package paths it owns that exist in the package (dist-info included)
    top_level: tuple[str, ...]  # top-level import names it provides
    requires: tuple[str, ...]  # keys of the distributions it requires on the target runtime
    wheel_tags: tuple[str, ...]  # "cp312-cp312-manylinux_2_17_x86_64", ... from WHEEL
    # how its files were found: "RECORD", "installed-files.txt", "top_level.txt", "folder name"
    ownership: str
    requirements: tuple[str, ...] = ()  # its Requires-Dist lines as written (markers, extras)


@dataclass(frozen=True, kw_only=True)
class Context:
    """Everything a finding rule may read: the packages, who owns which file, the target."""

    packages: tuple[Package, ...]  # the function first, then its layers in order
    distributions: tuple[Distribution, ...]
    owners: dict[tuple[str, str], str]  # (package name, path) -> distribution key; absent: unowned
    runtime: Runtime
    arch: str  # "x86_64" | "arm64"
    handler: str | None = None  # "app.handler" when the user named it
    runtime_sdk: tuple[Distribution, ...] = ()  # what --runtime-sdk says the runtime ships
    today: datetime.date = field(default_factory=datetime.date.today)  # for runtime dates
    # what rules read from native files, by (package name, path): each file is read once
    native: dict[tuple[str, str], Any] = field(default_factory=dict, compare=False, repr=False)

    def entries(self) -> list[tuple[Package, FileEntry]]:
        """Every counted file with its package."""
        return [(package, entry) for package in self.packages for entry in package.files]

    def owner(self, package: Package, path: str) -> str | None:
        """The key of the distribution owning a file, or None."""
        return self.owners.get((package.name, path))

    def label(self, package: Package, path: str) -> str:
        """The distribution key owning a file, or the package's own-code row name."""
        owner = self.owner(package, path)
        if owner is not None:
            return owner
        return FUNCTION_CODE if package.name == "function" else f"({package.name} code)"
