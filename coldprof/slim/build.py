"""Building the slimmed package in a scratch folder: copy what stays, strip, compile, RECORD."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from coldprof.analyze.model import Context
from coldprof.analyze.pyc import cache_path
from coldprof.function import FunctionConfig
from coldprof.results import Note
from coldprof.sandbox.interpreter import InterpreterInfo
from coldprof.slim.archive import copy_file, copy_files, executable_paths, settle
from coldprof.slim.bytecode import compile_modules
from coldprof.slim.record import rewrite_records
from coldprof.slim.steps import Plan
from coldprof.slim.strip import Stripped, strip_command, strip_files

STRIPPED = ("elf", "imports")  # the checks of a file left stripped
Stage = Callable[[str], Callable[[int, int], None]]  # a stage's name -> its progress callback


@dataclass(frozen=True)
class Target:
    """What the build reads and for what: the scanned package, the function, its runtime."""

    context: Context
    function: FunctionConfig  # as the user gave it, its interpreter found
    original: FunctionConfig  # ready to run: the target as a folder (a zip extracted)
    bytecode: str  # "unchecked-hash", "checked-hash" or "none"
    links: dict[str, str] = field(default_factory=dict)  # link path -> the file it holds
    secrets: tuple[str, ...] = ()  # secret-file paths copied because the user kept them

    @property
    def interpreter(self) -> InterpreterInfo:
        """The runtime's interpreter: it compiles, and it runs the handler."""
        return self.function.interpreter()


@dataclass
class Built:
    """What building did besides removing files."""

    stripped: list[Stripped] = field(default_factory=list)
    compiled: list[str] = field(default_factory=list)  # .pyc paths written
    compiled_bytes: int = 0
    failed: list[str] = field(default_factory=list)  # modules that did not compile
    records: int = 0
    notes: list[Note] = field(default_factory=list)
    executables: frozenset[str] = frozenset()  # paths executable in the target: 0755
    links: list[str] = field(default_factory=list)  # link paths copied as the files they hold


def build(target: Target, plan: Plan, root: Path, stage: Stage) -> Built:
    """Write the slimmed package under root (a new, empty folder)."""
    package = target.context.packages[0]
    removed = plan.removed_paths()
    kept = [entry.path for entry in package.files if entry.path not in removed]
    executables = frozenset(executable_paths(package))
    copy_files(package, kept, root, executables, stage("copying"))
    built = Built(executables=executables)
    built.links = _copy_links(target, plan, root, executables)
    if plan.strip:
        _strip(target, plan, root, built)
    owned_new = _compile(target, plan, root, built, stage) if plan.compile else {}
    present = frozenset(kept) | frozenset(built.compiled)
    new = {s.path for s in built.stripped if s.check in STRIPPED} | set(built.compiled)
    built.records = rewrite_records(root, target.context.distributions, present, new, owned_new)
    settle(root, executables)
    return built


def _copy_links(target: Target, plan: Plan, root: Path, executables: frozenset[str]) -> list:
    """Copy each link inside the package as the file it holds, unless a step removed that file
    or the folder the link is in."""
    removed = plan.removed_paths()
    acted = {path for findings in plan.acted.values() for f in findings for path in f.paths}
    package, copied = target.context.packages[0], []
    for link, source in sorted(target.links.items()):
        if source in removed or any(link == p or link.startswith(f"{p}/") for p in acted):
            continue
        copy_files(package, [source], root, executables, lambda done, total: None, [link])
        copied.append(link)
    return copied


def _compile(target: Target, plan: Plan, root: Path, built: Built, stage: Stage) -> dict:
    """Compile the plan's modules; distribution key -> the .pyc written for its modules."""
    info, package = target.interpreter, target.context.packages[0]
    tick = stage("compiling")
    built.compiled, built.failed = compile_modules(info, root, plan.compile, target.bytecode, tick)
    built.compiled_bytes = sum((root / pyc).stat().st_size for pyc in built.compiled)
    source_of = {cache_path(source, info.version): source for source in plan.compile}
    owned_new: dict[str, list[str]] = defaultdict(list)
    for pyc in built.compiled:
        owner = target.context.owner(package, source_of[pyc])
        if owner is not None:
            owned_new[owner].append(pyc)
    return owned_new


def _strip(target: Target, plan: Plan, root: Path, built: Built) -> None:
    """Strip the shared objects of the debug-symbols step (a note when no tool is installed)."""
    command = strip_command()
    if command is None:
        built.notes.append(Note("no-strip-tool", {"files": len(plan.strip)}))
        return
    package = target.context.packages[0]

    def restore(path: str) -> None:
        (root / path).unlink()
        copy_file(package, path, root / path, path in built.executables)

    info = target.interpreter
    runtime = (info.executable, info.version, target.function.arch)
    roots = (target.original.target, root)
    built.stripped = strip_files(command, plan.strip, roots, runtime, restore)
