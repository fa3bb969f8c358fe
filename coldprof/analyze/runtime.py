"""The target Lambda runtime: its Python version and the glibc it ships."""

from __future__ import annotations

import re
import sys

from coldprof.analyze.model import Runtime
from coldprof.data import lambda_facts
from coldprof.errors import UsageError

ARCHES = ("x86_64", "arm64")


def runtime_named(name: str) -> Runtime:
    """The Runtime for 'python3.X' (UsageError naming the known ones otherwise)."""
    runtimes = lambda_facts()["runtimes"]
    match = re.fullmatch(r"python(\d+)\.(\d+)", name)
    if match is None or name not in runtimes:
        known = ", ".join(runtimes)
        raise UsageError(f"unknown runtime {name!r}; Lambda's Python runtimes are {known}")
    glibc = tuple(int(part) for part in runtimes[name]["glibc"].split("."))
    return Runtime(name, (int(match[1]), int(match[2])), glibc)


def local_runtime() -> Runtime:
    """The runtime matching the Python running coldprof (the default target)."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if name not in lambda_facts()["runtimes"]:
        raise UsageError(f"this Python is {name}, which Lambda does not offer: pass --runtime")
    return runtime_named(name)


def runtime_sdk_keys() -> frozenset[str]:
    """The distributions every Python runtime ships: the SDK and what it requires."""
    facts = lambda_facts()["runtime_sdk"]
    return frozenset(facts["sdk"]) | frozenset(facts["dependencies"])
