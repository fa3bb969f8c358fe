"""unreadable-by-lambda: files and folders the function's user may not read.

Lambda runs the function as a user that owns nothing in /var/task or /opt, so only the
permission bits for others count: a file needs read (r, 0o004), a folder read and execute
(r-x, 0o005) to be listed and entered; AWS asks for 644 and 755. Modes come from the folder
itself or from a zip's Unix external attributes (an archive written on Windows records
none: nothing to check).
"""

from __future__ import annotations

from coldprof.analyze.model import Context
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import covering_paths, folder_file_counts, parents
from coldprof.package.model import Package

OTHERS_READ = 0o004
OTHERS_LIST = 0o005


def unreadable(package: Package) -> tuple[list[str], list[str]]:
    """(files, folders) of a package the function's user cannot read or enter."""
    files = [e.path for e in package.files if e.mode is not None and not e.mode & OTHERS_READ]
    folders = [
        f.path
        for f in package.folders
        if f.mode is not None and f.mode & OTHERS_LIST != OTHERS_LIST
    ]
    return files, folders


def _modes(package: Package, paths: list[str]) -> list[str]:
    """The distinct modes of the paths, in octal ("600"), at most four."""
    modes = {e.path: e.mode for e in package.files} | {f.path: f.mode for f in package.folders}
    return sorted({oct(modes[p] or 0)[2:].rjust(3, "0") for p in paths})[:4]


def unreadable_by_lambda(context: Context) -> list[Finding]:
    """Per package, what Lambda's user gets Permission denied on."""
    findings = []
    for package in context.packages:
        files, folders = unreadable(package)
        if not files and not folders:
            continue
        closed = set(folders)
        loose = {f for f in files if closed.isdisjoint(parents(f))}
        paths = sorted(folders) + list(covering_paths(loose, folder_file_counts(package)))
        values = {
            "files": len(files),
            "folders": len(folders),
            "modes": _modes(package, files + folders),
        }
        findings.append(
            Finding(
                rule="unreadable-by-lambda",
                severity="error",
                distribution=None,
                paths=tuple(paths),
                bytes=0,
                code="not-readable",
                values=values,
                package=package.name,
            )
        )
    return findings
