"""What Lambda's Python runtime has imported before the handler, per Python version.

Measured with AWS's runtime interface client (tools/measure_runtime_start.py) and kept, dated,
in coldprof/data/runtime_start/python3.X.json. The light runtime imports the standard-library
part of it before the handler, as Lambda's runtime does; a version without its own file uses
the nearest older one measured (python3.14 uses python3.13's).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

FOLDER = "runtime_start"


@functools.cache
def measured_versions() -> tuple[tuple[int, int], ...]:
    """The Python versions with a data file, oldest first."""
    files = resources.files("coldprof.data").joinpath(FOLDER).iterdir()
    names = [entry.name.removeprefix("python").removesuffix(".json") for entry in files]
    found = [tuple(int(part) for part in name.split(".")) for name in names if "." in name]
    return tuple(sorted(found))


def runtime_start_data(version: tuple[int, int]) -> dict[str, Any]:
    """The data file for a Python version (the nearest older measured one when it has none)."""
    versions = measured_versions()
    older = [measured for measured in versions if measured <= tuple(version)]
    chosen = older[-1] if older else versions[0]
    name = f"python{chosen[0]}.{chosen[1]}.json"
    text = resources.files("coldprof.data").joinpath(FOLDER, name).read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def runtime_modules(version: tuple[int, int]) -> tuple[str, ...]:
    """The standard-library modules to import, in order, before the handler."""
    return tuple(runtime_start_data(version)["stdlib_imports"])
