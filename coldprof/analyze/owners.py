"""Which distribution owns which file, read from *.dist-info and *.egg-info folders.

Evidence, strongest first (CLAIM_ORDER): a dist-info's RECORD; an egg-info's
installed-files.txt; top_level.txt; the folder or module whose name matches the
normalized distribution name. A metadata folder always owns its own files, and a
`__pycache__/NAME.*.pyc` belongs to whoever owns `NAME.py`.

RECORD rows that point outside the import root (`../../bin/x`, written by
`pip install --target`) are looked up where pip really put them (`bin/x` under the
root). Rows naming files that are not in the package are ignored.

At most MAX_RECORD_ROWS rows of a RECORD are read (and at most READ_LIMIT_BYTES of it),
and each distribution's fallback looks its names up in an index of the root built once, so
the work is linear in the metadata.

*.egg-info folders are best effort: PKG-INFO for the name and version, requires.txt
for the requirements (an `[extra]` section's lines get the marker `extra == "..."`),
installed-files.txt (paths relative to the egg-info folder) for the files, else the same
fallbacks as a dist-info.
"""

from __future__ import annotations

import csv
import itertools
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Sequence
from email.message import Message
from email.parser import BytesParser

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from coldprof.analyze.model import Distribution, Runtime
from coldprof.package.model import Package

CLAIM_ORDER = ("RECORD", "installed-files.txt", "top_level.txt", "folder name")
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
METADATA_SUFFIXES = (".dist-info", ".egg-info")
MODULE_EXTENSIONS = frozenset({"py", "pyc", "pyi", "so", "pyd"})
SCRIPTS_FOLDER = "bin"  # where pip --target puts console scripts; never an import name
LIBS_SUFFIX = ".libs"  # auditwheel's folder of vendored shared libraries: NAME.libs
MAX_RECORD_ROWS = 200_000  # rows read from one RECORD: as many as a zip coldprof reads may hold


def marker_environment(runtime: Runtime, arch: str, patch: int = 0) -> dict[str, str]:
    """The PEP 508 marker values of a Lambda runtime at a patch level (.0 unless given)."""
    major, minor = runtime.version
    return {
        "implementation_name": "cpython",
        "implementation_version": f"{major}.{minor}.{patch}",
        "os_name": "posix",
        "platform_machine": MACHINES[arch],
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": f"{major}.{minor}.{patch}",
        "python_version": f"{major}.{minor}",
        "sys_platform": "linux",
        "extra": "",
    }


class _Index:
    """A package's paths grouped the ways ownership looks them up."""

    def __init__(self, package: Package):
        self.paths = frozenset(entry.path for entry in package.files)
        self.bytecode: dict[str, list[str]] = defaultdict(list)
        for path in self.paths:
            source = _source_of(path)
            if source is not None:
                self.bytecode[source].append(path)

    def top(self, root: str) -> dict[str, list[str]]:
        """Paths under an import root, grouped by their first component below it."""
        prefix = f"{root}/" if root else ""
        groups: dict[str, list[str]] = defaultdict(list)
        for path in self.paths:
            if path.startswith(prefix):
                groups[path[len(prefix) :].split("/", 1)[0]].append(path)
        return groups


class _Top:
    """The top components of one import root, indexed by the import names they stand for.

    Built once per root, so each distribution's fallback looks up its names instead of
    scanning every component (linear in the package, not in distributions x components).
    """

    def __init__(self, groups: dict[str, list[str]]):
        self.groups = groups  # first component below the root -> the paths under it
        self.by_stem: dict[str, list[str]] = defaultdict(list)  # import name -> components
        for component in groups:
            if not component.endswith(METADATA_SUFFIXES) and component != "__pycache__":
                self.by_stem[_stem(component)].append(component)
        self.by_key: dict[str, set[str]] = defaultdict(set)  # normalized name -> import names
        for stem in self.by_stem:
            self.by_key[canonicalize_name(stem)].add(stem)

    def paths_of(self, names: set[str]) -> set[str]:
        """Every path under the components standing for one of the import names."""
        components = (c for name in names for c in self.by_stem.get(name, ()))
        return {path for component in components for path in self.groups[component]}


def find_distributions(package: Package, runtime: Runtime, arch: str) -> list[Distribution]:
    """Every distribution installed directly under the package's import roots."""
    environment = marker_environment(runtime, arch)
    index = _Index(package)
    found = []
    for root in package.import_roots:
        top = _Top(index.top(root))
        for folder in sorted(top.groups):
            if folder.endswith(METADATA_SUFFIXES) and _is_folder(root, folder, top.groups[folder]):
                found.append(_distribution(package, index, top, root, folder, environment))
    return found


def owner_map(
    packages: Sequence[Package], distributions: Iterable[Distribution]
) -> dict[tuple[str, str], str]:
    """(package name, path) -> key of the one distribution owning the file.

    When two distributions list the same file, the stronger evidence wins (CLAIM_ORDER),
    then the order of `distributions`; both keep the file in Distribution.files.
    """
    counted = {(package.name, entry.path) for package in packages for entry in package.files}
    ranked = sorted(distributions, key=lambda d: CLAIM_ORDER.index(d.ownership))
    owners: dict[tuple[str, str], str] = {}
    for distribution in ranked:
        for path in distribution.files:
            if (distribution.package, path) in counted:
                owners.setdefault((distribution.package, path), distribution.key)
    return owners


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _is_folder(root: str, name: str, paths: list[str]) -> bool:
    return any(path != _join(root, name) for path in paths)


def _source_of(path: str) -> str | None:
    """`a/__pycache__/b.cpython-311.pyc` -> `a/b.py`; None for any other path."""
    folder, _, name = path.rpartition("/")
    parent, _, cache = folder.rpartition("/")
    if cache != "__pycache__" or not name.endswith(".pyc"):
        return None
    return _join(parent, name.split(".", 1)[0] + ".py")


def _distribution(
    package: Package,
    index: _Index,
    top: _Top,
    root: str,
    folder: str,
    environment: dict[str, str],
) -> Distribution:
    base = _join(root, folder)
    egg = folder.endswith(".egg-info")
    headers = _headers(package.read(f"{base}/{'PKG-INFO' if egg else 'METADATA'}"))
    folder_name, folder_version = _name_from_folder(folder)
    name = str(headers.get("Name") or "").strip() or folder_name
    key = canonicalize_name(name)
    if egg:
        lines = _egg_requirements(_text(package.read(f"{base}/requires.txt")))
    else:
        lines = [str(line) for line in headers.get_all("Requires-Dist") or ()]
    files, ownership = _owned_files(package, index, top, root, folder, key)
    return Distribution(
        name=name,
        key=key,
        version=str(headers.get("Version") or "").strip() or folder_version,
        package=package.name,
        dist_info=base,
        files=tuple(sorted(files)),
        top_level=_import_names(files, root),
        requires=_requirement_keys(lines, environment, key),
        wheel_tags=_wheel_tags(package.read(f"{base}/WHEEL")),
        ownership=ownership,
        requirements=tuple(lines),
    )


def _headers(data: bytes | None) -> Message:
    """The METADATA / PKG-INFO headers (empty when the file is missing)."""
    return BytesParser().parsebytes(data or b"", headersonly=True)


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", "surrogateescape")


def _name_from_folder(folder: str) -> tuple[str, str]:
    """`six-1.17.0.dist-info` -> ("six", "1.17.0"); the version may be ""."""
    stem = folder.removesuffix(".dist-info").removesuffix(".egg-info")
    name, _, rest = stem.partition("-")
    return name, rest.split("-", 1)[0]


def _wheel_tags(data: bytes | None) -> tuple[str, ...]:
    headers = _headers(data)
    return tuple(str(tag).strip() for tag in headers.get_all("Tag") or ())


def _egg_requirements(text: str) -> list[str]:
    """requires.txt as Requires-Dist lines: a `[extra:marker]` section's lines get its marker."""
    lines, section = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        extra, _, marker = section.partition(":")
        markers = [f"({marker})" if marker else "", f'extra == "{extra}"' if extra else ""]
        joined = " and ".join(m for m in markers if m)
        lines.append(f"{line}; {joined}" if joined else line)
    return lines


def _requirement_keys(
    lines: Iterable[str], environment: dict[str, str], own: str
) -> tuple[str, ...]:
    """Keys of the requirements that apply on the target, extras left out."""
    keys = {_applicable_key(line, environment) for line in lines}
    return tuple(sorted(k for k in keys if k is not None and k != own))


def _applicable_key(line: str, environment: dict[str, str]) -> str | None:
    """The requirement's key if its marker holds on the target (None if not, or unparsable)."""
    try:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            return canonicalize_name(requirement.name)
    except (InvalidRequirement, InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return None
    return None


def _owned_files(
    package: Package,
    index: _Index,
    top: _Top,
    root: str,
    folder: str,
    key: str,
) -> tuple[set[str], str]:
    """The files a distribution owns, and which evidence said so."""
    base = _join(root, folder)
    listed, ownership = _listed_files(package, index, root, base)
    if not listed:
        names, ownership = _fallback_names(package, top, base, key)
        listed = top.paths_of(names)
    listed |= set(top.groups[folder])
    listed |= {pyc for source in listed for pyc in index.bytecode.get(source, ())}
    return listed, ownership


def _listed_files(package: Package, index: _Index, root: str, base: str) -> tuple[set[str], str]:
    """Files named by RECORD or installed-files.txt that exist in the package."""
    if base.endswith(".egg-info"):
        lines = _text(package.read(f"{base}/installed-files.txt")).splitlines()
        found = {posixpath.normpath(_join(base, line.strip())) for line in lines if line.strip()}
        return found & index.paths, "installed-files.txt"
    rows = _record_paths(package.read(f"{base}/RECORD"))
    resolved = {resolve_row(root, row, index.paths) for row in rows}
    return {path for path in resolved if path is not None}, "RECORD"


def _record_paths(data: bytes | None) -> list[str]:
    """The path column of a RECORD file's first MAX_RECORD_ROWS rows ([] when unreadable)."""
    rows = itertools.islice(csv.reader(_text(data).splitlines()), MAX_RECORD_ROWS)
    try:
        return [row[0] for row in rows if row and row[0]]
    except csv.Error:
        return []


def resolve_row(root: str, row: str, paths: frozenset[str]) -> str | None:
    """Where a RECORD row's file is in the package, or None if it is not there."""
    if posixpath.isabs(row):
        return None
    relative = posixpath.normpath(row)
    joined = posixpath.normpath(_join(root, relative))
    if joined in paths:
        return joined
    while relative.startswith("../"):
        relative = relative[3:]
    moved = _join(root, relative)
    return moved if moved in paths else None


def _fallback_names(package: Package, top: _Top, base: str, key: str) -> tuple[set[str], str]:
    """Import names from top_level.txt, else those whose normalized name is the key."""
    lines = _text(package.read(f"{base}/top_level.txt")).splitlines()
    names = {line.strip() for line in lines if line.strip().isidentifier()}
    if names:
        return names, "top_level.txt"
    return set(top.by_key.get(key, ())), "folder name"


def _stem(component: str) -> str:
    """The import name a top component stands for: `six.py` and `numpy.libs` give six, numpy."""
    if component.endswith(LIBS_SUFFIX):
        return component.removesuffix(LIBS_SUFFIX)
    return _module_name(component, False) or component


def _module_name(component: str, is_folder: bool) -> str:
    """The import name of a top component: a folder's name, `six.py` -> six, else ""."""
    if is_folder:
        return component
    name, _, suffix = component.partition(".")
    return name if suffix.rpartition(".")[2] in MODULE_EXTENSIONS else ""


def _import_names(files: set[str], root: str) -> tuple[str, ...]:
    """Top-level import names the files provide."""
    prefix = f"{root}/" if root else ""
    relative = {path[len(prefix) :] for path in files if path.startswith(prefix)}
    return tuple(sorted({name for path in relative if (name := _import_name(path, relative))}))


def _import_name(path: str, relative: set[str]) -> str:
    """The import name a file provides (`six.py` -> six); in a namespace package, its portion."""
    parts = path.split("/")
    if parts[0] in (SCRIPTS_FOLDER, "__pycache__"):
        return ""
    name = _module_name(parts[0], len(parts) > 1)
    if len(parts) > 1 and f"{parts[0]}/__init__.py" not in relative:
        portion = "" if parts[1] == "__pycache__" else _module_name(parts[1], len(parts) > 2)
        name = f"{name}.{portion}"
    return name if all(part.isidentifier() for part in name.split(".")) else ""
