"""layer-path-not-on-sys-path: layer code where the target runtime never looks.

Lambda extracts a layer into /opt and puts /opt/python/lib/python3.X/site-packages (for the
function's own Python) and /opt/python on sys.path. Python code anywhere else in a layer is
never imported: at the layer root, or under another Python's site-packages (a layer built
for python3.12 attached to a python3.11 function). /opt/bin (PATH), /opt/lib (native
libraries) and /opt/extensions (Lambda extensions) are other runtimes' business: not flagged.

A layer none of whose code is on sys.path is an error (code `never-imported`): nothing in it
can be imported. A layer that also holds code where the runtime looks (a layer built for
python3.11 and python3.12 side by side) works; its other copies are info (`partly-imported`).
"""

from __future__ import annotations

import re
from collections import defaultdict

from coldprof.analyze.model import Context
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import import_path
from coldprof.package.model import Package

OTHER_USES = frozenset({"bin", "lib", "extensions"})
SITE_PACKAGES = re.compile(r"python/lib/python(\d+)\.(\d+)/site-packages")
CODE_SUFFIXES = (".py", ".pyc")


def _is_code(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    in_metadata = any(p.endswith((".dist-info", ".egg-info")) for p in path.split("/")[:-1])
    return name.endswith(CODE_SUFFIXES) or in_metadata or ".cpython-" in name


def _place(path: str) -> str:
    """The folder a stray file's code sits under: another site-packages, or a root entry."""
    match = SITE_PACKAGES.match(path)
    if match is not None:
        return match[0]
    return path.split("/", 1)[0]


def _on_sys_path(package: Package, path: str, python: tuple[int, int]) -> bool:
    """Whether a layer file is under an import root (and not another Python's site-packages)."""
    match = SITE_PACKAGES.match(path)
    if match is not None and (int(match[1]), int(match[2])) != python:
        return False
    return import_path(package, path) is not None


def stray_code(package: Package, python: tuple[int, int]) -> dict[str, list[str]]:
    """Places in a layer outside its import roots holding Python code -> their files."""
    places: dict[str, list[str]] = defaultdict(list)
    for entry in package.files:
        if _on_sys_path(package, entry.path, python) or not _is_code(entry.path):
            continue
        if entry.path.split("/", 1)[0] in OTHER_USES or entry.path.startswith("__MACOSX/"):
            continue
        places[_place(entry.path)].append(entry.path)
    return places


def _place_values(place: str) -> dict[str, str | None]:
    """A stray place as data: its path, and the Python its site-packages is for (or None)."""
    match = SITE_PACKAGES.fullmatch(place)
    return {"place": place, "python": f"{match[1]}.{match[2]}" if match else None}


def _has_modules_on_path(package: Package, python: tuple[int, int]) -> bool:
    """Whether some module of the layer (not only metadata) is where the runtime imports."""
    return any(
        e.path.endswith((*CODE_SUFFIXES, ".so")) and _on_sys_path(package, e.path, python)
        for e in package.files
    )


def layer_paths(context: Context) -> list[Finding]:
    """Per layer, the places holding code the runtime never imports."""
    findings = []
    for package in context.packages[1:]:
        places = stray_code(package, context.runtime.version)
        if not places:
            continue
        imported = _has_modules_on_path(package, context.runtime.version)
        values = {
            "runtime": context.runtime.name,
            "files": sum(len(paths) for paths in places.values()),
            "places": [_place_values(place) for place in sorted(places)],
        }
        findings.append(
            Finding(
                rule="layer-path-not-on-sys-path",
                severity="info" if imported else "error",
                distribution=None,
                paths=tuple(sorted(places)),
                bytes=0,
                code="partly-imported" if imported else "never-imported",
                values=values,
                package=package.name,
            )
        )
    return findings
