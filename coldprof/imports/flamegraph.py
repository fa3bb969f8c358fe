"""The import tree as a flame graph: speedscope JSON or collapsed stacks (`a;b;c <self us>`).

Both come from the result's modules (pre-order with depths); each module weighs its median self
time in microseconds, so a frame's width is the sum of the self times under it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from coldprof.imports.result import ImportsResult

SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"


def stacks(result: ImportsResult) -> Iterator[tuple[tuple[str, ...], int]]:
    """Each module's stack from the handler module down, with its self time in microseconds."""
    path: list[str] = []
    for module in result.modules:
        del path[module.depth :]
        path.append(module.name)
        self_us = round(module.self_ms * 1000)
        if self_us > 0:
            yield tuple(path), self_us


def collapsed(result: ImportsResult) -> str:
    """Brendan Gregg's collapsed stacks: one `a;b;c <microseconds>` line per module."""
    return "".join(f"{';'.join(stack)} {self_us}\n" for stack, self_us in stacks(result))


def speedscope(result: ImportsResult) -> str:
    """A speedscope file with one sampled profile weighted in microseconds."""
    frames: dict[str, int] = {}
    samples: list[list[int]] = []
    weights: list[int] = []
    for stack, self_us in stacks(result):
        samples.append([frames.setdefault(name, len(frames)) for name in stack])
        weights.append(self_us)
    document = {
        "$schema": SPEEDSCOPE_SCHEMA,
        "name": f"coldprof imports {result.handler}",
        "activeProfileIndex": 0,
        "exporter": "coldprof",
        "shared": {"frames": [{"name": name} for name in frames]},
        "profiles": [
            {
                "type": "sampled",
                "name": f"import tree of {result.handler} (median self times)",
                "unit": "microseconds",
                "startValue": 0,
                "endValue": sum(weights),
                "samples": samples,
                "weights": weights,
            }
        ],
    }
    return json.dumps(document, indent=1) + "\n"


def flamegraph(result: ImportsResult, path: Path) -> str:
    """The flame graph in the format the file's extension asks for (.json: speedscope)."""
    return speedscope(result) if path.suffix.lower() == ".json" else collapsed(result)
