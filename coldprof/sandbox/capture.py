"""Bounded capture of a child's output: head and tail of the log, "import time:" rows apart.

Rows are bounded by count and by bytes: a child printing 100 KB "rows" keeps at most
MAX_IMPORTTIME_BYTES of them per run, whatever it prints; a row longer than MAX_LINE_BYTES
is never a real one (a real row is a few hundred bytes) and is dropped.
"""

from __future__ import annotations

KEEP_BYTES = 64 * 1024  # kept at each end of the log
MAX_IMPORTTIME_ROWS = 100_000
MAX_IMPORTTIME_BYTES = 16 * 1024 * 1024  # row bytes kept per run (numpy + pandas: ~150 KB)
MAX_LINE_BYTES = 64 * 1024  # a longer line without a newline is log text, not a profile row
IMPORTTIME_MARK = b"import time:"


class BoundedLog:
    """Keeps the first and the last KEEP_BYTES of a byte stream and counts what it drops."""

    def __init__(self, keep_bytes: int = KEEP_BYTES):
        self.keep_bytes = keep_bytes
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped_bytes = 0

    def write(self, data: bytes) -> None:
        """Add output."""
        room = self.keep_bytes - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        self.tail += data
        excess = len(self.tail) - self.keep_bytes
        if excess > 0:
            del self.tail[:excess]
            self.dropped_bytes += excess

    def text(self) -> str:
        """The kept output, with a note where the middle was left out."""
        note = b""
        if self.dropped_bytes:
            note = f"\n[coldprof: {self.dropped_bytes:,} bytes of output not kept]\n".encode()
        return (self.head + note + self.tail).decode("utf-8", "replace")

    def clear(self) -> None:
        """Start over (a new invocation)."""
        self.head.clear()
        self.tail.clear()
        self.dropped_bytes = 0


class ImportTimeSplitter:
    """Splits stderr into "import time:" rows (kept apart, bounded by count) and log text."""

    def __init__(
        self,
        log: BoundedLog,
        max_rows: int = MAX_IMPORTTIME_ROWS,
        max_bytes: int = MAX_IMPORTTIME_BYTES,
    ):
        self.log = log
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.rows: list[str] = []
        self.row_bytes = 0
        self.dropped_rows = 0
        self.partial = b""

    def write(self, data: bytes) -> None:
        """Add stderr output; complete lines are sorted at once."""
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            self._line(line)
        if len(self.partial) > MAX_LINE_BYTES:
            self.log.write(self.partial)
            self.partial = b""

    def flush(self) -> None:
        """Sort a last line that has no newline."""
        if self.partial:
            self._line(self.partial, newline=False)
            self.partial = b""

    def take_rows(self) -> tuple[list[str], int]:
        """The rows and the count dropped since the last call; starts over."""
        rows, dropped = self.rows, self.dropped_rows
        self.rows, self.row_bytes, self.dropped_rows = [], 0, 0
        return rows, dropped

    def _line(self, line: bytes, newline: bool = True) -> None:
        at = line.find(IMPORTTIME_MARK)
        if at < 0:
            self.log.write(line + b"\n" if newline else line)
            return
        if at > 0:
            self.log.write(line[:at])
        row = line[at:]
        fits = self.row_bytes + len(row) <= self.max_bytes and len(row) <= MAX_LINE_BYTES
        if fits and len(self.rows) < self.max_rows:
            self.rows.append(row.decode("utf-8", "replace"))
            self.row_bytes += len(row)
        else:
            self.dropped_rows += 1
