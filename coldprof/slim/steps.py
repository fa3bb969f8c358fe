"""The steps of `slim --drop`, each driven by analyze's findings (rule ids and their paths).

A step names the rules whose findings it acts on; when analyze's rules improve, slim follows.
If a rule is renamed, its id changes in STEP_RULES, and nowhere else.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from coldprof.analyze.pyc import cache_path
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import is_metadata
from coldprof.errors import UsageError
from coldprof.package.model import Package

STEP_RULES: dict[str, tuple[str, ...]] = {
    "tests": ("tests-folder", "own-tests"),
    "docs": ("docs-folder",),
    "examples": ("examples-folder",),
    "c-sources": ("c-sources",),
    "type-stubs": ("type-stubs",),
    "clutter": (
        "unowned-files",
        "bytecode-wrong-version",
        "bytecode-orphan",
        "macos-metadata",
        "vcs-folder",
        "node-modules",
        "infra-template",
    ),
    "runtime-sdk": ("runtime-sdk",),
    "debug-symbols": ("debug-symbols",),
    "unused-files": (),  # files init and the events never loaded: `imports --event` (issue 17)
}
SAFE_STEPS = ("tests", "docs", "examples", "c-sources", "type-stubs", "clutter")
STRIP_STEP = "debug-symbols"
WHOLE_DISTRIBUTIONS = ("runtime-sdk",)  # steps that remove distributions, dist-info included
COMPILE_RULES = ("bytecode-missing", "bytecode-stale", "bytecode-timestamp")
VALID_RULES = ("bytecode-valid",)  # modules whose hash-based .pyc the runtime uses: kept as is
USED_RULES = ("bytecode-valid", "bytecode-timestamp")  # .pyc the runtime uses now: never deleted
ALIASES = {"safe": SAFE_STEPS, "none": ()}


def parse_steps(text: str) -> tuple[str, ...]:
    """`tests,docs` -> the steps, in the order STEP_RULES lists them; `safe` is the safe set."""
    chosen: set[str] = set()
    for name in (part.strip() for part in text.split(",")):
        if name in ALIASES:
            chosen.update(ALIASES[name])
        elif name in STEP_RULES:
            chosen.add(name)
        elif name:
            known = ", ".join([*STEP_RULES, *ALIASES])
            raise UsageError(f"--drop: unknown step {name!r}; use any of {known}")
    return tuple(step for step in STEP_RULES if step in chosen)


@dataclass(frozen=True)
class Plan:
    """What slim does to a package: the files each step removes, what it strips and compiles."""

    removed: dict[str, tuple[str, ...]]  # step -> package paths it removes
    acted: dict[str, tuple[Finding, ...]]  # step -> the findings it acted on
    strip: tuple[str, ...]  # shared objects to strip
    compile: tuple[str, ...]  # module sources to compile for the runtime
    valid: tuple[str, ...]  # modules whose valid .pyc is kept as it is

    def removed_paths(self) -> set[str]:
        """Every path any step removes."""
        return {path for paths in self.removed.values() for path in paths}


class _Files:
    """The paths of a package, sorted, to expand a finding's folder into its files."""

    def __init__(self, package: Package):
        self.paths = sorted(entry.path for entry in package.files)
        self.known = set(self.paths)

    def under(self, path: str) -> list[str]:
        """The file itself, or every file in the folder; nothing for a path not in the package."""
        if path in self.known:
            return [path]
        prefix = path.rstrip("/") + "/"
        start = bisect.bisect_left(self.paths, prefix)
        end = bisect.bisect_left(self.paths, prefix[:-1] + "0")  # "0" sorts right after "/"
        return self.paths[start:end]


def _protected(path: str, step: str) -> bool:
    """Files no step but a whole-distribution one removes: metadata, and .pth files, which
    Lambda's runtime processes in the task root (site.addsitedir, FACTS.md)."""
    if step in WHOLE_DISTRIBUTIONS:
        return False
    return is_metadata(path) or ("/" not in path and path.endswith(".pth"))


def _paths_of(findings: Iterable[Finding], rules: Collection[str]) -> list[str]:
    return [path for f in findings if f.rule in rules for path in f.paths]


def make_plan(
    package: Package,
    findings: Sequence[Finding],
    steps: Sequence[str],
    python: tuple[int, int],
    compile_bytecode: bool,
    unloaded: Collection[str] = (),
) -> Plan:
    """The plan for a package from its findings; `unloaded` feeds the unused-files step."""
    files = _Files(package)
    taken: set[str] = set()
    removed: dict[str, tuple[str, ...]] = {}
    acted: dict[str, tuple[Finding, ...]] = {}
    for step in (s for s in steps if s != STRIP_STEP):
        # a finding that saves nothing is one to keep (pandas needs the runtime's dateutil)
        acted[step] = tuple(f for f in findings if f.rule in STEP_RULES[step] and f.bytes > 0)
        wanted = _paths_of(acted[step], STEP_RULES[step])
        wanted += sorted(unloaded) if step == "unused-files" else []
        found = [p for path in wanted for p in files.under(path) if not _protected(p, step)]
        removed[step] = tuple(sorted(set(found) - taken))
        taken.update(removed[step])
    _keep_used_bytecode(removed, taken, _paths_of(findings, USED_RULES), python)
    valid = [p for p in _paths_of(findings, VALID_RULES) if p not in taken]
    strip: list[str] = []
    if STRIP_STEP in steps:
        acted[STRIP_STEP] = tuple(f for f in findings if f.rule in STEP_RULES[STRIP_STEP])
        strip = [p for p in _paths_of(acted[STRIP_STEP], STEP_RULES[STRIP_STEP]) if p not in taken]
    sources = _paths_of(findings, COMPILE_RULES) if compile_bytecode else []
    compiled = sorted({p for p in sources if p in files.known and p not in taken})
    return Plan(removed, acted, tuple(sorted(set(strip))), tuple(compiled), tuple(sorted(valid)))


def _keep_used_bytecode(
    removed: dict[str, tuple[str, ...]], taken: set[str], used: list[str], python: tuple[int, int]
) -> None:
    """Put back any .pyc the runtime uses that a step would remove while its source stays."""
    keep = {cache_path(source, python) for source in used if source not in taken} & taken
    for step, paths in removed.items():
        removed[step] = tuple(p for p in paths if p not in keep)
    taken.difference_update(keep)
