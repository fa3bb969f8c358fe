"""Reading one zip member, stored or deflated, never past its declared size.

zipfile inflates bzip2 and LZMA members without bound and inflates a member again from its
start on every backward seek. This reader does neither: it reads the member's compressed
bytes once, in order, never more than the central directory's compressed size; it inflates
at most the declared size plus INFLATE_MARGIN_BYTES, the look past the end that tells a
member lying about its size (the archive is then refused); and it checks the CRC-32.
Members compressed any other way, and encrypted ones, are never read (see `unreadable_reason`).
"""

from __future__ import annotations

import io
import os
import zlib
from dataclasses import dataclass

from coldprof.errors import TargetError
from coldprof.render.units import exact_bytes

STORED = 0
DEFLATED = 8
ENCRYPTED_FLAG = 0x01
STRONG_ENCRYPTION_FLAG = 0x40
INFLATE_MARGIN_BYTES = 1  # how far past the declared size the reader looks, to catch a liar
CHUNK_BYTES = 256 * 1024  # the most compressed bytes read at once
MIN_READ_BYTES = 4096  # the least (as zipfile reads)
METHOD_NAMES = {
    1: "shrink",
    6: "implode",
    9: "deflate64",
    12: "bzip2",
    14: "LZMA",
    93: "Zstandard",
    95: "xz",
    98: "PPMd",
    99: "AES encryption",
}


class MemberError(OSError):
    """A member's data cannot be read: corrupt, truncated, or its CRC-32 does not match."""


def unreadable_reason(method: int, flag_bits: int) -> tuple[str, dict] | None:
    """The skipped code and values of a member never read (encrypted, or not stored or
    deflate: "method", with the method's number and name), or None."""
    if flag_bits & (ENCRYPTED_FLAG | STRONG_ENCRYPTION_FLAG) or method == 99:
        return "encrypted", {}
    if method in (STORED, DEFLATED):
        return None
    return "method", {"method": method, "method_name": METHOD_NAMES.get(method)}


@dataclass(frozen=True)
class MemberSpan:
    """Where one member's data is in the archive, and what its central directory declares."""

    name: str
    method: int  # STORED or DEFLATED
    data_offset: int  # first byte of its compressed data
    compressed_bytes: int
    declared_bytes: int  # the unzipped size the central directory declares
    crc32: int


class MemberReader(io.RawIOBase):
    """A forward-only stream of one member, read with pread from an open archive descriptor."""

    def __init__(self, fd: int, span: MemberSpan, location: str):
        super().__init__()
        self.fd = fd
        self.span = span
        self.location = location
        self.consumed = 0  # compressed bytes read
        self.produced = 0  # bytes handed out
        self.crc = 0
        self.verified = False
        self.inflater = zlib.decompressobj(-15) if span.method == DEFLATED else None
        self.pending = b""  # compressed input not yet given to the inflater

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes (all that is left when negative); fewer only at the end."""
        left = self.span.declared_bytes - self.produced
        size = left if size is None or size < 0 else min(size, left)
        buffer = bytearray(size)
        return bytes(buffer[: self.readinto(buffer)])

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill the buffer with the member's next bytes; short only at its verified end."""
        view = memoryview(buffer).cast("B")
        filled = 0
        while True:
            want = min(len(view) - filled, self.span.declared_bytes - self.produced)
            if self.produced == self.span.declared_bytes:
                self._finish()
            if want <= 0:
                return filled
            data = self._next(want)
            view[filled : filled + len(data)] = data
            filled += len(data)
            self.produced += len(data)
            self.crc = zlib.crc32(data, self.crc)

    def _compressed(self, limit: int) -> bytes:
        """Up to `limit` more compressed bytes (b"" at the end of the member's data)."""
        count = min(limit, CHUNK_BYTES, self.span.compressed_bytes - self.consumed)
        if count <= 0:
            return b""
        data = os.pread(self.fd, count, self.span.data_offset + self.consumed)
        if not data:
            raise MemberError("the archive is truncated")
        self.consumed += len(data)
        return data

    def _next(self, want: int) -> bytes:
        """Between 1 and `want` bytes of data (never past the declared size)."""
        if self.inflater is None:
            data = self._compressed(want)
            if not data:
                raise MemberError("the member's data ends early")
            return data
        while True:
            if self.inflater.eof:
                raise MemberError("the deflate stream ends early")
            data = self._inflate(want)
            if data:
                return data
            if not self.pending and not self._refill(want):
                raise MemberError("the deflate stream ends early")

    def _refill(self, want: int) -> bool:
        """Read more compressed input; False when there is none left."""
        self.pending = self._compressed(max(want, MIN_READ_BYTES))
        return bool(self.pending)

    def _inflate(self, limit: int) -> bytes:
        """Inflate pending input, producing at most `limit` bytes."""
        assert self.inflater is not None
        try:
            data = self.inflater.decompress(self.pending, limit)
        except zlib.error as error:
            raise MemberError(f"corrupt deflate data ({error})") from None
        self.pending = self.inflater.unconsumed_tail
        return data

    def _finish(self) -> None:
        """At the declared size: refuse a member with more data, check the CRC-32 (once)."""
        if self.verified:
            return
        self.verified = True
        if self._overruns():
            raise TargetError(
                f"{self.location}: member {self.span.name!r} holds more than its declared "
                f"{exact_bytes(self.span.declared_bytes)}: the archive is corrupt or a zip bomb; "
                "refusing it"
            )
        if self.crc != self.span.crc32:
            raise MemberError("CRC-32 mismatch: the member is corrupt")

    def _overruns(self) -> bool:
        """Whether data follows the declared size (inflating at most INFLATE_MARGIN_BYTES)."""
        if self.inflater is None:
            return self.consumed < self.span.compressed_bytes
        while not self.inflater.eof:
            if self._inflate(INFLATE_MARGIN_BYTES):
                return True
            if not self.inflater.eof and not self.pending and not self._refill(MIN_READ_BYTES):
                raise MemberError("the deflate stream ends early")
        return False
