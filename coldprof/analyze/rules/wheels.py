"""incompatible-wheel: distributions whose WHEEL tags pip would refuse for the target.

The tags come from the WHEEL file's `Tag:` lines; the target accepts what pip accepts on
the Lambda runtime: CPython tags of its version (abi3 included), pure-Python tags, and
manylinux platforms up to the runtime's glibc for the function's architecture.
"""

from __future__ import annotations

import re

from packaging.tags import Tag, compatible_tags, cpython_tags, parse_tag

from coldprof.analyze.model import Context, Distribution, Runtime
from coldprof.analyze.result import Finding

MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
LEGACY_MANYLINUX = {"manylinux2014": (2, 17), "manylinux2010": (2, 12), "manylinux1": (2, 5)}
LINUX_PLATFORM = re.compile(r"(?P<libc>many|musl)linux_(\d+)_(\d+)_(?P<machine>.+)")
MAX_EXPANSIONS = 64  # a hostile WHEEL could compress millions of tags into one line
SHOWN_TAGS = 5


def pip_platform(arch: str) -> str:
    """The platform to ask pip for when building for Lambda (glibc 2.17, every runtime)."""
    return f"manylinux2014_{MACHINES[arch]}"


def target_platforms(glibc: tuple[int, int], arch: str) -> list[str]:
    """The Linux platform tags a runtime with this glibc accepts, newest first."""
    machine = MACHINES[arch]
    platforms = [f"manylinux_{glibc[0]}_{minor}_{machine}" for minor in range(glibc[1], 4, -1)]
    platforms += [f"{name}_{machine}" for name, floor in LEGACY_MANYLINUX.items() if floor <= glibc]
    return [*platforms, f"linux_{machine}"]


def target_tags(runtime: Runtime, arch: str) -> frozenset[Tag]:
    """Every wheel tag pip would install for the runtime and architecture."""
    platforms = target_platforms(runtime.glibc, arch)
    abi = f"cp{runtime.version[0]}{runtime.version[1]}"
    cpython = cpython_tags(runtime.version, [abi], platforms)
    generic = compatible_tags(runtime.version, abi, platforms)
    return frozenset([*cpython, *generic])


def platform_problem(platform: str, runtime: Runtime, arch: str) -> dict[str, str] | None:
    """Why a platform tag does not fit the runtime (a code and its values), or None.

    Codes: platform (not Linux: platform), musl, machine (machine), glibc (needs "2.28")."""
    for name, floor in LEGACY_MANYLINUX.items():
        if platform.startswith(name + "_"):
            platform = f"manylinux_{floor[0]}_{floor[1]}_{platform.removeprefix(name + '_')}"
    match = LINUX_PLATFORM.fullmatch(platform)
    if platform == "any" or platform == f"linux_{MACHINES[arch]}":
        return None
    if match is None:
        return {"code": "platform", "platform": platform}
    if match["libc"] == "musl":
        return {"code": "musl"}
    if match["machine"] != MACHINES[arch]:
        return {"code": "machine", "machine": match["machine"]}
    needed = (int(match[2]), int(match[3]))
    if needed > runtime.glibc:
        return {"code": "glibc", "needs": f"{needed[0]}.{needed[1]}"}
    return None


def tag_problem(tag: Tag, runtime: Runtime, arch: str) -> dict[str, str]:
    """Why one wheel tag does not fit the runtime (code `interpreter` when only its
    interpreter and ABI do not: values interpreter, abi)."""
    problem = platform_problem(tag.platform, runtime, arch)
    return problem or {"code": "interpreter", "interpreter": tag.interpreter, "abi": tag.abi}


def _expansions(text: str) -> int:
    """How many tags a compressed tag set (`py2.py3-none-any`) stands for."""
    count = 1
    for part in text.split("-"):
        count *= part.count(".") + 1
    return count


def wheel_tags(dist: Distribution) -> list[Tag]:
    """A distribution's wheel tags, compressed sets expanded; malformed or huge ones left out."""
    tags: set[Tag] = set()
    for text in dist.wheel_tags:
        if _expansions(text) > MAX_EXPANSIONS:
            continue
        try:
            tags.update(parse_tag(text))
        except ValueError:  # packaging's InvalidTag
            continue
    return sorted(tags, key=str)


def _distinct(problems: list[dict[str, str]]) -> list[dict[str, str]]:
    unique = {tuple(sorted(problem.items())): problem for problem in problems}
    return [unique[key] for key in sorted(unique)]


def incompatible_wheel(context: Context) -> list[Finding]:
    """Distributions none of whose wheel tags the target accepts."""
    accepted = target_tags(context.runtime, context.arch)
    findings = []
    for dist in context.distributions:
        tags = wheel_tags(dist)
        if not tags or accepted.intersection(tags):
            continue
        problems = [tag_problem(t, context.runtime, context.arch) for t in tags]
        values = {
            "name": dist.name,
            "version": dist.version,
            "runtime": context.runtime.name,
            "arch": context.arch,
            "platform": pip_platform(context.arch),
            "tags": [str(tag) for tag in tags[:SHOWN_TAGS]],
            "more_tags": max(0, len(tags) - SHOWN_TAGS),
            "problems": _distinct(problems),
        }
        findings.append(
            Finding(
                rule="incompatible-wheel",
                severity="error",
                distribution=dist.key,
                paths=(dist.dist_info,),
                bytes=0,
                code="no-tag-fits",
                values=values,
                package=dist.package,
            )
        )
    return findings
