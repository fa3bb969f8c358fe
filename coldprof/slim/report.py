"""Turning a build and its proof into the slim result record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coldprof.results import Note, display_path
from coldprof.slim.build import STRIPPED, Built, Target
from coldprof.slim.proof import init_comparison, init_gain
from coldprof.slim.result import (
    Bytecode,
    ResponseCheck,
    Side,
    SlimResult,
    StepRow,
    StrippedFile,
)
from coldprof.slim.steps import STEP_RULES, STRIP_STEP, Plan

if TYPE_CHECKING:
    from coldprof.slim.run import SlimOptions


def _paths(plan: Plan, step: str) -> tuple[str, ...]:
    """The finding paths a step acted on (the files themselves for unused-files)."""
    acted = [path for finding in plan.acted.get(step, ()) for path in finding.paths]
    if step == "unused-files":
        acted = list(plan.removed[step])
    return tuple(sorted({display_path(path) for path in acted}))


def step_rows(target: Target, plan: Plan, built: Built, steps: tuple[str, ...]) -> list[StepRow]:
    """One row per step asked for: the files it took out and the bytes they held."""
    sizes = {entry.path: entry.unzipped_bytes for entry in target.context.packages[0].files}
    rows = []
    for step in steps:
        if step == STRIP_STEP:
            done = [s for s in built.stripped if s.check in STRIPPED]
            files, saved = len(done), sum(s.before_bytes - s.after_bytes for s in done)
        else:
            files, saved = len(plan.removed[step]), sum(sizes[p] for p in plan.removed[step])
        paths = _paths(plan, step)
        rows.append(
            StepRow(
                step=step, rules=STEP_RULES[step], files=files, unzipped_bytes=saved, paths=paths
            )
        )
    return rows


def skipped_notes(target: Target) -> list[Note]:
    """What the target holds that slim did not copy: FIFOs, sockets, unsafe zip entries (links
    inside the package are copied as the files they hold, or removed with their folder); and
    the secret files the user chose to keep."""
    kept = [Note("secrets-kept", {"paths": list(target.secrets)})] if target.secrets else []
    package = target.context.packages[0]
    skipped = [s for s in package.skipped if s.code != "link-inside"]
    if not skipped:
        return kept
    first = skipped[0]
    values = {
        "entries": len(skipped),
        "first": display_path(first.path),
        "code": first.code,
        "values": first.values,
    }
    return [*kept, Note("not-copied", values)]


def bytecode_record(target: Target, plan: Plan, built: Built) -> Bytecode:
    """What was compiled, by which interpreter, and what was kept."""
    info = target.interpreter
    return Bytecode(
        mode=target.bytecode,
        python=info.executable,
        python_version=f"{info.version[0]}.{info.version[1]}",
        compiled=len(built.compiled),
        unzipped_bytes=built.compiled_bytes,
        kept=len(plan.valid),
        failed=tuple(display_path(path) for path in built.failed),
    )


def slim_result(
    target: Target,
    options: SlimOptions,
    plan: Plan,
    built: Built,
    sides: tuple[Side, Side],
    response: ResponseCheck,
    init_samples: tuple[list[float], list[float]],
) -> SlimResult:
    """The result record; ok when the slimmed handler starts and answers as the original."""
    function, (before, after) = target.function, sides
    info = target.interpreter
    return SlimResult(
        target=str(function.target),
        output=None,
        check=options.check,
        handler=str(function.handler),
        runtime=str(function.runtime),
        arch=function.arch,
        python=info.executable,
        python_version=f"{info.version[0]}.{info.version[1]}",
        repeat=options.repeat,
        steps=tuple(step_rows(target, plan, built, options.drop)),
        bytecode=bytecode_record(target, plan, built),
        stripped=tuple(
            StrippedFile(
                path=display_path(s.path),
                before_bytes=s.before_bytes,
                after_bytes=s.after_bytes,
                check=s.check,
            )
            for s in built.stripped
        ),
        records_rewritten=built.records,
        before=before,
        after=after,
        init=init_comparison(*init_samples),
        init_gain=init_gain(*init_samples),
        response=response,
        notes=tuple(built.notes + skipped_notes(target)),
        ok=response.equal and before.init_ms is not None and after.init_ms is not None,
    )
