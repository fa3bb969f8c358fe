"""What importing the added modules costs at init, measured in the Lambda-like child.

The install becomes one more layer. Two variants of the function are measured side by side,
as `imports` measures init: the handler as it is (the layer on sys.path, nothing imported
from it), and a stand-in handler module that imports the real one and then the requested
distributions' top-level modules. The difference of the medians is the added init.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from coldprof.analyze.result import AddedInit
from coldprof.bench.compare import compare
from coldprof.function import FunctionConfig, environment_spec, prepare
from coldprof.imports.profile import handler_module
from coldprof.imports.sides import first_error, init_ms, init_side_by_side
from coldprof.stats import summarize

STAND_IN = "_coldprof_added"  # the stand-in handler module, at the top of the added layer
SOURCE = """import importlib
_module = importlib.import_module({module!r})
for _name in {names!r}:
    importlib.import_module(_name)
handler = getattr(_module, {function!r})
"""


def write_stand_in(layer: Path, handler: str, modules: Sequence[str]) -> str:
    """Write the stand-in handler module into the layer; its handler string."""
    source = SOURCE.format(
        module=handler_module(handler), names=list(modules), function=handler.rsplit(".", 1)[1]
    )
    (layer / "python" / f"{STAND_IN}.py").write_text(source, encoding="utf-8")
    return f"{STAND_IN}.handler"


def measure_added_init(
    function: FunctionConfig, layer: Path, modules: Sequence[str], repeat: int
) -> AddedInit:
    """The handler's init without and with the new modules imported, side by side."""
    with ExitStack() as stack:
        prepared = prepare(stack, function)
        handler = str(prepared.handler)
        stand_in = write_stand_in(layer, handler, modules)
        without = dataclasses.replace(prepared, layers=(*prepared.layers, layer))
        adding = dataclasses.replace(without, handler=stand_in)
        specs = {"without": environment_spec(without), "with": environment_spec(adding)}
        runs = init_side_by_side(specs, repeat)
    without_ms, with_ms = init_ms(runs["without"]), init_ms(runs["with"])
    failed = first_error(runs["without"]) or first_error(runs["with"])
    comparison = compare("init", "without", without_ms, "with", with_ms)
    added = None
    if without_ms and with_ms:
        added = statistics.median(with_ms) - statistics.median(without_ms)
    return AddedInit(
        handler=handler,
        modules=tuple(modules),
        repeat=repeat,
        without_ms=summarize(without_ms),
        with_ms=summarize(with_ms),
        added_ms=added,
        within_noise=None if comparison is None else comparison.verdict != "faster",
        error_type=failed.error.type if failed and failed.error else None,
        error_message=failed.error.message if failed and failed.error else None,
    )
