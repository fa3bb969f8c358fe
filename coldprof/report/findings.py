"""Every finding as a row with the bytes and the ms acting on it would save.

Analyze findings carry the bytes; the ms come from an imports document when there is one:
a finding about missing or stale bytecode gets the ms imports measured for that distribution,
and distributions whose bytecode costs time but no analyze finding names are listed too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from coldprof.check.budgets import BYTECODE_RULES  # modules compiled at every cold start
from coldprof.report.load import Document, get, number, rows, text
from coldprof.report.tree import normalize
from coldprof.report.units import Table, duration, size

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
HEADERS = ["source", "severity", "rule", "distribution", "saves bytes", "saves ms", "advice"]
MIN_BYTECODE_SAVING_MS = 1.0
# Module categories of imports whose bytecode the package cannot ship.
NOT_SHIPPED = {"standard library", "built-in", "runtime SDK", "not found"}
BYTECODE_ADVICE = "ship .pyc files compiled for the target runtime (compileall)"


def _bytecode_ms(document: Document) -> dict[str, float]:
    """Per distribution in the package, the ms shipping valid bytecode would save (imports)."""
    saving: dict[str, float] = defaultdict(float)
    for module in rows(document.data, "modules"):
        if text(get(module, "category")) in NOT_SHIPPED:
            continue
        owner = text(get(module, "distribution"))
        saving[owner] += number(get(module, "bytecode_saving_ms")) or 0.0
    return saving


def _analyze_findings(document: Document, saving: dict[str, float]) -> list[list]:
    """An analyze document's findings; bytecode ones get the ms imports measured for them."""
    saving_by_key = {normalize(owner): saved for owner, saved in saving.items()}
    found = []
    for finding in rows(document.data, "findings"):
        rule = text(get(finding, "rule"), "?")
        owner = text(get(finding, "distribution"))
        saved_bytes = number(get(finding, "bytes")) or 0
        # A distribution's measured ms go to its first such bytecode finding only.
        slow = rule in BYTECODE_RULES
        saved_ms = saving_by_key.pop(normalize(owner), None) if slow else None
        found.append(
            [
                document.source,
                text(get(finding, "severity"), "info"),
                rule,
                owner or "-",
                size(saved_bytes) if saved_bytes else "-",
                duration(saved_ms) if saved_ms else "-",
                text(get(finding, "message")),
            ]
        )
    return found


def _bytecode_findings(document: Document, covered: set[str]) -> list[list]:
    """Distributions whose missing bytecode costs time, from imports, not already listed."""
    found = []
    for owner, saved_ms in sorted(_bytecode_ms(document).items(), key=lambda kv: -kv[1]):
        if normalize(owner) in covered or saved_ms < MIN_BYTECODE_SAVING_MS:
            continue
        row = [document.source, "warning", "bytecode", owner or "-", "-", duration(saved_ms)]
        found.append([*row, BYTECODE_ADVICE])
    return found


def finding_rows(documents: Sequence[Document]) -> Table:
    """Every finding, most severe first, with the bytes and ms acting on it saves."""
    timed = [d for d in documents if d.kind == "imports"]
    saving = _bytecode_ms(timed[0]) if timed else {}
    found = [row for d in documents if d.kind == "analyze" for row in _analyze_findings(d, saving)]
    covered = {normalize(row[3]) for row in found if row[2] in BYTECODE_RULES}
    for document in timed:
        found += _bytecode_findings(document, covered)
    found.sort(key=lambda row: SEVERITY_ORDER.get(row[1], 3))
    return HEADERS, found
