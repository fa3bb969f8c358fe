"""The real pipdeptree 4.x (a Rust engine): the oracle coldprof's dependency graph is tested
against. A test dependency only: coldprof reads the graph from the packages' metadata itself,
with markers evaluated for the target runtime (pipdeptree evaluates them for the interpreter it
runs with). Extras are left out (`-x none`), as coldprof leaves them out."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

TIMEOUT_S = 120


def pipdeptree_command() -> str:
    """The pipdeptree console script next to the running Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "pipdeptree"
    found = str(beside) if beside.is_file() else shutil.which("pipdeptree")
    assert found, "pipdeptree is not installed: pip install -e '.[test]'"
    return found


def pipdeptree_json(folder: Path, *options: str) -> list[dict[str, Any]]:
    """`pipdeptree --path FOLDER -o json -x none [options]`, parsed."""
    command = [pipdeptree_command(), "--path", str(folder), "-o", "json", "-x", "none"]
    command += ["--warn", "silence", *options]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=TIMEOUT_S)
    return json.loads(done.stdout)


def graph_from_pipdeptree(folder: Path) -> dict[str, tuple[str, ...]]:
    """Each distribution key in a folder -> the keys it requires, as pipdeptree sees them."""
    return {
        canonicalize_name(entry["package"]["key"]): tuple(
            sorted(canonicalize_name(dependency["key"]) for dependency in entry["dependencies"])
        )
        for entry in pipdeptree_json(folder)
    }
