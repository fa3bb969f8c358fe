"""pth-file: what each `.pth` file does when the runtime starts.

Lambda's Python runtime calls site.addsitedir() on the task root and on the layers' folders
on sys.path, so a `.pth` file at one of those roots is processed at every cold start, as
site.addpackage does: a line starting with `import` runs, any other line names a folder
(relative to the root) added to sys.path when it exists. This rule says which.
"""

from __future__ import annotations

import posixpath

from coldprof.analyze.model import Context
from coldprof.analyze.result import Finding
from coldprof.package.model import Package
from coldprof.results import display_path

PTH_LIMIT_BYTES = 64 * 1024
SHOWN_LINE_CHARS = 80


def pth_files(package: Package) -> list[tuple[str, str]]:
    """(import root, path) of every `.pth` file directly in one of the package's import roots."""
    found = []
    for entry in package.files:
        folder, _, name = entry.path.rpartition("/")
        if name.endswith(".pth") and folder in package.import_roots:
            found.append((folder, entry.path))
    return found


def _folders(package: Package) -> set[str]:
    return {folder.path for folder in package.folders}


def describe(package: Package, root: str, path: str) -> dict[str, list[str]]:
    """What a .pth file does, as site.addpackage would process it: the import lines it runs,
    the folders it adds to sys.path, and those it names that are absent (ignored)."""
    text = (package.read(path, PTH_LIMIT_BYTES) or b"").decode("utf-8", "replace")
    does: dict[str, list[str]] = {"runs": [], "adds": [], "absent": []}
    folders = _folders(package)
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith(("import ", "import\t")):
            does["runs"].append(display_path(line.strip())[:SHOWN_LINE_CHARS])
            continue
        line = line.rstrip()
        target = None if posixpath.isabs(line) else posixpath.normpath(posixpath.join(root, line))
        does["adds" if target in folders else "absent"].append(display_path(line))
    return does


def pth_file(context: Context) -> list[Finding]:
    """One finding per `.pth` file at an import root, saying what it does at start-up."""
    findings = []
    for package in context.packages:
        for root, path in pth_files(package):
            does = describe(package, root, path)
            findings.append(
                Finding(
                    rule="pth-file",
                    severity="info",
                    distribution=context.label(package, path),
                    paths=(path,),
                    bytes=0,
                    code="processed" if any(does.values()) else "does-nothing",
                    values={"path": display_path(path), **does},
                    package=package.name,
                )
            )
    return findings
