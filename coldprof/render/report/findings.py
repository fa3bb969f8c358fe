"""Every finding as a row with the bytes and the ms acting on it would save.

Analyze findings carry the bytes, and missing or stale bytecode its estimated compile ms; an
imports result, when there is one, measured better: a bytecode finding gets the ms imports
measured for the distributions it names, and distributions whose bytecode costs time but no
analyze finding names are listed too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from packaging.utils import canonicalize_name

from coldprof.analyze.result import AnalyzeResult, Finding
from coldprof.check.budgets import BYTECODE_RULES  # modules compiled at every cold start
from coldprof.imports.result import ImportsResult
from coldprof.render import finding_words, layout
from coldprof.render.layout import Section
from coldprof.render.report.entries import Entry
from coldprof.render.units import ms, size

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
HEADERS = [
    "source",
    "severity",
    "rule",
    "distribution",
    "saves bytes",
    "saves ms",
    "finding: advice",
]
MIN_BYTECODE_SAVING_MS = 1.0
SHOWN_OWNERS = 3
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


def owners(finding: Finding) -> list[str]:
    """The distributions a finding is about: its own, or those a package-wide one names."""
    return [finding.distribution] if finding.distribution else list(finding.distributions)


def _saved_ms(finding: Finding, saving_by_key: dict[str, float]) -> float | None:
    """The ms imports measured for a bytecode finding's distributions (each once), else its own."""
    if finding.rule not in BYTECODE_RULES:
        return finding.ms
    measured = [saving_by_key.pop(canonicalize_name(o), None) for o in owners(finding)]
    found = [value for value in measured if value is not None]
    return sum(found) if found else finding.ms


def _analyze_rows(entry: Entry, saving_by_key: dict[str, float]) -> list[list]:
    """An analyze result's findings, with the bytes and ms acting on each saves."""
    result: AnalyzeResult = entry.result
    found = []
    for f in result.findings:
        saved_ms = _saved_ms(f, saving_by_key)
        shown = ", ".join(owners(f)[:SHOWN_OWNERS]) + (
            " ..." if len(owners(f)) > SHOWN_OWNERS else ""
        )
        saved = size(f.bytes) if f.bytes else "-"
        row = [entry.source, f.severity, f.rule, shown or "-", saved]
        said, advice = finding_words.found(f), finding_words.advice(f)
        text = f"{said}: {advice}" if advice else said
        found.append([*row, ms(saved_ms) if saved_ms else "-", text])
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
    analyses = [e for e in entries if e.kind == "analyze"]
    found = [row for e in analyses for row in _analyze_rows(e, saving_by_key)]
    covered = {
        canonicalize_name(owner)
        for e in analyses
        for f in e.result.findings
        if f.rule in BYTECODE_RULES
        for owner in owners(f)
    }
    for entry in timed:
        found += _bytecode_rows(entry, covered)
    return sorted(found, key=lambda row: SEVERITY_ORDER.get(row[1], 3))


def findings_section(entries: Sequence[Entry]) -> Section:
    """The findings table of a report."""
    return layout.table("Findings", HEADERS, finding_rows(entries))
