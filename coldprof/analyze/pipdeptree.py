"""The dependency graph of a folder as pipdeptree 4.x (a Rust engine) reports it.

pipdeptree evaluates markers for the interpreter it runs with, so its graph matches
coldprof's metadata graph only for the local runtime. Extras are left out (`-x none`),
as coldprof leaves them out; requirements on distributions that are not installed stay
in the graph, as they stay in `Distribution.requires`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.utils import canonicalize_name

from coldprof.errors import ColdprofError, UsageError

TIMEOUT_SECONDS = 120


def pipdeptree_command() -> str:
    """The pipdeptree console script next to the running Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "pipdeptree"
    if beside.is_file():
        return str(beside)
    found = shutil.which("pipdeptree")
    if found is None:
        raise ColdprofError("pipdeptree is not installed: run pip install 'pipdeptree>=4.2'")
    return found


def graph_from_pipdeptree(folder: Path) -> dict[str, tuple[str, ...]]:
    """Each distribution key in a folder -> the keys it requires, from pipdeptree's JSON."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder; pipdeptree reads installed folders only")
    return parse_pipdeptree_json(_run_pipdeptree(folder))


def parse_pipdeptree_json(text: str) -> dict[str, tuple[str, ...]]:
    """The graph in the output of `pipdeptree -o json`."""
    try:
        return {
            canonicalize_name(entry["package"]["key"]): tuple(
                sorted(canonicalize_name(dependency["key"]) for dependency in entry["dependencies"])
            )
            for entry in json.loads(text)
        }
    except (ValueError, KeyError, TypeError) as error:
        raise ColdprofError(f"pipdeptree printed JSON coldprof cannot read: {error!r}") from None


def _run_pipdeptree(folder: Path) -> str:
    """pipdeptree's JSON for a folder (ColdprofError when it is missing, fails or hangs)."""
    command = [pipdeptree_command(), "--path", str(folder), "--output", "json"]
    command += ["--extras", "none", "--warn", "silence"]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise ColdprofError(f"pipdeptree took over {TIMEOUT_SECONDS} s on {folder}") from None
    except OSError as error:
        raise ColdprofError(f"cannot run pipdeptree: {error.strerror}") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        raise ColdprofError(f"pipdeptree failed on {folder}: {lines[-1]}")
    return done.stdout
