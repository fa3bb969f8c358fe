"""One formatter per unit, one precision rule; every output shows values through these.

Sizes say MiB and MB (KiB and kB) explicitly, times say ms, money says $ and memory says MB
as Lambda does (its MB are MiB). None, where a value was not measured, shows as "-".
"""

from __future__ import annotations

import math

KIB = 1024
MIB = 1024 * 1024
MB = 1000 * 1000
NOT_MEASURED = "-"
USD_DIGITS = 4  # significant digits of a price below $1 (a request costs $0.0000002)


def size(n_bytes: float | None) -> str:
    """Bytes in the unit that reads best: B, KiB (kB) or MiB (MB), binary and decimal both."""
    if n_bytes is None:
        return NOT_MEASURED
    if abs(n_bytes) < KIB:
        return f"{n_bytes:,.0f} B"
    if abs(n_bytes) < MIB:
        return f"{n_bytes / KIB:,.1f} KiB ({n_bytes / 1000:,.1f} kB)"
    return f"{n_bytes / MIB:,.2f} MiB ({n_bytes / MB:,.2f} MB)"


def exact_bytes(n_bytes: float | None) -> str:
    """Bytes to the byte, where Lambda compares bytes: '52,428,800 B'."""
    return NOT_MEASURED if n_bytes is None else f"{n_bytes:,.0f} B"


def signed_size(n_bytes: float) -> str:
    """A change in bytes with its sign: '+1.5 KiB (1.5 kB)', '-7.00 MiB (7.34 MB)', '+0 B'."""
    return ("-" if n_bytes < 0 else "+") + size(abs(n_bytes))


def number_ms(value: float) -> str:
    """Milliseconds without the unit, in the decimals that matter: 3 below 1, 2 below 10, else 1."""
    decimals = 3 if abs(value) < 1 else 2 if abs(value) < 10 else 1
    return f"{value:,.{decimals}f}"


def ms(value: float | None) -> str:
    """Milliseconds: '12.3 ms', '2.35 ms', '0.125 ms'."""
    return NOT_MEASURED if value is None else f"{number_ms(value)} ms"


def signed_ms(value: float) -> str:
    """A change in milliseconds with its sign: '+20.0 ms'."""
    return ("+" if value >= 0 else "") + ms(value)


def spread_ms(mean: float, stdev: float) -> str:
    """A mean and its standard deviation: '12.5 ± 0.40 ms'."""
    return f"{number_ms(mean)} ± {number_ms(stdev)} ms"


def range_ms(low: float, high: float) -> str:
    """A range of times: '11.9 … 13.4 ms'."""
    return f"{number_ms(low)} … {number_ms(high)} ms"


def percent(fraction: float | None) -> str:
    """A fraction as a percentage with one decimal: '18.0%'."""
    return NOT_MEASURED if fraction is None else f"{fraction * 100:,.1f}%"


def signed_percent(fraction: float) -> str:
    """A relative change with its sign: '+16.7%'."""
    return ("+" if fraction >= 0 else "") + percent(fraction)


def usd(value: float | None) -> str:
    """US dollars: cents from $1 up, else 4 significant digits ('$0.2083', '$0.000002083')."""
    if value is None:
        return NOT_MEASURED
    if value == 0 or abs(value) >= 1:
        return f"${value:,.2f}"
    decimals = max(2, USD_DIGITS - 1 - math.floor(math.log10(abs(value))))
    return f"${value:,.{decimals}f}"


def memory_mb(value: float | None, decimals: int = 0) -> str:
    """Memory as Lambda reports it: '44 MB', '12.5 MB' with a decimal (Lambda's MB are MiB)."""
    return NOT_MEASURED if value is None else f"{value:,.{decimals}f} MB"


def seconds(value: float | None) -> str:
    """Seconds, for limits and timeouts: '900 s', '2.5 s'."""
    return NOT_MEASURED if value is None else f"{value:,.{0 if value == int(value) else 1}f} s"


def count(value: float | None, unit: str) -> str:
    """A count and its unit, singular for one: '1 file', '3 distributions'."""
    if value is None:
        return NOT_MEASURED
    shown = f"{value:,.0f}"
    return f"{shown} {unit.removesuffix('s') if value == 1 else unit}".rstrip()


def times(value: float, error: float) -> str:
    """A ratio and its standard error: '1.42 ± 0.05'."""
    return f"{value:,.2f} ± {error:,.2f}"


def ms_pair(before: float, after: float) -> str:
    """Two times in milliseconds: '820.0 → 410.0 ms'."""
    return f"{number_ms(before)} → {number_ms(after)} ms"


def size_pair(before: float, after: float) -> str:
    """Two sizes in the unit of the larger, one decimal: '48.2 → 31.0 MiB', '812 → 640 B'."""
    largest = max(abs(before), abs(after))
    if largest < KIB:
        return f"{before:,.0f} → {after:,.0f} B"
    unit, scale = ("KiB", KIB) if largest < MIB else ("MiB", MIB)
    return f"{before / scale:,.1f} → {after / scale:,.1f} {unit}"


def relative_change(before: float, after: float) -> str:
    """The change from before to after in whole percent, with a true minus: '−36%', '+4%'."""
    if before == 0:
        return NOT_MEASURED
    change = round((after - before) / before * 100)
    return f"−{-change}%" if change < 0 else f"+{change}%"
