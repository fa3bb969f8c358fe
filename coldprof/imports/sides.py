"""Init of several variants of a function measured side by side, as `imports` measures init:
each run a fresh environment (no -X importtime, no bytecode written), rounds interleaved and
their order alternated, so that drift on the machine affects every variant alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from coldprof.imports.profile import start_once
from coldprof.sandbox import EnvironmentSpec, InitResult

Tick = Callable[[int, int], None]  # (runs done, runs in all)


def init_side_by_side(
    specs: Mapping[str, EnvironmentSpec], repeat: int, tick: Tick | None = None
) -> dict[str, list[InitResult]]:
    """`repeat` cold starts of each spec; a variant stops at its first failed init."""
    labels = list(specs)
    results: dict[str, list[InitResult]] = {label: [] for label in labels}
    total, done = repeat * len(labels), 0
    for round_number in range(repeat):
        for label in labels if round_number % 2 == 0 else reversed(labels):
            done += 1
            if not results[label] or results[label][-1].ok:
                results[label].append(start_once(specs[label]))
            if tick is not None:
                tick(done, total)
    return results


def init_ms(results: list[InitResult]) -> list[float]:
    """The init times of the runs that succeeded."""
    return [result.init_ms for result in results if result.ok]


def first_error(results: list[InitResult]) -> InitResult | None:
    """The run that failed, if one did."""
    return next((result for result in results if not result.ok), None)
