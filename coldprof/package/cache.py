"""A cache of per-file deflate sizes, keyed by content, so a second analyze of a tree is fast.

The key is the SHA-256 of the compressor's identity and the file's bytes (never a path or an
mtime): a file that changed is a miss, a copy of a known file anywhere is a hit. One SQLite
file in the user's cache folder ($XDG_CACHE_HOME/coldprof, else ~/.cache/coldprof, or
~/Library/Caches/coldprof on macOS) holds at most MAX_ROWS entries; the least recently used
go first. Concurrent runs are SQLite's business (a write that waits too long is dropped); a
corrupt or unwritable cache is replaced or ignored, never an error: the sizes are measured.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import sys
import threading
import time
import zlib
from pathlib import Path

MAX_ROWS = 400_000  # about 40 MB on disk; a 6,000-file tree takes 6,000
KEEP_ROWS = 320_000  # what an eviction leaves
BUSY_TIMEOUT_S = 2.0
FILE_NAME = "deflate-sizes-v1.sqlite3"
# What the stored sizes depend on: the compressor, its level and window, and zlib's version.
COMPRESSOR = f"deflate level 6 wbits -15 zlib {zlib.ZLIB_RUNTIME_VERSION}".encode()
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sizes (key BLOB PRIMARY KEY, size INTEGER NOT NULL, "
    "deflated INTEGER NOT NULL, crc INTEGER NOT NULL, used_day INTEGER NOT NULL) WITHOUT ROWID"
)


def cache_folder() -> Path:
    """Where coldprof keeps its caches: $XDG_CACHE_HOME/coldprof or the user's cache folder."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "coldprof"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "coldprof"
    return Path.home() / ".cache" / "coldprof"


def content_hasher() -> hashlib._Hash:
    """A hasher to feed a file's bytes to; its digest is the file's cache key."""
    return hashlib.sha256(COMPRESSOR + b"\0")


def _today() -> int:
    return int(time.time() // 86_400)


class SizeCache:
    """Deflate sizes and CRC-32s by content key; lookups from any thread, writes at close()."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        self.new: dict[bytes, tuple[int, int, int]] = {}
        self.hits: set[bytes] = set()
        self.db = _connect(path)

    def get(self, key: bytes, size: int) -> tuple[int, int] | None:
        """(deflated bytes, crc32) stored for the content, or None."""
        if self.db is None:
            return None
        with self.lock:
            row = _query(self.db, key)
        if row is None or row[0] != size:
            return None
        self.hits.add(key)
        return row[1], row[2]

    def put(self, key: bytes, size: int, deflated: int, crc: int) -> None:
        """Remember a measured file (written when the cache is closed)."""
        self.new[key] = (size, deflated, crc)

    def close(self) -> None:
        """Write the new entries and the hits' use date, evict the oldest; drop it all on error."""
        if self.db is None:
            return
        try:
            _write(self.db, self.new, self.hits)
        except sqlite3.Error:
            pass
        finally:
            self.db.close()
            self.db = None


def _connect(path: Path) -> sqlite3.Connection | None:
    """The cache database, recreated once if it is corrupt; None when it cannot be used."""
    for _ in range(2):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        except (OSError, sqlite3.Error):
            return None
        try:
            db.execute("PRAGMA synchronous=OFF")
            db.execute(SCHEMA)
            db.execute("SELECT 1 FROM sizes LIMIT 1").fetchall()
            return db
        except sqlite3.DatabaseError as error:
            db.close()
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                return None
            _discard(path)
    return None


def _discard(path: Path) -> None:
    """Remove a corrupt cache file (another run may have done it already)."""
    for suffix in ("", "-journal"):
        with contextlib.suppress(OSError):
            os.unlink(f"{path}{suffix}")


def _query(db: sqlite3.Connection, key: bytes) -> tuple[int, int, int] | None:
    try:
        row = db.execute("SELECT size, deflated, crc FROM sizes WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    return tuple(row) if row else None


def _write(
    db: sqlite3.Connection, new: dict[bytes, tuple[int, int, int]], hits: set[bytes]
) -> None:
    """One transaction: insert, touch, and evict down to KEEP_ROWS past MAX_ROWS."""
    day = _today()
    with db:
        db.executemany(
            "INSERT OR REPLACE INTO sizes VALUES (?, ?, ?, ?, ?)",
            [(key, *values, day) for key, values in new.items()],
        )
        db.executemany(
            "UPDATE sizes SET used_day = ? WHERE key = ? AND used_day < ?",
            [(day, key, day) for key in hits],
        )
        if new and db.execute("SELECT COUNT(*) FROM sizes").fetchone()[0] > MAX_ROWS:
            db.execute(
                "DELETE FROM sizes WHERE key IN (SELECT key FROM sizes ORDER BY used_day "
                "LIMIT (SELECT COUNT(*) FROM sizes) - ?)",
                (KEEP_ROWS,),
            )


def open_cache(folder: Path | None = None) -> SizeCache:
    """The size cache in `folder` (default: cache_folder())."""
    return SizeCache((folder or cache_folder()) / FILE_NAME)
