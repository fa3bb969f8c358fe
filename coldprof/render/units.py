"""Human units for tables: sizes say MiB and MB explicitly, times say ms."""

from __future__ import annotations

MIB = 1024 * 1024
MB = 1000 * 1000


def mib(n_bytes: int) -> str:
    """Bytes as MiB (2**20 bytes) with two decimals."""
    return f"{n_bytes / MIB:,.2f} MiB"


def mib_mb(n_bytes: int) -> str:
    """Bytes as 'x.xx MiB (y.yy MB)', both units spelled out."""
    return f"{n_bytes / MIB:,.2f} MiB ({n_bytes / MB:,.2f} MB)"


def human_bytes(n_bytes: int) -> str:
    """Bytes in the unit that reads best: B, KiB (kB) or MiB (MB), binary and decimal both."""
    if abs(n_bytes) < 1024:
        return f"{n_bytes:,} B"
    if abs(n_bytes) < MIB:
        return f"{n_bytes / 1024:,.1f} KiB ({n_bytes / 1000:,.1f} kB)"
    return mib_mb(n_bytes)


def ms(value: float | None) -> str:
    """Milliseconds with one decimal, or '-' when unknown."""
    return "-" if value is None else f"{value:,.1f} ms"


def percent(fraction: float) -> str:
    """A fraction as a percentage with one decimal."""
    return f"{fraction * 100:.1f}%"
