"""Reading deployment packages (folders and zips) and layers, safely and without changing them."""

from __future__ import annotations

import stat
from pathlib import Path

from coldprof.errors import TargetError, UsageError
from coldprof.package.cache import SizeCache
from coldprof.package.folder import Observer, read_folder
from coldprof.package.model import FileEntry, Package, Skipped
from coldprof.package.zipped import read_zip

FUNCTION = "function"

__all__ = ["FileEntry", "Package", "Skipped", "layer_import_roots", "open_package"]


def layer_import_roots(python_version: tuple[int, int]) -> tuple[str, ...]:
    """The folders of a layer that Lambda puts on sys.path for a Python version."""
    major, minor = python_version
    return ("python", f"python/lib/python{major}.{minor}/site-packages")


def open_package(
    path: Path,
    name: str = FUNCTION,
    import_roots: tuple[str, ...] = ("",),
    observer: Observer | None = None,
    cache: SizeCache | None = None,
) -> Package:
    """Read a folder or a .zip as a Package (raises UsageError / TargetError on bad input).

    A folder's files are measured through `cache` when one is given."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file or folder") from None
    except OSError as error:
        raise TargetError(f"{path}: cannot read: {error.strerror}") from None
    if stat.S_ISDIR(mode):
        try:
            return read_folder(path, name, import_roots, observer, cache=cache)
        except PermissionError as error:
            raise TargetError(f"{path}: cannot read: {error.strerror}") from None
    if not stat.S_ISREG(mode):
        raise TargetError(f"{path} is neither a folder nor a zip file")
    return read_zip(path, name, import_roots)
