"""PEP 810 lazy imports (Python 3.15): which imports were actually deferred by `-X lazy_imports`,
and what each cost when it was finally resolved, in an invocation or never.

Whether an interpreter defers at all is probed, not assumed from its version: Python 3.14 (and
every earlier one) accepts `-X lazy_imports=all` silently and imports eagerly. The imports left
deferred at the end of init are the lazy objects then bound in modules' globals, which the usage
run lists (bootstrap.lazy_bindings) after init and after each invocation; the one after which a
binding is gone resolved it, and its row in that invocation's -X importtime tree is its cost.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Sequence

from coldprof.imports.deferred import Invoked, invocation_roots
from coldprof.imports.result import LazyImport, LazyImports
from coldprof.imports.tree import find_module
from coldprof.sandbox import InvokeResult
from coldprof.sandbox.interpreter import BARE_ENV
from coldprof.sandbox.process import run_to_end
from coldprof.sandbox.usage import LazyBinding

PROBE_TIMEOUT_S = 60.0
PROBE_MODULE = "colorsys"  # small, pure Python, never imported at start-up
IMPORTED = f"import sys\nprint({PROBE_MODULE!r} in sys.modules)"  # prints whether it was imported
PROBES = {  # a module-level import each mode makes lazy (`lazy` is a syntax error before 3.15)
    "all": f"import {PROBE_MODULE}\n{IMPORTED}",
    "normal": f"exec('lazy import {PROBE_MODULE}')\n{IMPORTED}",
}


@functools.cache
def defers_imports(executable: str, mode: str) -> bool:
    """True when `executable -X lazy_imports=MODE` leaves a module-level import unresolved."""
    argv = [executable, "-I", "-S", "-B", "-X", f"lazy_imports={mode}", "-c", PROBES[mode]]
    try:
        done = run_to_end(argv, BARE_ENV, PROBE_TIMEOUT_S)
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == "False"


def _resolved_in(binding: LazyBinding, reports: Sequence[tuple[LazyBinding, ...]]) -> int | None:
    """The invocation after which the binding was no longer lazy (None: still lazy after all)."""
    key = (binding.module, binding.name)
    for number, left in enumerate(reports, start=1):
        if key not in {(b.module, b.name) for b in left}:
            return number
    return None


def _cost_ms(invoked: Invoked, number: int, target: str) -> float | None:
    """The median cumulative ms of the target's row in invocation `number` (None: no row)."""
    found = [find_module(root.children, target) for root in invocation_roots(invoked, number)]
    times = [node.cumulative_ms for node in found if node is not None]
    return statistics.median(times) if times else None


def lazy_report(
    mode: str, deferred: bool, usage: Sequence[InvokeResult], invoked: Invoked
) -> LazyImports:
    """The lazy imports left at the end of init, when each was resolved, and its cost then."""
    reports = [result.usage for result in usage if result.usage is not None]
    at_init = (reports[0].lazy_at_init or ()) if reports else ()
    after = [report.lazy for report in reports]
    imports = []
    for binding in at_init:
        number = _resolved_in(binding, after)
        cost_ms = _cost_ms(invoked, number, binding.target) if number else None
        imports.append(
            LazyImport(
                name=binding.target,
                declared_in=binding.module,
                binding=binding.name,
                resolved_in=number,
                cumulative_ms=cost_ms,
            )
        )
    return LazyImports(mode=mode, deferred=deferred, imports=tuple(imports))
