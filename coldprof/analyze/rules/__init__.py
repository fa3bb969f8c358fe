"""The finding rules of `coldprof analyze`: small, named, pure functions of the Context.

A rule reads the packages (never importing or running their code) and returns findings.
Adding one is writing a function in a module here and listing it in RULES.
"""

from __future__ import annotations

from collections.abc import Callable

from coldprof.analyze.model import Context
from coldprof.analyze.result import SEVERITIES, Finding
from coldprof.analyze.rules.bytecode import bytecode
from coldprof.analyze.rules.clutter import (
    c_sources,
    shipped_docs,
    shipped_examples,
    shipped_testing,
    shipped_tests,
    type_stubs,
)
from coldprof.analyze.rules.debug_symbols import debug_symbols
from coldprof.analyze.rules.dependencies import missing_dependency
from coldprof.analyze.rules.duplicates import duplicate_libs, duplicate_top_level
from coldprof.analyze.rules.extensions import incompatible_extension
from coldprof.analyze.rules.handler import handler_checks
from coldprof.analyze.rules.layers import layer_paths
from coldprof.analyze.rules.leftovers import LEFTOVER_RULES
from coldprof.analyze.rules.permissions import unreadable_by_lambda
from coldprof.analyze.rules.pth import pth_file
from coldprof.analyze.rules.runtime_dates import runtime_standing
from coldprof.analyze.rules.sdk import runtime_sdk
from coldprof.analyze.rules.unowned import unowned_files
from coldprof.analyze.rules.wheels import incompatible_wheel

Rule = Callable[[Context], list[Finding]]

RULES: list[Rule] = [
    missing_dependency,
    handler_checks,
    layer_paths,
    unreadable_by_lambda,
    runtime_standing,
    runtime_sdk,
    shipped_tests,
    shipped_testing,
    shipped_docs,
    shipped_examples,
    c_sources,
    type_stubs,
    bytecode,
    incompatible_extension,
    incompatible_wheel,
    debug_symbols,
    duplicate_top_level,
    duplicate_libs,
    unowned_files,
    pth_file,
    *LEFTOVER_RULES,
]


def _order(finding: Finding) -> tuple:
    return (
        SEVERITIES.index(finding.severity) if finding.severity == "error" else len(SEVERITIES),
        -finding.bytes,
        SEVERITIES.index(finding.severity),
        finding.rule,
        finding.distribution or "",
        finding.paths,
    )


def run_rules(context: Context, rules: list[Rule] = RULES) -> tuple[Finding, ...]:
    """Every rule's findings: errors first, then the largest saving first."""
    return tuple(sorted((f for rule in rules for f in rule(context)), key=_order))
