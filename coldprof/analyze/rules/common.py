"""Small helpers the finding rules share: owners, import paths, folder coverage."""

from __future__ import annotations

import shutil
import tempfile
import weakref
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

from coldprof.analyze.elf import ElfFile, binary_format, read_elf
from coldprof.analyze.model import Context
from coldprof.data import lambda_facts
from coldprof.package.model import READ_LIMIT_BYTES, FileEntry, Package

METADATA_SUFFIXES = (".dist-info", ".egg-info")
COPY_CHUNK_BYTES = 1024 * 1024
# What reading a damaged file can raise: from the file system, or from a corrupt zip member.
READ_ERRORS = (OSError, ValueError, EOFError, zlib.error, zipfile.BadZipFile)


def parents(path: str) -> Iterator[str]:
    """The folders holding a path, outermost first: "a", "a/b" for "a/b/c.py"."""
    parts = path.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        yield "/".join(parts[:depth])


_COUNTS: weakref.WeakKeyDictionary[Package, Counter[str]] = weakref.WeakKeyDictionary()


def folder_file_counts(package: Package) -> Counter[str]:
    """How many files each folder of a package holds, at any depth (counted once per package)."""
    counts = _COUNTS.get(package)
    if counts is None:
        counts = Counter()
        for entry in package.files:
            counts.update(parents(entry.path))
        _COUNTS[package] = counts
    return counts


def covering_paths(selected: Iterable[str], folder_files: Counter[str]) -> tuple[str, ...]:
    """The selected files as the fewest paths: a folder whose files are all selected, else files."""
    chosen = sorted(set(selected))
    picked: Counter[str] = Counter()
    for path in chosen:
        picked.update(parents(path))
    covering = {
        next((f for f in parents(path) if picked[f] == folder_files[f]), path) for path in chosen
    }
    return tuple(sorted(covering))


def import_path(package: Package, path: str) -> str | None:
    """The path relative to the deepest import root holding it, or None outside them all."""
    best: str | None = None
    for root in package.import_roots:
        prefix = f"{root}/" if root else ""
        if path.startswith(prefix) and (best is None or len(root) >= len(best)):
            best = root
    if best is None:
        return None
    return path[len(best) + 1 :] if best else path


def is_metadata(path: str) -> bool:
    """Whether a path lies in a *.dist-info or *.egg-info folder."""
    return any(f"{suffix}/" in path for suffix in METADATA_SUFFIXES)


@contextmanager
def open_binary(package: Package, entry: FileEntry) -> Iterator[BinaryIO]:
    """A seekable stream of a file; a zip member is read once into a bounded copy.

    A zip member can only be read forward, so it is copied once: into memory up to
    READ_LIMIT_BYTES, into a temporary file beyond. A member larger than Lambda's whole
    unzipped limit is not copied (raises OSError, as an unreadable file does).
    """
    if package.kind != "zip":
        with package.open(entry.path) as stream:
            yield stream
        return
    if entry.unzipped_bytes > lambda_facts()["limits"]["unzipped_with_layers_bytes"]:
        raise OSError(f"{entry.path}: larger than Lambda's unzipped limit; not read")
    with tempfile.SpooledTemporaryFile(max_size=READ_LIMIT_BYTES, prefix="coldprof-") as copy:
        with package.open(entry.path) as stream:
            shutil.copyfileobj(stream, copy, COPY_CHUNK_BYTES)
        copy.seek(0)
        yield copy  # type: ignore[misc]


def native_file(
    context: Context, package: Package, entry: FileEntry
) -> tuple[str | None, ElfFile | None]:
    """A file's binary format (elf, mach-o, pe or None) and, for a readable ELF, its structure.

    Each file is read once per analysis, whichever rules ask.
    """
    key = (package.name, entry.path)
    if key not in context.native:
        context.native[key] = _read_native(package, entry)
    return context.native[key]


def _read_native(package: Package, entry: FileEntry) -> tuple[str | None, ElfFile | None]:
    kind = None
    try:
        with open_binary(package, entry) as stream:
            kind = binary_format(stream.read(64))
            if kind != "elf":
                return kind, None
            stream.seek(0)
            return kind, read_elf(stream, entry.unzipped_bytes)
    except READ_ERRORS:
        return kind, None
