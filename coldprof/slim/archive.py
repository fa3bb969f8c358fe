"""The slimmed package on disk: files copied out of the target, and a reproducible zip of them.

Reproducible: entries sorted, every date 1980-01-01 00:00, files 0644 (0755 where the target's
copy was executable), folders 0755, deflate at zlib's default level; the same files give the
same bytes. The modes are set from the target, never taken from the disk: a `.pyc` compiled
under a umask of 077 would be 0600, which Lambda's user cannot read (Python then ignores it).
Files are only ever created new (never through a link, never over a file).
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from collections.abc import Callable, Iterator, Sequence, Set
from pathlib import Path

from coldprof.errors import TargetError
from coldprof.package.model import Package

ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold; what SAM writes
FOLDER_MTIME = 315532800  # 1980-01-01T00:00:00Z, for a folder output
FILE_MODE = 0o644
EXECUTABLE_MODE = 0o755
FOLDER_MODE = 0o755
UNIX = 3  # ZipInfo.create_system: external_attr holds Unix modes
DIRECTORY_FLAG = 0x10  # MS-DOS directory attribute
CHUNK_BYTES = 1024 * 1024
CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)

Tick = Callable[[int, int], None]  # (done, total)


def executable_paths(package: Package) -> set[str]:
    """The files of a package that are executable (by anyone) in the target."""
    if package.kind == "zip":
        with zipfile.ZipFile(package.location) as archive:
            modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        return {e.path for e in package.files if modes.get(e.path, 0) & 0o111}
    found = set()
    for entry in package.files:
        try:
            info = os.stat(os.path.join(package.location, entry.path), follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_mode & 0o111:
            found.add(entry.path)
    return found


def file_mode(executable: bool) -> int:
    """The mode slim gives a file: 0755 when the target's copy was executable, else 0644."""
    return EXECUTABLE_MODE if executable else FILE_MODE


def copy_file(package: Package, path: str, destination: Path, executable: bool) -> None:
    """Copy one file of the package to a new file, with slim's mode."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(destination, CREATE_FLAGS, 0o600)
    with os.fdopen(fd, "wb") as out, package.open(path) as stream:
        shutil.copyfileobj(stream, out, CHUNK_BYTES)
    os.chmod(destination, file_mode(executable))


def copy_files(
    package: Package,
    paths: Sequence[str],
    root: Path,
    executables: Set[str],
    tick: Tick,
    destinations: Sequence[str] | None = None,
) -> None:
    """Copy the files kept into root, each at its own path or at the destination given
    (TargetError naming a file that cannot be read)."""
    for done, (path, to) in enumerate(zip(paths, destinations or paths, strict=True), start=1):
        try:
            copy_file(package, path, root / to, path in executables)
        except OSError as error:
            reason = error.strerror or str(error)
            raise TargetError(f"{package.location}: cannot copy {path}: {reason}") from None
        tick(done, len(paths))


def _entries(root: Path) -> Iterator[tuple[str, Path]]:
    """(zip name, path) of every folder ("name/") and file under root."""
    for folder, _, files in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        if prefix:
            yield prefix, Path(folder)
        for name in files:
            yield prefix + name, Path(folder) / name


def _sort_key(item: tuple[str, Path]) -> bytes:
    return item[0].encode("utf-8", "surrogateescape")


def _info(name: str, path: Path, executable: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, ZIP_DATE)
    info.create_system = UNIX
    if name.endswith("/"):
        info.external_attr = (stat.S_IFDIR | FOLDER_MODE) << 16 | DIRECTORY_FLAG
        return info
    info.external_attr = (stat.S_IFREG | file_mode(executable)) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    info.file_size = path.stat().st_size  # lets zipfile choose ZIP64 for a file past 2 GiB
    return info


def _write_entry(out: zipfile.ZipFile, name: str, path: Path, executable: bool) -> None:
    info = _info(name, path, executable)
    if name.endswith("/"):
        out.writestr(info, b"")
        return
    with path.open("rb") as stream, out.open(info, "w") as member:
        shutil.copyfileobj(stream, member, CHUNK_BYTES)


def write_zip(root: Path, archive: Path, executables: Set[str], tick: Tick) -> None:
    """Zip everything under root, reproducibly (see the module docstring); `executables` are
    the paths executable in the target."""
    entries = sorted(_entries(root), key=_sort_key)
    with zipfile.ZipFile(archive, "w") as out:
        for done, (name, path) in enumerate(entries, start=1):
            try:
                _write_entry(out, name, path, name in executables)
            except UnicodeEncodeError:
                shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                raise TargetError(f"{shown}: a file name a zip cannot hold (not UTF-8)") from None
            tick(done, len(entries))


def settle(root: Path, executables: Set[str]) -> None:
    """Every file and folder under root dated 1980-01-01, files 0644 (0755 for `executables`,
    paths executable in the target), folders 0755: what a folder output keeps."""
    for folder, _, files in os.walk(root, topdown=False):
        relative = Path(folder).relative_to(root).as_posix()
        for name in files:
            path = os.path.join(folder, name)
            shown = name if relative == "." else f"{relative}/{name}"
            os.chmod(path, file_mode(shown in executables))
            os.utime(path, (FOLDER_MTIME, FOLDER_MTIME))
        os.chmod(folder, FOLDER_MODE)
        os.utime(folder, (FOLDER_MTIME, FOLDER_MTIME))
