"""Reading a deployment zip safely: sizes from the central directory, nothing extracted.

Bounds (documented in docs/json-schema-analyze.md, "Hostile input"): an archive is refused when its
central directory declares more than MAX_ENTRIES entries or more than MAX_UNZIPPED_BYTES in
all, or when entries overlap (the way non-recursive zip bombs share one compressed stream).
Entries with absolute paths, `..` components or symlink modes are skipped, never read;
so are encrypted members and members compressed other than stored or deflate (marked as
blocking extraction: running the package without them would not run the package).
Members are read by coldprof.package.member, never inflated past their declared size.
"""

from __future__ import annotations

import calendar
import itertools
import posixpath
import stat
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from coldprof.errors import TargetError
from coldprof.package.folder import CENTRAL_HEADER_BYTES
from coldprof.package.member import MemberReader, MemberSpan, unreadable_reason
from coldprof.package.model import (
    MAX_UNZIPPED_BYTES,
    FileEntry,
    FolderEntry,
    Package,
    Skipped,
)
from coldprof.results import display_path

MAX_ENTRIES = 200_000
LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader
DATA_DESCRIPTOR_FLAG = 0x08
UNIX = 3  # ZipInfo.create_system of an archive written on Unix: external_attr holds st_mode
EXTENDED_TIMESTAMP = 0x5455  # the "UT" extra field: flags, then the mtime in UTC seconds
LINK_TARGET_BYTES = 4096  # the most of a symbolic-link entry read: its target (PATH_MAX)
VERIFY_CHUNK_BYTES = 1024 * 1024  # read at once when checking every member


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    """The skipped code of an entry that must not be read (absolute path, `..`, a link)."""
    name = info.filename
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute-path"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "dot-dot"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "zip-link"
    return None


def unix_mode(info: zipfile.ZipInfo) -> int | None:
    """An entry's Unix permission bits, or None when the archive does not record them."""
    mode = info.external_attr >> 16
    if info.create_system != UNIX or mode == 0:
        return None
    return mode & 0o7777


def extended_mtime(extra: bytes) -> int | None:
    """The mtime in a "UT" extra field (UTC seconds), or None when there is none."""
    while len(extra) >= 4:
        kind, size = struct.unpack("<2H", extra[:4])
        body = extra[4 : 4 + size]
        if kind == EXTENDED_TIMESTAMP and len(body) >= 5 and body[0] & 1:
            return struct.unpack("<I", body[1:5])[0]
        extra = extra[4 + size :]
    return None


def extracted_mtime(info: zipfile.ZipInfo) -> tuple[int | None, str | None]:
    """The mtime an entry gets when Lambda extracts it, and where that comes from.

    The extended timestamp when the entry has one, else the MS-DOS date and time read as
    UTC (Lambda runs in UTC), which zip stores in 2-second steps (MTIME_FROM).
    """
    mtime = extended_mtime(info.extra)
    if mtime is not None:
        return mtime, "extended timestamp"
    try:
        return calendar.timegm((*info.date_time, 0, 0, 0)), "dos date"
    except (ValueError, OverflowError):
        return None, None


def _file_entry(info: zipfile.ZipInfo, zipped_bytes: int) -> FileEntry:
    mtime, source = extracted_mtime(info)
    mode = unix_mode(info)
    return FileEntry(
        path=info.filename,
        unzipped_bytes=info.file_size,
        zipped_bytes=zipped_bytes,
        crc32=info.CRC,
        mode=mode,
        mtime_s=mtime,
        mtime_from=source,
    )


def _folder_entries(infos: list[zipfile.ZipInfo], files: list[FileEntry]) -> tuple:
    """The archive's folders: its directory entries (with modes) and every file's parents."""
    modes: dict[str, int | None] = {}
    for info in infos:
        if info.is_dir() and _unsafe_reason(info) is None:
            modes[info.filename.rstrip("/")] = unix_mode(info)
    for entry in files:
        parts = entry.path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            modes.setdefault("/".join(parts[:depth]), None)
    return tuple(FolderEntry(path, mode) for path, mode in sorted(modes.items()) if path)


def _local_header_bytes(stream: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Size of the entry's local header (30 bytes + name + extra), read from the archive."""
    if info.header_offset < 0:
        raise TargetError(f"entry {info.filename!r} starts before the archive: the zip is corrupt")
    stream.seek(info.header_offset)
    header = stream.read(LOCAL_HEADER.size)
    if len(header) != LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise TargetError(f"entry {info.filename!r} has no local header: the zip is corrupt")
    fields = LOCAL_HEADER.unpack(header)
    return LOCAL_HEADER.size + fields[10] + fields[11]


def _entry_span(stream: BinaryIO, info: zipfile.ZipInfo) -> tuple[int, int, int]:
    """(start offset, end of its data, bytes the entry takes: headers, data, descriptor)."""
    local = _local_header_bytes(stream, info)
    central = CENTRAL_HEADER_BYTES + len(info.orig_filename.encode("utf-8", "surrogateescape"))
    central += len(info.extra) + len(info.comment)
    descriptor = 16 if info.flag_bits & DATA_DESCRIPTOR_FLAG else 0
    data_end = info.header_offset + local + info.compress_size
    return info.header_offset, data_end, local + info.compress_size + descriptor + central


def _member_span(info: zipfile.ZipInfo, data_end: int, archive: Path, size: int) -> MemberSpan:
    """Where a member's data is; a member running past the archive's end is refused."""
    if data_end > size:
        raise TargetError(
            f"{archive}: entry {info.filename!r} runs past the end of the archive: "
            "the zip is truncated"
        )
    return MemberSpan(
        name=info.filename,
        method=info.compress_type,
        data_offset=data_end - info.compress_size,
        compressed_bytes=info.compress_size,
        declared_bytes=info.file_size,
        crc32=info.CRC,
    )


def _check_bounds(infos: list[zipfile.ZipInfo], location: str) -> None:
    if len(infos) > MAX_ENTRIES:
        raise TargetError(
            f"{location}: {len(infos):,} entries is more than coldprof reads "
            f"({MAX_ENTRIES:,}); refusing it as a possible zip bomb"
        )
    declared = sum(i.file_size for i in infos)
    if declared > MAX_UNZIPPED_BYTES:
        raise TargetError(
            f"{location}: declares {declared:,} unzipped bytes, over coldprof's bound of "
            f"{MAX_UNZIPPED_BYTES:,}; refusing it as a possible zip bomb"
        )


def _check_overlap(spans: list[tuple[int, int, str]], location: str) -> None:
    """Refuse entries whose data overlap (each span: start, end of local data, name)."""
    ordered = sorted(spans)
    for (_, end, name), (start, _, other) in itertools.pairwise(ordered):
        if start < end:
            raise TargetError(
                f"{location}: entries {name!r} and {other!r} overlap in the archive "
                "(a zip bomb's trick); refusing it"
            )


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, NotImplementedError, EOFError, ValueError) as error:
        raise TargetError(f"{path} is not a readable zip archive ({error})") from None
    except OSError as error:
        raise TargetError(f"{path}: cannot read: {error.strerror or error}") from None


class _Entries:
    """The entries of one archive sorted into counted files, skipped entries and links."""

    def __init__(self, path: Path, stream: BinaryIO):
        self.path = path
        self.stream = stream
        self.archive_bytes = path.stat().st_size
        self.files: list[FileEntry] = []
        self.skipped: list[Skipped] = []
        self.spans: list[tuple[int, int, str]] = []
        self.members: dict[str, MemberSpan] = {}
        self.links: list[tuple[str, MemberSpan | None]] = []

    def add(self, info: zipfile.ZipInfo) -> None:
        """Count a file entry, or say why it is skipped."""
        code = _unsafe_reason(info)
        if code is None and info.filename in self.members:
            code = "duplicate-name"
        unreadable = unreadable_reason(info.compress_type, info.flag_bits)
        if code == "zip-link":
            self.links.append((info.filename, None if unreadable else self._span(info)[0]))
        elif code is not None:
            self.skipped.append(Skipped(path=info.filename, code=code))
        elif unreadable is not None:
            code, values = unreadable
            skipped = Skipped(path=info.filename, code=code, values=values, blocks_extraction=True)
            self.skipped.append(skipped)
        else:
            self.members[info.filename], zipped = self._span(info)
            self.files.append(_file_entry(info, zipped))

    def _span(self, info: zipfile.ZipInfo) -> tuple[MemberSpan, int]:
        """Where an entry's data is, and the bytes the entry takes in the archive."""
        start, data_end, zipped = _entry_span(self.stream, info)
        self.spans.append((start, data_end, info.filename))
        return _member_span(info, data_end, self.path, self.archive_bytes), zipped

    def resolved_links(self, folders: tuple[FolderEntry, ...]) -> list[Skipped]:
        """The symbolic-link entries, each said to point inside the package, outside or nowhere."""
        known = {f.path for f in self.files} | {f.path for f in folders}
        return [self._link(name, span, known) for name, span in self.links]

    def _link(self, name: str, span: MemberSpan | None, known: set[str]) -> Skipped:
        if span is None or span.declared_bytes > LINK_TARGET_BYTES:
            return Skipped(path=name, code="link-unreadable", values={"error": "not read"})
        try:
            with MemberReader(self.stream.fileno(), span, str(self.path)) as reader:
                target = reader.read().decode("utf-8", "surrogateescape")
        except OSError as error:
            return Skipped(path=name, code="link-unreadable", values={"error": str(error)})
        values = {"target": display_path(target)}
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
        if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
            return Skipped(path=name, code="link-outside", values=values)
        if resolved not in known and resolved != ".":
            return Skipped(path=name, code="link-broken", values=values)
        return Skipped(path=name, code="link-inside", values=values)


def read_zip(path: Path, name: str, import_roots: tuple[str, ...]) -> Package:
    """Measure a zip from its central directory: exact compressed and declared sizes."""
    with _open_zip(path) as archive:
        infos = archive.infolist()
        _check_bounds(infos, str(path))
        entries = _Entries(path, archive.fp)
        for info in infos:
            if not info.is_dir():
                entries.add(info)
        _check_overlap(entries.spans, str(path))
        files = sorted(entries.files, key=lambda f: f.path)
        folders = _folder_entries(infos, files)
        skipped = entries.skipped + entries.resolved_links(folders)
    return Package(
        name=name,
        location=str(path),
        kind="zip",
        files=tuple(files),
        skipped=tuple(sorted(skipped, key=lambda s: s.path)),
        archive_bytes=entries.archive_bytes,
        zipped_exact=True,
        import_roots=import_roots,
        opener=_Members(path, entries.members).open,
        folders=folders,
    )


class _Members:
    """Opens members of one archive, keeping it open between reads (rules read many files)."""

    def __init__(self, path: Path, members: dict[str, MemberSpan]):
        self.path = path
        self.members = members
        self.archive: BinaryIO | None = None

    @contextmanager
    def open(self, member: str) -> Iterator[BinaryIO]:
        """A forward-only stream of one member, never past its declared size."""
        span = self.members.get(member)
        if span is None:
            raise FileNotFoundError(member)
        if self.archive is None:
            self.archive = self.path.open("rb")
        with MemberReader(self.archive.fileno(), span, str(self.path)) as stream:
            yield stream  # type: ignore[misc]


def verify_members(package: Package) -> None:
    """Read every member of a zip package once, in order, through the bounded reader: its size
    and CRC-32 are checked, memory stays bounded, and a member that holds more than it declares
    or is corrupt refuses the archive (TargetError, one line), as extraction would."""
    if package.kind != "zip":
        return
    for entry in package.files:
        try:
            with package.open(entry.path) as stream:
                while stream.read(VERIFY_CHUNK_BYTES):
                    pass
        except OSError as error:
            raise TargetError(
                f"{package.location}: {display_path(entry.path)}: {error}: the archive is "
                "corrupt (Lambda could not unzip it either); refusing it"
            ) from None
