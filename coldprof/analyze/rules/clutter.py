"""Files a package carries that nothing runs: tests, docs, examples, C sources, type stubs."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from coldprof.analyze.model import Context
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import (
    covering_paths,
    folder_file_counts,
    import_path,
    is_metadata,
)
from coldprof.package.model import Package

C_SOURCE_SUFFIXES = (".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".pyx", ".pxd", ".pxi")
Group = dict[tuple[str, str], Counter[str]]  # (package, owner label) -> bytes per folder


def _named_folder(
    path: str, relative: str, names: frozenset[str], top_level: set[str], code: set[str]
) -> str | None:
    """The outermost folder of `path` with one of `names` that is not a kept import name."""
    relative_folders = relative.split("/")[:-1]
    if names.isdisjoint(relative_folders):
        return None
    parts = path.split("/")
    offset = len(parts) - len(relative_folders) - 1
    for depth, part in enumerate(relative_folders):
        folder = "/".join(parts[: offset + depth + 1])
        if part in names and folder not in code and not (depth == 0 and part in top_level):
            return folder
    return None


def _python_packages(package: Package) -> set[str]:
    """The folders of a package that hold an `__init__.py`."""
    return {e.path.rpartition("/")[0] for e in package.files if e.path.endswith("/__init__.py")}


def _folders_named(
    context: Context, names: frozenset[str], code_is_kept: bool, owned_only: bool
) -> Group:
    """Per package and owner, the bytes under each outermost folder with one of `names`.

    A top-level folder its distribution provides as an import name (a package literally
    called `tests`) is kept, and with `code_is_kept` so is every folder holding an
    `__init__.py`: a Python package (boto3/docs is code boto3 imports). With `owned_only`,
    files no distribution owns are left to other rules.
    """
    top_levels = {d.key: set(d.top_level) for d in context.distributions}
    found: Group = defaultdict(Counter)
    for package in context.packages:
        code = _python_packages(package) if code_is_kept else set()
        for entry in package.files:
            relative = import_path(package, entry.path)
            if relative is None or is_metadata(entry.path):
                continue
            if owned_only and context.owner(package, entry.path) is None:
                continue
            label = context.label(package, entry.path)
            top_level = top_levels.get(label, set())
            folder = _named_folder(entry.path, relative, names, top_level, code)
            if folder is not None:
                found[(package.name, label)][folder] += entry.unzipped_bytes
    return found


def _folder_findings(
    context: Context, names: frozenset[str], rule: str, severity: str
) -> list[Finding]:
    """One finding per package and owner listing its folders with one of `names`."""
    kind = rule.removesuffix("-folder")
    code_is_kept = kind in ("docs", "examples")
    owned_only = kind == "tests"  # the function's own tests: leftovers.own-tests
    return [
        Finding(
            rule=rule,
            severity=severity,
            distribution=label,
            paths=tuple(sorted(folders)),
            bytes=sum(folders.values()),
            code="folders",
            values={"folders": len(folders)},
            package=package_name,
        )
        for (package_name, label), folders in sorted(
            _folders_named(context, names, code_is_kept, owned_only).items()
        )
    ]


def shipped_tests(context: Context) -> list[Finding]:
    """Test suites shipped inside packages (tests/, test/): never run on Lambda."""
    return _folder_findings(context, frozenset({"tests", "test"}), "tests-folder", "warning")


def shipped_testing(context: Context) -> list[Finding]:
    """testing/ folders: often test helpers, sometimes a public API imported at run time."""
    return _folder_findings(context, frozenset({"testing"}), "testing-folder", "info")


def shipped_docs(context: Context) -> list[Finding]:
    """Documentation shipped inside packages (docs/, doc/)."""
    return _folder_findings(context, frozenset({"docs", "doc"}), "docs-folder", "warning")


def shipped_examples(context: Context) -> list[Finding]:
    """Examples shipped inside packages (examples/, example/)."""
    names = frozenset({"examples", "example"})
    return _folder_findings(context, names, "examples-folder", "warning")


def _file_findings(context: Context, wanted: Callable[[str], bool], rule: str) -> list[Finding]:
    """One finding per package and owner for the files `wanted` accepts."""
    findings = []
    for package in context.packages:
        groups: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for entry in package.files:
            if wanted(entry.path) and not is_metadata(entry.path):
                label = context.label(package, entry.path)
                groups[label].append((entry.path, entry.unzipped_bytes))
        if groups:
            findings += _grouped(package, groups, rule)
    return findings


def _grouped(
    package: Package, groups: dict[str, list[tuple[str, int]]], rule: str
) -> list[Finding]:
    counts = folder_file_counts(package)
    return [
        Finding(
            rule=rule,
            severity="warning",
            distribution=label,
            paths=covering_paths((path for path, _ in files), counts),
            bytes=sum(size for _, size in files),
            code="files",
            values={"files": len(files)},
            package=package.name,
        )
        for label, files in sorted(groups.items())
    ]


def c_sources(context: Context) -> list[Finding]:
    """C, C++ and Cython sources and headers: needed to build, not to run."""
    return _file_findings(
        context,
        lambda path: path.endswith(C_SOURCE_SUFFIXES),
        "c-sources",
    )


def type_stubs(context: Context) -> list[Finding]:
    """Type stubs (.pyi): read by type checkers, never by the interpreter."""
    return _file_findings(
        context,
        lambda path: path.endswith(".pyi"),
        "type-stubs",
    )
