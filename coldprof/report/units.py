"""How the report shows values: sizes and times (small ones keep their digits), and tables."""

from __future__ import annotations

from coldprof.render.units import human_bytes

Table = tuple[list[str], list[list]]  # headers, then rows of cells


def size(n_bytes: float | None) -> str:
    """Bytes in the unit that reads best (B, KiB (kB), MiB (MB)), or '-' when unknown."""
    return "-" if n_bytes is None else human_bytes(int(n_bytes))


def duration(value_ms: float | None) -> str:
    """Milliseconds with one decimal, three below 1 ms, or '-' when unknown."""
    if value_ms is None:
        return "-"
    return f"{value_ms:,.1f} ms" if abs(value_ms) >= 1 else f"{value_ms:.3f} ms"
