"""Small test helpers shared across test modules."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

from coldprof.function import FunctionConfig, environment_spec
from coldprof.sandbox import EnvironmentSpec


def tree_snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under root with its type, size, mtime and content hash (links not followed)."""
    snapshot: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            digest = ""
            if path.is_file() and not path.is_symlink():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            snapshot[str(path.relative_to(root))] = (
                info.st_mode,
                info.st_size,
                info.st_mtime_ns,
                digest,
            )
    return snapshot


def zip_folder(folder: Path, archive: Path, prefix: str = "") -> Path:
    """Zip a folder's files the way a Python build script does (zipfile, deflate level 6)."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                out.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def sandbox_spec(target: Path, handler: str = "app.handler", **options) -> EnvironmentSpec:
    """The sandbox's spec for a folder, built from the function's record as every command does;
    `importtime` and `pycache_prefix` go to the spec, the rest to the record."""
    measuring = {
        key: options.pop(key) for key in ("importtime", "pycache_prefix") if key in options
    }
    function = FunctionConfig(target=target, handler=handler, **options)
    return environment_spec(function, **measuring)
