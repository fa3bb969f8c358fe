"""`slim()`: a new, smaller package built from analyze's findings, and the proof that it is
better, measured side by side in one run. The target is only ever read."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coldprof.analyze import scan
from coldprof.analyze.result import Finding
from coldprof.analyze.rules import run_rules
from coldprof.analyze.runtime import runtime_named
from coldprof.errors import TargetError, UsageError
from coldprof.function import FunctionConfig, environment_spec, prepare
from coldprof.imports.runs import usage_run
from coldprof.imports.unloaded import loaded_files, unloaded_paths
from coldprof.package.model import Package
from coldprof.results import Note, display_path
from coldprof.slim import proof
from coldprof.slim.archive import write_zip
from coldprof.slim.build import Stage, Target, build
from coldprof.slim.bytecode import MODES
from coldprof.slim.links import link_copies
from coldprof.slim.output import is_zip, publish_folder, publish_zip, refuse_bad_output
from coldprof.slim.report import slim_result
from coldprof.slim.result import SlimResult
from coldprof.slim.steps import SAFE_STEPS, STEP_RULES, Plan, make_plan

Progress = Callable[[str, int, int], None]  # (stage, done, total)
SHOWN_SECRETS = 3


@dataclass(frozen=True, kw_only=True)
class SlimOptions:
    """What to slim and how; the function itself is a FunctionConfig."""

    output: Path | None = None  # OUT.zip or OUT/ (a folder); None only with check
    drop: tuple[str, ...] = SAFE_STEPS
    bytecode: str = "unchecked-hash"  # or "checked-hash", "none"
    event: Any = field(default_factory=dict)  # the event both sides must answer alike
    repeat: int = 5  # fresh environments per side
    check: bool = False  # measure everything, write nothing
    keep_secrets: bool = False  # copy files analyze calls secret-file (refused otherwise)
    # The package paths that init and the event never loaded; the unused-files step removes them.
    # None: measured by slim itself, in a run apart watching the original package on `event`.
    unloaded_files: frozenset[str] | None = None


def _refuse_bad_options(function: FunctionConfig, options: SlimOptions) -> None:
    if options.bytecode not in MODES:
        raise UsageError(f"--bytecode: use one of {', '.join(MODES)}, not {options.bytecode!r}")
    unknown = [step for step in options.drop if step not in STEP_RULES]
    if unknown:
        raise UsageError(f"unknown step {unknown[0]!r}; the steps are {', '.join(STEP_RULES)}")
    if options.repeat < 1:
        raise UsageError(f"--repeat must be at least 1, not {options.repeat}")
    if "unused-files" in options.drop and function.runtime_client == "awslambdaric":
        raise UsageError(
            "--drop unused-files watches which files the handler loads, which AWS's unmodified "
            "client (--runtime-client awslambdaric) cannot show: use --runtime-client coldprof"
        )
    if "runtime-sdk" in options.drop and function.runtime_sdk is None:
        raise UsageError(
            "--drop runtime-sdk needs --runtime-sdk FOLDER (the SDK the runtime provides), so "
            "that the slimmed function can run and be compared"
        )
    if options.output is None and not options.check:
        raise UsageError("name the output: -o OUT.zip or -o OUT/ (or pass --check)")
    if options.output is not None:
        refuse_bad_output(options.output, [function.target, *function.layers])


def refuse_secrets(package: Package, findings: Sequence[Finding], keep: bool) -> tuple[str, ...]:
    """The paths analyze calls secret-file; unless kept on purpose, a one-line refusal naming
    them (never their content)."""
    paths = tuple(path for f in findings if f.rule == "secret-file" for path in f.paths)
    if paths and not keep:
        shown = ", ".join(display_path(path) for path in paths[:SHOWN_SECRETS])
        more = f" and {len(paths) - SHOWN_SECRETS:,} more" if len(paths) > SHOWN_SECRETS else ""
        raise TargetError(
            f"{package.location} holds what looks like secrets ({shown}{more}): slim does not "
            "copy them into a package; remove them from it, or pass --keep-secrets to ship them"
        )
    return paths


def _stage(observer: Progress | None) -> Stage:
    def stage(name: str) -> Callable[[int, int], None]:
        return lambda done, total: observer(name, done, total) if observer else None

    return stage


def slim(
    function: FunctionConfig, options: SlimOptions, observer: Progress | None = None
) -> SlimResult:
    """Slim the function's package into options.output and prove the gain (see the module)."""
    _refuse_bad_options(function, options)
    if function.handler is None:
        raise UsageError("no handler: pass --handler, or set handler in [tool.coldprof]")
    function = function.resolved()
    runtime = runtime_named(str(function.runtime))
    stage = _stage(observer)
    reading = lambda n: stage("reading")(n, 0)  # noqa: E731
    context = scan(
        function.target, (), runtime, function.arch, reading, runtime_sdk=function.runtime_sdk
    )
    compiles = options.bytecode != "none"
    package, findings = context.packages[0], run_rules(context)
    secrets = refuse_secrets(package, findings, options.keep_secrets)
    links = link_copies(package)
    unloaded = _unloaded(function, options, package)
    plan = make_plan(package, findings, options.drop, runtime.version, compiles, unloaded)
    with ExitStack() as stack:
        original = prepare(stack, function)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="coldprof-slim-")))
        target = Target(context, function, original, options.bytecode, links, secrets)
        result = _build_and_prove(target, options, plan, work, stage)
        if "unused-files" in options.drop:
            result = _with_risk(result, plan)
        if result.ok and not options.check and options.output is not None:
            _publish(work, options.output)
            result = dataclasses.replace(result, output=str(options.output))
    return result


def _unloaded(function: FunctionConfig, options: SlimOptions, package: Package) -> frozenset[str]:
    """The package's files the unused-files step removes: as given, else those a run watching
    the original package (init, then the event) never loaded; none without the step."""
    if "unused-files" not in options.drop:
        return frozenset()
    if options.unloaded_files is not None:
        return options.unloaded_files
    init, invoked = usage_run(function, (("event", options.event),))
    if not init.ok:
        error = init.error
        raise UsageError(
            f"--drop unused-files: the handler does not initialise ({error.type}: "
            f"{error.message}), so nothing shows which files it needs"
        )
    return unloaded_paths(package, loaded_files(invoked))


def _with_risk(result: SlimResult, plan: Plan) -> SlimResult:
    """The unused-files step's risk, stated: files one event did not load may be needed."""
    removed = plan.removed.get("unused-files", ())
    note = Note("unused-files-risk", {"files": len(removed)})
    return dataclasses.replace(result, notes=(*result.notes, note))


def _build_and_prove(
    target: Target, options: SlimOptions, plan: Plan, work: Path, stage: Stage
) -> SlimResult:
    """Build the slimmed package under work/, zip it, and measure both sides."""
    root, archive = work / "package", work / "package.zip"
    built = build(target, plan, root, stage)
    write_zip(root, archive, built.executables, stage("zipping"))
    before_spec = environment_spec(target.original)
    after_spec = environment_spec(dataclasses.replace(target.original, target=root))
    response = proof.check_response(before_spec, after_spec, options.event)
    before_ms, after_ms = proof.measure_init(before_spec, after_spec, options.repeat, stage("init"))
    before = proof.side(*proof.package_sizes(target.context.packages[0]), before_ms)
    after = proof.side(*proof.folder_sizes(root, archive), after_ms)
    samples = (before_ms, after_ms)
    return slim_result(target, options, plan, built, (before, after), response, samples)


def _publish(work: Path, output: Path) -> None:
    if is_zip(output):
        publish_zip(work / "package.zip", output)
    else:
        publish_folder(work / "package", output)
