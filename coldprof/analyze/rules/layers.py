"""layer-path-not-on-sys-path: layer code where the target runtime never looks.

Lambda extracts a layer into /opt and puts /opt/python/lib/python3.X/site-packages (for the
function's own Python) and /opt/python on sys.path. Python code anywhere else in a layer is
never imported: at the layer root, or under another Python's site-packages (a layer built
for python3.12 attached to a python3.11 function). /opt/bin (PATH), /opt/lib (native
libraries) and /opt/extensions (Lambda extensions) are other runtimes' business: not flagged.
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
ADVICE = (
    "rebuild the layer with pip install --target python/ (any Python) or into "
    "python/lib/python3.X/site-packages for the function's runtime, and zip from the folder "
    "that holds python/"
)
RISK = "none: Lambda never imports the code where it is"


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


def _why(place: str, runtime: str) -> str:
    match = SITE_PACKAGES.fullmatch(place)
    if match is not None:
        return f"{place}/ is for python{match[1]}.{match[2]}, not {runtime}"
    return f"{place} is at the layer root, not under python/"


def layer_paths(context: Context) -> list[Finding]:
    """Per layer, the places holding code the runtime never imports."""
    findings = []
    for package in context.packages[1:]:
        places = stray_code(package, context.runtime.version)
        if not places:
            continue
        files = sum(len(paths) for paths in places.values())
        reasons = "; ".join(_why(place, context.runtime.name) for place in sorted(places))
        message = (
            f"{files:,} Python file(s) in {package.name} sit where {context.runtime.name} "
            f"never looks ({reasons}): only /opt/python and "
            f"/opt/python/lib/python{context.runtime.version[0]}.{context.runtime.version[1]}"
            "/site-packages are on sys.path"
        )
        findings.append(
            Finding(
                rule="layer-path-not-on-sys-path",
                severity="error",
                distribution=None,
                paths=tuple(sorted(places)),
                bytes=0,
                message=message,
                risk=RISK,
                advice=ADVICE,
                package=package.name,
            )
        )
    return findings
