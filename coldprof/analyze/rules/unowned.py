"""unowned-files: files of the function package no distribution owns that are not its code.

Files no distribution owns are the function's own code, except these leftovers of how
the package was built, which nothing imports on Lambda:
- tool and editor litter anywhere: Thumbs.db, and the folders .idea, .vscode,
  .pytest_cache, .mypy_cache, .ruff_cache, .tox, .nox;
- pip's install-scheme folders at the root: bin/ (console scripts), share/ (data files),
  include/ (C headers);
- *.egg-link files: `pip install -e` pointers to a folder on the build machine.
Every *.dist-info and *.egg-info folder is a distribution (owners.py), so never unowned;
`__pycache__` files without a source are reported by the bytecode audit; macOS metadata,
version control, secrets, templates and tests have their own rules (leftovers.py), and
`.pth` files, which the runtime does process, theirs (pth.py).
"""

from __future__ import annotations

from collections import defaultdict

from coldprof.analyze.model import FUNCTION_CODE, Context
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import covering_paths, folder_file_counts
from coldprof.package.model import Package

LITTER_FILES = frozenset({"Thumbs.db"})
LITTER_FOLDERS = frozenset(
    {".idea", ".vscode", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox"}
)
SCHEME_FOLDERS = frozenset({"bin", "share", "include"})
KINDS = ("litter", "scheme", "egg-link")  # the finding's code


def leftover_kind(path: str, files: set[str]) -> str | None:
    """Which kind of build leftover an unowned path is, or None for the function's code."""
    parts = path.split("/")
    if parts[-1] in LITTER_FILES or any(part in LITTER_FOLDERS for part in parts[:-1]):
        return "litter"
    if len(parts) > 1 and parts[0] in SCHEME_FOLDERS and f"{parts[0]}/__init__.py" not in files:
        return "scheme"
    if len(parts) == 1 and parts[0].endswith(".egg-link"):
        return "egg-link"
    return None


def unowned_files(context: Context) -> list[Finding]:
    """Build leftovers in the function package that no distribution owns."""
    package = context.packages[0]
    files = {entry.path for entry in package.files}
    kinds: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for entry in package.files:
        if context.owner(package, entry.path) is None:
            kind = leftover_kind(entry.path, files)
            if kind is not None:
                kinds[kind].append((entry.path, entry.unzipped_bytes))
    return [_finding(package, kind, found) for kind, found in sorted(kinds.items())]


def _finding(package: Package, kind: str, found: list[tuple[str, int]]) -> Finding:
    paths = covering_paths((path for path, _ in found), folder_file_counts(package))
    return Finding(
        rule="unowned-files",
        severity="warning",
        distribution=FUNCTION_CODE,
        paths=paths,
        bytes=sum(size for _, size in found),
        code=kind,
        values={"files": len(found)},
        package=package.name,
    )
