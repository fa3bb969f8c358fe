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
RISK = (
    "none: the files this wheel installed may not load; a wheel built for the target replaces them"
)


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


def platform_problem(platform: str, runtime: Runtime, arch: str) -> str | None:
    """Why a platform tag does not fit the runtime, or None when it does."""
    for name, floor in LEGACY_MANYLINUX.items():
        if platform.startswith(name + "_"):
            platform = f"manylinux_{floor[0]}_{floor[1]}_{platform.removeprefix(name + '_')}"
    match = LINUX_PLATFORM.fullmatch(platform)
    if platform == "any" or platform == f"linux_{MACHINES[arch]}":
        return None
    if match is None:
        return f"built for {platform}"
    if match["libc"] == "musl":
        return "built for musl libc (Alpine), not glibc"
    if match["machine"] != MACHINES[arch]:
        return f"built for {match['machine']}"
    needed = (int(match[2]), int(match[3]))
    if needed > runtime.glibc:
        return f"needs glibc {needed[0]}.{needed[1]}"
    return None


def tag_problem(tag: Tag, runtime: Runtime, arch: str) -> str:
    """Why one wheel tag does not fit the runtime."""
    problem = platform_problem(tag.platform, runtime, arch)
    return problem or f"built for {tag.interpreter}-{tag.abi}"


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


def _listed(tags: list[Tag]) -> str:
    shown = ", ".join(map(str, tags[:SHOWN_TAGS]))
    return shown + (f" and {len(tags) - SHOWN_TAGS} more" if len(tags) > SHOWN_TAGS else "")


def incompatible_wheel(context: Context) -> list[Finding]:
    """Distributions none of whose wheel tags the target accepts."""
    accepted = target_tags(context.runtime, context.arch)
    findings = []
    for dist in context.distributions:
        tags = wheel_tags(dist)
        if not tags or accepted.intersection(tags):
            continue
        why = "; ".join(sorted({tag_problem(t, context.runtime, context.arch) for t in tags}))
        message = (
            f"{dist.name} {dist.version} comes from a wheel tagged "
            f"{_listed(tags)} ({why}): pip would refuse it for "
            f"{context.runtime.name} {context.arch}"
        )
        advice = (
            f"install it for the target: pip install --python-version "
            f"{context.runtime.version[0]}.{context.runtime.version[1]} --platform "
            f"{pip_platform(context.arch)} --only-binary=:all:"
        )
        paths = (dist.dist_info,)
        findings.append(
            Finding(
                rule="incompatible-wheel",
                severity="error",
                distribution=dist.key,
                paths=paths,
                bytes=0,
                message=message,
                risk=RISK,
                advice=advice,
                package=dist.package,
            )
        )
    return findings
