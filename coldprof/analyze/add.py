"""`analyze --add`: what a dependency would cost before it is added, from a real install.

pip resolves and installs the requested packages into a scratch folder for the target
(`pip install --target --platform ... --python-version ... --only-binary=:all:`), pinned to
the versions the package already holds where it holds them; the distributions the package (or
a layer) already holds are left out, the rest is measured as analyze measures a package.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from coldprof.analyze.add_init import measure_added_init
from coldprof.analyze.model import Context, Distribution, Runtime
from coldprof.analyze.owners import find_distributions, owner_map
from coldprof.analyze.result import Added, AddedConflict, AddedDistribution, AddedInit, Limit
from coldprof.analyze.rules.wheels import target_platforms
from coldprof.analyze.runtime import runtime_sdk_keys
from coldprof.errors import TargetError, UsageError
from coldprof.function import FunctionConfig
from coldprof.package import open_package
from coldprof.package.model import Package
from coldprof.render.units import seconds
from coldprof.sandbox.process import run_to_end

PIP_TIMEOUT_S = 900.0
PIP_RETRIES = "1"
PIP_NETWORK_TIMEOUT_S = "30"
OFFLINE_SIGNS = (  # what pip's stderr holds when the index cannot be reached
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "ProxyError",
    "ConnectTimeout",
    "ReadTimeoutError",
    "SSLError",
    "Network is unreachable",
)


def parse_requirements(texts: Sequence[str]) -> list[Requirement]:
    """PACKAGE[==VERSION] (any PEP 508 requirement without a URL); UsageError naming the bad one."""
    found = []
    for text in texts:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            requirement = None
        if requirement is None or requirement.url or text.lstrip().startswith("-"):
            raise UsageError(
                f"--add {text!r}: expected a package name, like requests or pyyaml==6.0.2"
            )
        found.append(requirement)
    return found


def other_versions(
    requirements: Sequence[Requirement], distributions: Sequence[Distribution]
) -> list[AddedConflict]:
    """Requirements naming a distribution the package holds at a version they exclude."""
    held = {d.key: d for d in distributions}
    conflicts = []
    for requirement in requirements:
        dist = held.get(canonicalize_name(requirement.name))
        if dist is not None and not requirement.specifier.contains(dist.version, prereleases=True):
            conflicts.append(
                AddedConflict(
                    code="other-version",
                    distribution=dist.name,
                    held_version=dist.version,
                    requirement=str(requirement),
                )
            )
    return conflicts


def files_present(installed: Installed, package: Package) -> list[AddedConflict]:
    """The files the additions bring that the function package holds already."""
    present = {entry.path for entry in package.files}
    names = {d.key: d.name for d in installed.added}
    return [
        AddedConflict(code="file-present", distribution=names.get(key, ""), path=path)
        for key in [*names, ""]
        for path in installed.files.get(key, [])
        if path in present
    ]


def pinned(distributions: Sequence[Distribution]) -> str:
    """A pip constraints file pinning the versions the package already holds."""
    lines = []
    for dist in distributions:
        try:
            lines.append(str(Requirement(f"{dist.key}=={dist.version}")))
        except InvalidRequirement:
            continue  # a version pip could not pin (empty, or not PEP 440)
    return "\n".join(sorted(set(lines))) + "\n"


def pip_command(
    requirements: Sequence[str], runtime: Runtime, arch: str, folder: Path, constraints: Path
) -> list[str]:
    """pip install --target for the Lambda runtime and architecture, wheels only."""
    version = f"{runtime.version[0]}.{runtime.version[1]}"
    platforms = [arg for p in target_platforms(runtime.glibc, arch) for arg in ("--platform", p)]
    return [
        *[sys.executable, "-m", "pip", "install", "--target", str(folder), "--no-compile"],
        *["--only-binary=:all:", "--implementation", "cp", "--python-version", version],
        *platforms,
        *["--constraint", str(constraints), "--disable-pip-version-check", "--no-input"],
        *["--quiet", "--retries", PIP_RETRIES, "--timeout", PIP_NETWORK_TIMEOUT_S],
        "--",
        *requirements,
    ]


def pip_failure(stderr: str, asked: str, target: str) -> str:
    """The one line that says why pip could not install `asked` for `target`."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if any(sign in stderr for sign in OFFLINE_SIGNS):
        return (
            f"--add {asked}: cannot reach the package index (no network, or a proxy refused); "
            f"pip could not resolve it for {target}"
        )
    if "No module named pip" in stderr:
        return f"--add {asked}: pip is not installed for {sys.executable}"
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    why = (errors or lines or ["pip failed without saying why"])[-1]
    return f"--add {asked}: pip could not install it for {target}: {why}"


def install(requirements: Sequence[str], context: Context, scratch: Path) -> Path:
    """Install the requirements for the target into a layer under scratch; its python/ folder
    (TargetError: one line why not)."""
    folder, constraints = scratch / "layer" / "python", scratch / "constraints.txt"
    constraints.write_text(pinned(context.distributions), encoding="utf-8")
    command = pip_command(requirements, context.runtime, context.arch, folder, constraints)
    done = run_to_end(command, os.environ, PIP_TIMEOUT_S)
    asked = " ".join(requirements)
    if done.returncode is None:
        raise TargetError(f"--add {asked}: pip did not finish within {seconds(PIP_TIMEOUT_S)}")
    if done.returncode != 0:
        target = f"{context.runtime.name} {context.arch}"
        raise TargetError(pip_failure(done.stderr, asked, target))
    return folder


@dataclass(frozen=True)
class Installed:
    """What pip installed: the distributions the package lacks, those it holds, their files."""

    package: Package
    added: list[Distribution]
    held: list[Distribution]
    files: dict[str, list[str]]  # distribution key -> the files it owns; "" -> nobody's

    def added_paths(self) -> list[str]:
        """The files the additions bring (nobody's files included)."""
        return [p for d in self.added for p in self.files.get(d.key, [])] + self.files.get("", [])

    def held_paths(self) -> list[str]:
        """The files of distributions the package already holds."""
        return [p for d in self.held for p in self.files.get(d.key, [])]


def read_install(folder: Path, context: Context) -> Installed:
    """The install read as a package, split by what the analysed package already holds."""
    package = open_package(folder, "added")
    distributions = find_distributions(package, context.runtime, context.arch)
    owners = owner_map([package], distributions)
    files: dict[str, list[str]] = {}
    for entry in package.files:
        files.setdefault(owners.get((package.name, entry.path), ""), []).append(entry.path)
    held = {d.key for d in context.distributions}
    added = [d for d in distributions if d.key not in held]
    return Installed(package, added, [d for d in distributions if d.key in held], files)


def _row(
    dist: Distribution, paths: list[str], sizes: dict, requested: set[str]
) -> AddedDistribution:
    return AddedDistribution(
        name=dist.name,
        version=dist.version,
        files=len(paths),
        unzipped_bytes=sum(sizes[p][0] for p in paths),
        zipped_bytes=sum(sizes[p][1] for p in paths),
        requested=dist.key in requested,
        runtime_provided=dist.key in runtime_sdk_keys(),
    )


def with_additions(limits: Sequence[Limit], zipped_bytes: int, unzipped_bytes: int) -> list[Limit]:
    """Analyze's limits again, with the added bytes (zipped limits get the zipped bytes)."""
    changed = []
    for limit in limits:
        actual = limit.actual_bytes
        actual += zipped_bytes if limit.name.startswith("zipped") else 0
        actual += unzipped_bytes if limit.name.startswith("unzipped") else 0
        headroom = limit.limit_bytes - actual
        changed.append(
            replace(limit, actual_bytes=actual, headroom_bytes=headroom, ok=headroom >= 0)
        )
    return changed


def function_of(context: Context, handler: str) -> FunctionConfig:
    """The analysed package as a function with that handler, for the target runtime."""
    function, *layers = context.packages
    return FunctionConfig(
        target=Path(function.location),
        handler=handler,
        layers=tuple(Path(layer.location) for layer in layers),
        runtime=context.runtime.name,
        arch=context.arch,
    )


def _top_level(distributions: Sequence[Distribution], requested: set[str]) -> tuple[str, ...]:
    """The import names the requested distributions provide: what a handler would import."""
    names = {name for d in distributions if d.key in requested for name in d.top_level}
    return tuple(sorted(n for n in names if all(part.isidentifier() for part in n.split("."))))


def _remove(folder: Path, paths: Sequence[str]) -> None:
    """Delete files of the install (what the package already holds: its copy is the one used)."""
    for path in paths:
        (folder / path).unlink(missing_ok=True)


def added_cost(
    context: Context,
    limits: Sequence[Limit],
    texts: Sequence[str],
    handler: str | None = None,
    repeat: int = 5,
) -> Added:
    """What adding the requirements would add to the package (and to init, with a handler);
    a requirement for another version of a held distribution is a conflict, not installed."""
    requirements = parse_requirements(texts)
    conflicts = other_versions(requirements, context.distributions)
    refused = {c.requirement for c in conflicts}
    wanted = [r for r in requirements if str(r) not in refused]
    requested = {canonicalize_name(r.name) for r in wanted}
    init = None
    with tempfile.TemporaryDirectory(prefix="coldprof-add-") as scratch:
        folder = Path(scratch) / "layer" / "python"
        folder.mkdir(parents=True)
        if wanted:
            install([str(r) for r in wanted], context, Path(scratch))
        installed = read_install(folder, context)
        conflicts += files_present(installed, context.packages[0])
        if handler is not None and wanted:
            _remove(folder, installed.held_paths())
            modules = _top_level(installed.added, requested)
            init = measure_added_init(function_of(context, handler), folder.parent, modules, repeat)
    record = _record(context, limits, texts, installed, requested, init)
    return replace(record, conflicts=tuple(conflicts))


def _record(
    context: Context,
    limits: Sequence[Limit],
    texts: Sequence[str],
    installed: Installed,
    requested: set[str],
    init: AddedInit | None,
) -> Added:
    sizes = {e.path: (e.unzipped_bytes, e.zipped_bytes) for e in installed.package.files}
    paths = installed.added_paths()
    unzipped, zipped = (sum(sizes[path][i] for path in paths) for i in (0, 1))
    rows = [_row(d, installed.files.get(d.key, []), sizes, requested) for d in installed.added]
    return Added(
        requirements=tuple(texts),
        python_version=f"{context.runtime.version[0]}.{context.runtime.version[1]}",
        platforms=tuple(target_platforms(context.runtime.glibc, context.arch)),
        files=len(paths),
        unzipped_bytes=unzipped,
        zipped_bytes=zipped,
        distributions=tuple(sorted(rows, key=lambda r: (-r.unzipped_bytes, r.name))),
        already_present=tuple(sorted(f"{d.name} {d.version}" for d in installed.held)),
        limits=tuple(with_additions(limits, zipped, unzipped)),
        init=init,
    )
