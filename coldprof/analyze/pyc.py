"""The 16-byte `.pyc` header and PEP 3147 cache names, read without importing anything.

Header: magic (2 bytes little endian + b"\\r\\n": which Python), flags (bit 0 hash-based,
bit 1 check the source), then the source's mtime and size (timestamp-based) or its hash.
"""

from __future__ import annotations

import importlib.util
import re
import struct
import sys
from dataclasses import dataclass

HEADER_BYTES = 16
FLAG_HASH_BASED = 0b01
FLAG_CHECK_SOURCE = 0b10
UINT32 = 0xFFFFFFFF

# Magic numbers each CPython release series reserves (Lib/importlib/_bootstrap_external.py,
# Include/internal/pycore_magic_number.h): the final release's magic lies in its range.
MAGIC_RANGES = {
    (3, 9): range(3420, 3430),
    (3, 10): range(3430, 3450),
    (3, 11): range(3450, 3500),
    (3, 12): range(3500, 3550),
    (3, 13): range(3550, 3600),
    (3, 14): range(3600, 3650),
    (3, 15): range(3650, 3700),  # 50 per release series, as since 3.12; 3.15 is a preview
}
LOCAL_MAGIC = int.from_bytes(importlib.util.MAGIC_NUMBER[:2], "little")
CACHE_NAME = re.compile(r"(?P<module>[^./]+)\.(?P<tag>[^./]+?)(?:\.opt-(?P<opt>\d+))?\.pyc")


@dataclass(frozen=True)
class PycHeader:
    """A parsed `.pyc` header."""

    magic: int  # 3495 for CPython 3.11
    flags: int
    source_mtime: int | None  # seconds, modulo 2**32 (timestamp-based only)
    source_bytes: int | None  # the source's size modulo 2**32 (timestamp-based only)

    @property
    def python(self) -> tuple[int, int] | None:
        """The CPython version that wrote it, or None for an unknown magic."""
        return magic_python(self.magic)

    @property
    def invalidation(self) -> str:
        """How it is validated: timestamp, checked-hash or unchecked-hash (compileall's names)."""
        if not self.flags & FLAG_HASH_BASED:
            return "timestamp"
        return "checked-hash" if self.flags & FLAG_CHECK_SOURCE else "unchecked-hash"


@dataclass(frozen=True)
class CacheName:
    """What a `__pycache__/name.tag[.opt-N].pyc` path says."""

    source: str  # the module's source path: "pkg/mod.py"
    tag: str  # "cpython-311"
    optimization: str | None  # "1", "2" for -O / -OO files, None otherwise


def magic_python(magic: int) -> tuple[int, int] | None:
    """The CPython (major, minor) a magic number belongs to, or None."""
    if magic == LOCAL_MAGIC:
        return sys.version_info[:2]
    return next((version for version, span in MAGIC_RANGES.items() if magic in span), None)


def read_header(data: bytes) -> PycHeader:
    """Parse the first 16 bytes of a `.pyc` (ValueError when they are not one)."""
    if len(data) < HEADER_BYTES or data[2:4] != b"\r\n":
        raise ValueError("not a .pyc file (no magic number)")
    magic, flags, first, second = struct.unpack("<H2x3I", data[:HEADER_BYTES])
    if flags & ~(FLAG_HASH_BASED | FLAG_CHECK_SOURCE):
        raise ValueError(f"invalid .pyc flags {flags:#x}")
    if flags & FLAG_HASH_BASED:
        return PycHeader(magic, flags, None, None)
    return PycHeader(magic, flags, first, second)


def cache_tag(python: tuple[int, int]) -> str:
    """The cache tag CPython uses for a version: "cpython-311"."""
    return f"cpython-{python[0]}{python[1]}"


def cache_path(source: str, python: tuple[int, int]) -> str:
    """Where CPython looks for a source's bytecode: pkg/__pycache__/mod.cpython-311.pyc."""
    folder, _, name = source.rpartition("/")
    stem = name.removesuffix(".py")
    prefix = f"{folder}/" if folder else ""
    return f"{prefix}__pycache__/{stem}.{cache_tag(python)}.pyc"


def parse_cache_path(path: str) -> CacheName | None:
    """The source, tag and optimization level of a __pycache__ file, or None."""
    folder, _, name = path.rpartition("/")
    parent, _, last = folder.rpartition("/")
    match = CACHE_NAME.fullmatch(name)
    if last != "__pycache__" or match is None:
        return None
    prefix = f"{parent}/" if parent else ""
    return CacheName(f"{prefix}{match['module']}.py", match["tag"], match["opt"])
