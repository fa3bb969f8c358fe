"""Dropping a package's files from the page cache, so a cold start reads its code from disk as
Lambda's does (`posix_fadvise(POSIX_FADV_DONTNEED)`: no privileges needed).

Only clean pages can be dropped, so each file's dirty pages (a zip just extracted) are written
out first (`fdatasync`, which changes nothing in the file). Pages another process has mapped
stay. The interpreter and its standard library are not dropped: on Lambda they are part of
the runtime, not the function's code.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

MAX_FILES = 200_000  # a package with more files is dropped up to here


def _files(folders: Iterable[Path]) -> Iterable[str]:
    """The regular files under the folders (links not followed), at most MAX_FILES."""
    count = 0
    for folder in folders:
        for root, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(root, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    yield path
                    count += 1
                    if count >= MAX_FILES:
                        return


def _drop(path: str) -> int:
    """Drop one file's pages; its size in bytes (0 when it cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return 0
    try:
        with contextlib.suppress(OSError):
            os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return os.fstat(fd).st_size
    except OSError:
        return 0
    finally:
        os.close(fd)


def drop_from_page_cache(folders: Iterable[Path]) -> int:
    """Drop every file under the folders from the page cache; the bytes of the files dropped."""
    if not hasattr(os, "posix_fadvise"):
        return 0
    return sum(_drop(path) for path in _files(folders))
