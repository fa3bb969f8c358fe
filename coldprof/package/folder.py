"""Reading a package folder safely: no link followed, no special file opened, sizes by streaming.

The walk holds directory file descriptors, so trees deeper than PATH_MAX still read; every
regular file is opened relative to its folder with O_NOFOLLOW | O_NONBLOCK and checked with
fstat, so a FIFO never blocks and a link swapped in during the walk is never followed.
Files are deflated at level 6 (zipfile's default, like `zip -6`) on a small thread pool:
zlib releases the GIL, so both cores compress while the walk goes on. With a SizeCache, a
file whose content was measured before is only hashed (package/cache.py). A file above the
zip bound (MAX_UNZIPPED_BYTES, by its apparent size: a sparse file counts in full) is never
read: it is counted at its full size, unzipped and zipped alike, so it is over every Lambda
limit, and listed as skipped with that reason.
"""

from __future__ import annotations

import functools
import os
import stat
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from coldprof.package.cache import SizeCache, content_hasher
from coldprof.package.model import (
    MAX_UNZIPPED_BYTES,
    FileEntry,
    FolderEntry,
    Package,
    Skipped,
)
from coldprof.results import display_path

CHUNK_BYTES = 1024 * 1024
# zipfile's per-entry overhead: local header (30 bytes + name) and central directory entry
# (46 bytes + name); the end-of-central-directory record adds 22 bytes once.
LOCAL_HEADER_BYTES = 30
CENTRAL_HEADER_BYTES = 46
END_RECORD_BYTES = 22
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
MAX_IN_FLIGHT = 32  # open files queued for the compressors at once
BATCH_FILES = 16  # small files go to a compressor together (fewer jobs); < MAX_IN_FLIGHT
BATCH_BYTES = 1024 * 1024  # a batch is sent once it holds this much
KEEP_BYTES = 1024 * 1024  # a file up to this size is hashed and deflated from one read
PERMISSIONS = 0o7777

Observer = Callable[[int], None]  # called with the number of files read so far


def zip_entry_overhead_bytes(path: str) -> int:
    """The header bytes a zip spends on one entry named `path` (zipfile's layout)."""
    name_bytes = len(path.encode("utf-8", "surrogateescape"))
    return LOCAL_HEADER_BYTES + CENTRAL_HEADER_BYTES + 2 * name_bytes


def deflated_size(fd: int) -> tuple[int, int, int]:
    """(bytes read, deflate-6 bytes, crc32) of an open file, read in chunks; closes fd."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    size = compressed = crc = 0
    try:
        while chunk := os.read(fd, CHUNK_BYTES):
            size += len(chunk)
            crc = zlib.crc32(chunk, crc)
            compressed += len(compressor.compress(chunk))
        compressed += len(compressor.flush())
    finally:
        os.close(fd)
    return size, compressed, crc


def _deflate_chunks(chunks: list[bytes]) -> tuple[int, int]:
    """(deflate-6 bytes, crc32) of a file's bytes held in memory."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    compressed = crc = 0
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        compressed += len(compressor.compress(chunk))
    return compressed + len(compressor.flush()), crc


def cached_deflated_size(fd: int, cache: SizeCache) -> tuple[int, int, int]:
    """deflated_size through the cache: hash the content, deflate only what it does not know.

    A small file is read once; a larger one is read again to deflate it on a miss. Closes fd.
    """
    hasher = content_hasher()
    kept: list[bytes] = []
    size = 0
    try:
        while chunk := os.read(fd, CHUNK_BYTES):
            size += len(chunk)
            hasher.update(chunk)
            if size <= KEEP_BYTES:
                kept.append(chunk)
        key = hasher.digest()
        known = cache.get(key, size)
        if known is not None:
            return size, *known
        if size <= KEEP_BYTES:
            deflated, crc = _deflate_chunks(kept)
        else:
            os.lseek(fd, 0, os.SEEK_SET)
            size, deflated, crc = deflated_size(os.dup(fd))
    finally:
        os.close(fd)
    cache.put(key, size, deflated, crc)
    return size, deflated, crc


Measured = tuple[int, int, int] | OSError  # (bytes, deflated bytes, crc32), or why not


def measure_batch(fds: list[int], cache: SizeCache | None) -> list[Measured]:
    """Each open file's sizes (or its read error), in order; closes every fd."""
    outcomes: list[Measured] = []
    for fd in fds:
        try:
            outcomes.append(deflated_size(fd) if cache is None else cached_deflated_size(fd, cache))
        except OSError as error:
            outcomes.append(error)
    return outcomes


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _classify(mode: int) -> str | None:
    """The skipped code of a non-regular, non-directory entry (None for files and folders)."""
    if stat.S_ISLNK(mode) or stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "not-regular"


def _link(dir_fd: int, name: str, path: str, root_real: str, here_real: str) -> Skipped:
    """A symbolic link, skipped: where it points, inside or outside the target, or nowhere."""
    try:
        target = os.readlink(name, dir_fd=dir_fd)
    except OSError as error:
        return Skipped(path=path, code="link-unreadable", values={"error": error.strerror})
    resolved = os.path.realpath(os.path.join(here_real, target))
    values = {"target": display_path(target)}
    if not os.path.exists(resolved):
        return Skipped(path=path, code="link-broken", values=values)
    if resolved != root_real and not resolved.startswith(root_real + os.sep):
        return Skipped(path=path, code="link-outside", values=values)
    return Skipped(path=path, code="link-inside", values=values)


def _error(path: str, code: str, error: OSError) -> Skipped:
    return Skipped(path=path, code=code, values={"error": error.strerror or str(error)})


class _Walk:
    """One walk of a folder: files found, entries skipped, compress jobs in flight."""

    def __init__(
        self,
        root: Path,
        pool: ThreadPoolExecutor,
        observer: Observer | None,
        cache: SizeCache | None = None,
    ):
        self.root_real = os.path.realpath(root)
        self.pool = pool
        self.observer = observer
        self.cache = cache
        self.jobs: list[tuple[list[tuple[str, os.stat_result]], Future[list[Measured]]]] = []
        self.batch: list[tuple[str, os.stat_result, int]] = []  # opened, not yet sent
        self.batch_bytes = 0
        self.files = 0
        self.oversized: list[FileEntry] = []
        self.skipped: list[Skipped] = []
        self.folders: list[FolderEntry] = []
        self.slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)

    def run(self) -> None:
        """Walk depth first, holding one descriptor per level (never one per pending folder)."""
        stack: list[tuple[int, str, Iterator[str]]] = []
        try:
            self._enter(stack, os.open(self.root_real, os.O_RDONLY | os.O_DIRECTORY), "")
            while stack:
                dir_fd, prefix, pending = stack[-1]
                name = next(pending, None)
                if name is None:
                    os.close(dir_fd)
                    stack.pop()
                    continue
                path = _join(prefix, name)
                child_fd = self._open_folder(dir_fd, name, path)
                if child_fd is not None:
                    self._enter(stack, child_fd, path)
            self._send()
        finally:
            for dir_fd, _, _ in stack:
                os.close(dir_fd)
            for _, _, fd in self.batch:  # left unsent by an error
                os.close(fd)

    def _enter(self, stack: list, dir_fd: int, prefix: str) -> None:
        """Put an open folder on the stack (which closes it from then on) and scan it."""
        folders: list[str] = []
        stack.append((dir_fd, prefix, iter(folders)))  # the iterator sees the names added next
        folders.extend(self._scan(dir_fd, prefix))

    def _scan(self, dir_fd: int, prefix: str) -> list[str]:
        """Measure the files of one folder; return the names of its subfolders."""
        try:
            entries = sorted(os.scandir(dir_fd), key=lambda e: e.name)
        except OSError as error:
            self.skipped.append(_error(prefix or ".", "folder-unreadable", error))
            return []
        here_real = os.path.join(self.root_real, prefix)
        folders = []
        for entry in entries:
            path = _join(prefix, entry.name)
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as error:
                self.skipped.append(_error(path, "cannot-stat", error))
                continue
            if stat.S_ISLNK(mode):
                self.skipped.append(_link(dir_fd, entry.name, path, self.root_real, here_real))
            elif stat.S_ISDIR(mode):
                folders.append(entry.name)
                self.folders.append(FolderEntry(path, mode & PERMISSIONS))
            elif code := _classify(mode):
                self.skipped.append(Skipped(path=path, code=code))
            else:
                self._submit(dir_fd, entry.name, path)
        return folders

    def _open_folder(self, dir_fd: int, name: str, path: str) -> int | None:
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
        try:
            return os.open(name, flags, dir_fd=dir_fd)
        except OSError as error:
            self.skipped.append(_error(path, "folder-unreadable", error))
            return None

    def _submit(self, dir_fd: int, name: str, path: str) -> None:
        try:
            fd = os.open(name, OPEN_FLAGS, dir_fd=dir_fd)
        except OSError as error:
            self.skipped.append(_error(path, "unreadable", error))
            return
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            self.skipped.append(Skipped(path=path, code="changed"))
            return
        if info.st_size > MAX_UNZIPPED_BYTES:
            os.close(fd)
            self._oversized(path, info)
            return
        self.slots.acquire()
        self.batch.append((path, info, fd))
        self.batch_bytes += info.st_size
        self.files += 1
        if len(self.batch) >= BATCH_FILES or self.batch_bytes >= BATCH_BYTES:
            self._send()
        if self.observer:
            self.observer(self.files)

    def _send(self) -> None:
        """Hand the opened files to a compressor as one job; their slots free when it ends."""
        if not self.batch:
            return
        batch, self.batch, self.batch_bytes = self.batch, [], 0
        future = self.pool.submit(measure_batch, [fd for _, _, fd in batch], self.cache)
        future.add_done_callback(functools.partial(self._release, len(batch)))
        self.jobs.append(([(path, info) for path, info, _ in batch], future))

    def _release(self, count: int, _: Future) -> None:
        for _ in range(count):
            self.slots.release()

    def _oversized(self, path: str, info: os.stat_result) -> None:
        """Count a file above the zip bound at its full size, without reading it."""
        size = info.st_size
        self.oversized.append(_file_entry(path, info, size, size, 0))
        values = {"bytes": size, "bound_bytes": MAX_UNZIPPED_BYTES}
        self.skipped.append(Skipped(path=path, code="over-bound", values=values))

    def results(self) -> tuple[list[FileEntry], list[Skipped]]:
        files = list(self.oversized)
        for opened, future in self.jobs:
            for (path, info), outcome in zip(opened, future.result(), strict=True):
                if isinstance(outcome, OSError):
                    self.skipped.append(_error(path, "unreadable", outcome))
                else:
                    files.append(_file_entry(path, info, *outcome))
        files.sort(key=lambda f: f.path)
        return files, self.skipped


def _file_entry(path: str, info: os.stat_result, size: int, deflated: int, crc: int) -> FileEntry:
    """A measured file with its zip overhead, permissions and mtime."""
    zipped = deflated + zip_entry_overhead_bytes(path)
    mode = info.st_mode & PERMISSIONS
    return FileEntry(
        path=path,
        unzipped_bytes=size,
        zipped_bytes=zipped,
        crc32=crc,
        mode=mode,
        mtime_s=int(info.st_mtime),
        mtime_from="file system",
    )


@contextmanager
def _open_file(root: str, path: str) -> Iterator[BinaryIO]:
    fd = os.open(os.path.join(root, path), OPEN_FLAGS)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    os.set_blocking(fd, True)
    with os.fdopen(fd, "rb") as stream:
        yield stream


def read_folder(
    root: Path,
    name: str,
    import_roots: tuple[str, ...],
    observer: Observer | None = None,
    threads: int | None = None,
    cache: SizeCache | None = None,
) -> Package:
    """Walk a folder and measure every regular file in it (unzipped and deflate-6 bytes)."""
    workers = threads or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deflate") as pool:
        walk = _Walk(root, pool, observer, cache)
        walk.run()
        files, skipped = walk.results()
    archive_bytes = sum(f.zipped_bytes for f in files) + END_RECORD_BYTES
    root_real = walk.root_real
    return Package(
        name=name,
        location=str(root),
        kind="folder",
        files=tuple(files),
        skipped=tuple(skipped),
        archive_bytes=archive_bytes,
        zipped_exact=False,
        import_roots=import_roots,
        opener=lambda path: _open_file(root_real, path),
        folders=tuple(sorted(walk.folders, key=lambda f: f.path)),
    )
