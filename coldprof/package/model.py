"""The package model: what files a deployment package holds, read safely, never modified."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

# The most any rule reads of one file into memory at once.
READ_LIMIT_BYTES = 8 * 1024 * 1024
# The most unzipped bytes coldprof reads: 16x Lambda's unzipped limit. A zip declaring more is
# refused; a folder's file above it is never read (package/zipped.py, package/folder.py).
MAX_UNZIPPED_BYTES = 4 * 1024**3


@dataclass(frozen=True, kw_only=True)
class FileEntry:
    """One regular file of a package."""

    path: str  # POSIX path relative to the package root
    unzipped_bytes: int
    zipped_bytes: (
        int  # compressed data plus its zip headers: exact for a zip, deflate-6 for a folder
    )
    crc32: int
    mode: int | None = None  # permission bits (0o644): the folder's, or a zip entry's Unix ones
    # The mtime the file has on Lambda, whole seconds: a folder's own; for a zip entry what
    # extracting gives it (see MTIME_FROM), None when the zip says nothing usable.
    mtime_s: int | None = None
    mtime_from: str | None = None  # one of MTIME_FROM


# Why an entry is skipped (its values in brackets): a folder's entries (and a zip's symbolic-link
# entries, whose target is the entry's content)...
SKIPPED_CODES = (
    "link-inside",  # [target] a symbolic link to something inside the package: not followed
    "link-outside",  # [target] a symbolic link leaving the package: not followed
    "link-broken",  # [target] a symbolic link to nothing
    "link-unreadable",  # [error]
    "fifo",
    "socket",
    "device",
    "not-regular",
    "folder-unreadable",  # [error]
    "cannot-stat",  # [error]
    "unreadable",  # [error]
    "changed",  # became a non-regular file during the walk
    "over-bound",  # [bytes, bound_bytes] counted at its full size, never read
    # ...and a zip's entries
    "absolute-path",
    "dot-dot",
    "duplicate-name",
    "encrypted",
    "method",  # [method, method_name] compressed other than stored or deflate
)

# Where a file's mtime on Lambda comes from.
MTIME_FROM = (
    "file system",  # a folder's file: its own mtime
    "extended timestamp",  # a zip entry's 0x5455 extra field (Info-ZIP writes it): UTC seconds
    "dos date",  # a zip entry's MS-DOS date and time, read as UTC, 2-second steps
)


@dataclass(frozen=True)
class FolderEntry:
    """One folder of a package (every parent of a file, and empty folders where known)."""

    path: str  # POSIX path relative to the package root
    mode: int | None = None  # permission bits; None when the package does not say


@dataclass(frozen=True, kw_only=True)
class Skipped:
    """An entry that was not counted, and why (a link, a FIFO, a hostile zip entry, ...)."""

    path: str
    code: str  # why: one of SKIPPED_CODES (docs/json-schema-analyze.md words them)
    values: dict[str, Any] = field(default_factory=dict)  # "target", "error", "method", ...
    # True when the entry's bytes cannot be read (encrypted, compressed other than stored or
    # deflate): a function run without them is not the package, so extraction refuses it.
    blocks_extraction: bool = False


@dataclass(frozen=True, eq=False)
class Package:
    """A function package or a layer, as a list of files plus a way to read them (compared and
    hashed by identity: rules cache what they work out per package)."""

    name: str  # "function", or "layer 1", "layer 2", ...
    location: str  # the path the user gave
    kind: str  # "folder" | "zip"
    files: tuple[FileEntry, ...]
    skipped: tuple[Skipped, ...]
    archive_bytes: int  # the zip's size, or what a deflate-6 zip of the folder would weigh
    zipped_exact: bool  # True for a zip (read from its central directory), False for a folder
    import_roots: tuple[str, ...]  # folders on sys.path: ("",) for a function, "python" for a layer
    opener: Callable[[str], AbstractContextManager[BinaryIO]] = field(repr=False, compare=False)
    folders: tuple[FolderEntry, ...] = ()  # sorted by path

    @property
    def unzipped_bytes(self) -> int:
        """Sum of the unzipped sizes of the counted files."""
        return sum(f.unzipped_bytes for f in self.files)

    def open(self, path: str) -> AbstractContextManager[BinaryIO]:
        """A binary stream of one file (raises OSError if it cannot be read)."""
        return self.opener(path)

    def read(self, path: str, limit: int = READ_LIMIT_BYTES) -> bytes | None:
        """Up to `limit` bytes of one file, or None when it cannot be read."""
        try:
            with self.open(path) as stream:
                return stream.read(limit)
        except (OSError, ValueError, EOFError, RuntimeError):
            return None
        except Exception as error:  # zlib.error, BadZipFile, ... from a corrupt member
            if type(error).__module__ in ("zlib", "zipfile"):
                return None
            raise
