"""Debug symbols stripped from copies of shared objects, each checked to still load.

`strip --strip-unneeded` (or `objcopy --strip-unneeded`) runs on slim's copy, never on the
target's file. Each stripped file must still be a loadable ELF for the target architecture
(the same machine, its dynamic symbol table kept), and an extension module built for the
runtime must still import in a child of the runtime's interpreter when this machine is the
target's architecture. A file that fails a check gets its original back.
"""

from __future__ import annotations

import json
import platform
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from coldprof.analyze.elf import ARCH_MACHINES, MACHINES, ElfError, ElfFile, read_elf
from coldprof.analyze.rules.extensions import CPYTHON_TAG, name_problem
from coldprof.sandbox.process import run_to_end

TOOLS = (("strip", "--strip-unneeded"), ("objcopy", "--strip-unneeded"))
TIMEOUT_S = 120.0
IMPORT_TIMEOUT_S = 300.0
KEEP_BYTES = 4 * 1024 * 1024
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
# Imports each named module from the folder first on sys.path; one JSON line before each
# attempt and one after, so that a module that kills the process is known by its last line.
IMPORTER = """import importlib, json, sys
sys.path.insert(0, sys.argv[1])
for name in sys.argv[2:]:
    print(json.dumps(["try", name]), flush=True)
    try:
        importlib.import_module(name)
        print(json.dumps(["ok", name]), flush=True)
    except BaseException as error:
        print(json.dumps(["failed", name, type(error).__name__]), flush=True)
"""

Restore = Callable[[str], None]  # puts the target's original copy of a path back


@dataclass(frozen=True)
class Stripped:
    """What stripping one file gave: its sizes and its check (see StrippedFile)."""

    path: str
    before_bytes: int
    after_bytes: int
    check: str


def strip_command() -> list[str] | None:
    """strip, else objcopy, as installed; None when neither is."""
    for tool, flag in TOOLS:
        found = shutil.which(tool)
        if found is not None:
            return [found, flag]
    return None


def _elf(path: Path) -> ElfFile | None:
    try:
        with path.open("rb") as stream:
            return read_elf(stream, path.stat().st_size)
    except (OSError, ElfError):
        return None


def loadable(after: ElfFile | None, before: ElfFile, arch: str) -> bool:
    """Whether a stripped ELF still loads as the original did on the target architecture."""
    if after is None or after.machine != ARCH_MACHINES[arch] or after.bits != before.bits:
        return False
    dynamic = {s.name for s in after.sections} >= {".dynsym", ".dynamic"}
    had_dynamic = {s.name for s in before.sections} >= {".dynsym", ".dynamic"}
    return (dynamic or not had_dynamic) and after.debug_bytes == 0


def strip_one(command: Sequence[str], root: Path, path: str, arch: str) -> str:
    """Strip one copy; "elf" when it is still loadable, else why not (the copy is then bad)."""
    file = root / path
    before = _elf(file)
    if before is None:
        return "not-loadable"
    done = run_to_end([*command, str(file)], ENV, TIMEOUT_S)
    if done.returncode != 0:
        return "strip-failed"
    return "elf" if loadable(_elf(file), before, arch) else "not-loadable"


def extension_module(path: str, python: tuple[int, int]) -> str | None:
    """The dotted name of an extension module the runtime would import from this file."""
    *folders, name = path.split("/")
    stem, _, tag = name.partition(".")
    tagged = CPYTHON_TAG.fullmatch("." + tag) is not None or tag in ("abi3.so", "so")
    if not tagged or name_problem(name, python, None):
        return None
    parts = [*folders, stem]
    return ".".join(parts) if all(part.isidentifier() for part in parts) else None


def host_runs(arch: str) -> bool:
    """Whether this machine can load the target architecture's binaries."""
    return MACHINES[ARCH_MACHINES[arch]] == platform.machine()


def _import_round(python: str, root: Path, names: Sequence[str]) -> tuple[set[str], list[str]]:
    """One child importing names in turn: (failed, names it never reached)."""
    done = run_to_end([python, "-I", "-S", "-B", "-c", IMPORTER, str(root), *names],
                      ENV, IMPORT_TIMEOUT_S, KEEP_BYTES)  # fmt: skip
    failed, finished, last = set(), set(), None
    for line in done.stdout.splitlines():
        kind, name, *_ = json.loads(line)
        if kind == "try":
            last = name
        else:
            finished.add(name)
            failed |= {name} if kind == "failed" else set()
    if last is not None and last not in finished:
        failed.add(last)  # it ended the process
        finished.add(last)
    if last is None and names:
        failed.add(names[0])
        finished.add(names[0])
    return failed, [name for name in names if name not in finished]


def import_failures(python: str, root: Path, names: Sequence[str]) -> set[str]:
    """The modules that do not import from root, each tried in a child of the interpreter."""
    failed: set[str] = set()
    pending = list(names)
    while pending:
        more, pending = _import_round(python, root, pending)
        failed |= more
    return failed


def _import_checks(python: str, roots: tuple[Path, Path], modules: dict[str, str]) -> dict:
    """path -> "imports", "import-failed", or "elf" where it did not import unstripped either."""
    names = sorted(modules.values())
    before = import_failures(python, roots[0], names)
    after = import_failures(python, roots[1], [n for n in names if n not in before])
    return {
        path: "elf" if name in before else "import-failed" if name in after else "imports"
        for path, name in modules.items()
    }


def strip_files(
    command: Sequence[str],
    paths: Sequence[str],
    roots: tuple[Path, Path],
    runtime: tuple[str, tuple[int, int], str],
    restore: Restore,
) -> list[Stripped]:
    """Strip each copy under roots[1] and check it; roots[0] is the original package, to tell a
    module that never imported from one stripping broke. `runtime`: interpreter, version, arch."""
    root = roots[1]
    python, version, arch = runtime
    sizes = {path: (root / path).stat().st_size for path in paths}
    checks = {path: strip_one(command, root, path, arch) for path in paths}
    stripped = [path for path, check in checks.items() if check == "elf"]
    modules = {p: name for p in stripped if (name := extension_module(p, version))}
    if modules and host_runs(arch):
        checks.update(_import_checks(python, roots, modules))
    for path, check in checks.items():
        if check not in ("elf", "imports"):
            restore(path)
    return [Stripped(p, sizes[p], (root / p).stat().st_size, checks[p]) for p in paths]
