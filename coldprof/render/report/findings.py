"""Every finding as a row with the bytes and the ms acting on it would save.

Analyze findings carry the bytes; the ms come from an imports result when there is one: a
finding about missing or stale bytecode gets the ms imports measured for that distribution,
and distributions whose bytecode costs time but no analyze finding names are listed too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from packaging.utils import canonicalize_name

from coldprof.analyze.result import AnalyzeResult
from coldprof.check.budgets import BYTECODE_RULES  # modules compiled at every cold start
from coldprof.imports.result import ImportsResult
from coldprof.render import layout
from coldprof.render.layout import Section
from coldprof.render.report.entries import Entry
from coldprof.render.units import ms, size

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
HEADERS = ["source", "severity", "rule", "distribution", "saves bytes", "saves ms", "advice"]
MIN_BYTECODE_SAVING_MS = 1.0
# Module categories of imports whose bytecode the package cannot ship.
NOT_SHIPPED = {"standard library", "built-in", "runtime SDK", "not found"}
BYTECODE_ADVICE = "ship .pyc files compiled for the target runtime (compileall)"


def bytecode_ms(result: ImportsResult) -> dict[str, float]:
    """Per distribution in the package, the ms shipping valid bytecode would save."""
    saving: dict[str, float] = defaultdict(float)
    for module in result.modules:
        if module.category not in NOT_SHIPPED:
            saving[module.distribution] += module.bytecode_saving_ms or 0.0
    return saving


def _analyze_rows(entry: Entry, saving_by_key: dict[str, float]) -> list[list]:
    """An analyze result's findings; the first bytecode one of a distribution gets its ms."""
    result: AnalyzeResult = entry.result
    found = []
    for f in result.findings:
        owner = f.distribution or ""
        slow = f.rule in BYTECODE_RULES
        saved_ms = saving_by_key.pop(canonicalize_name(owner), None) if slow else None
        saved = size(f.bytes) if f.bytes else "-"
        row = [entry.source, f.severity, f.rule, owner or "-", saved]
        found.append([*row, ms(saved_ms) if saved_ms else "-", f.message])
    return found


def _bytecode_rows(entry: Entry, covered: set[str]) -> list[list]:
    """Distributions whose missing bytecode costs time, from imports, not already listed."""
    found = []
    for owner, saved_ms in sorted(bytecode_ms(entry.result).items(), key=lambda kv: -kv[1]):
        if canonicalize_name(owner) in covered or saved_ms < MIN_BYTECODE_SAVING_MS:
            continue
        row = [entry.source, "warning", "bytecode", owner or "-", "-", ms(saved_ms)]
        found.append([*row, BYTECODE_ADVICE])
    return found


def finding_rows(entries: Sequence[Entry]) -> list[list]:
    """Every finding, most severe first, with the bytes and ms acting on it saves."""
    timed = [e for e in entries if e.kind == "imports"]
    saving = bytecode_ms(timed[0].result) if timed else {}
    saving_by_key = {canonicalize_name(owner): saved for owner, saved in saving.items()}
    found = [row for e in entries if e.kind == "analyze" for row in _analyze_rows(e, saving_by_key)]
    covered = {canonicalize_name(row[3]) for row in found if row[2] in BYTECODE_RULES}
    for entry in timed:
        found += _bytecode_rows(entry, covered)
    return sorted(found, key=lambda row: SEVERITY_ORDER.get(row[1], 3))


def findings_section(entries: Sequence[Entry]) -> Section:
    """The findings table of a report."""
    return layout.table("Findings", HEADERS, finding_rows(entries))
