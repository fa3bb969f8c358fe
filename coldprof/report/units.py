"""How the report shows values: sizes and times (small ones keep their digits), and tables."""

from __future__ import annotations

from coldprof.render.units import MIB, mib_mb

Table = tuple[list[str], list[list]]  # headers, then rows of cells
SMALL_BYTES = MIB // 100  # below this, MiB with two decimals would read 0.00


def size(n_bytes: float | None) -> str:
    """Bytes as 'x.xx MiB (y.yy MB)', or as whole bytes when smaller than 0.01 MiB."""
    if n_bytes is None:
        return "-"
    return mib_mb(int(n_bytes)) if abs(n_bytes) >= SMALL_BYTES else f"{int(n_bytes):,} B"


def duration(value_ms: float | None) -> str:
    """Milliseconds with one decimal, three below 1 ms, or '-' when unknown."""
    if value_ms is None:
        return "-"
    return f"{value_ms:,.1f} ms" if abs(value_ms) >= 1 else f"{value_ms:.3f} ms"
