"""missing-dependency: a distribution requires one that nothing on sys.path will provide.

A requirement counts when its marker holds on the target runtime (python_version,
sys_platform linux, platform_machine, CPython) with the extras something requests
(analyze/requirements.py: Distribution.requires holds them; graph.missing_requirements lists
what no package holds). It is met by a distribution in the function or a layer, or, for
the distributions the runtime ships (boto3 and its dependencies), by the runtime, unless the
runtime's version is known (--runtime-sdk, data file) and does not satisfy it.
"""

from __future__ import annotations

from collections import defaultdict

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from coldprof.analyze.graph import missing_requirements
from coldprof.analyze.model import Context, Distribution
from coldprof.analyze.owners import marker_environment
from coldprof.analyze.requirements import applicable, requested_extras
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.sdk import runtime_versions, sdk_needs
from coldprof.analyze.runtime import runtime_sdk_keys

ADVICE = (
    "install the distributions with their dependencies (pip install --target, without "
    "--no-deps, for the target: --python-version and --platform) or add them to a layer"
)
RISK = "none: it adds what the distribution declares it needs"


def _unmet(context: Context) -> dict[Distribution, list[str]]:
    """Each distribution -> what it requires that nothing provides, as written."""
    runtime = set(runtime_sdk_keys()) | set(runtime_versions(context))
    environment = marker_environment(context.runtime, context.arch)
    extras = requested_extras(context.distributions, environment)
    first = {d.key: d for d in reversed(context.distributions)}  # a key's first copy
    unmet: dict[Distribution, list[str]] = defaultdict(list)
    for key, missing in missing_requirements(context.distributions).items():
        dist = first[key]
        for requirement in applicable(dist, environment, extras.get(key, ())):
            needed = canonicalize_name(requirement.name)
            if needed in missing and needed not in runtime:
                unmet[dist].append(_shown(requirement))
    present = {d.key for d in context.distributions}
    for need in sdk_needs(context):
        if canonicalize_name(need.requirement.name) not in present:
            shown = f"{_shown(need.requirement)} (the runtime has {need.runtime_version})"
            unmet[need.requirer].append(shown)
    return unmet


def _shown(requirement: Requirement) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}{requirement.specifier}"


def missing_dependency(context: Context) -> list[Finding]:
    """Per distribution, the requirements that neither the packages nor the runtime meet."""
    findings = []
    for dist, missing in sorted(_unmet(context).items(), key=lambda item: item[0].key):
        message = (
            f"{dist.name} {dist.version} ({dist.package}) requires {', '.join(sorted(missing))}: "
            f"nothing on Lambda's sys.path provides {'it' if len(missing) == 1 else 'them'} "
            f"(function, layers, {context.runtime.name} runtime), so importing it fails"
        )
        findings.append(
            Finding(
                rule="missing-dependency",
                severity="error",
                distribution=dist.key,
                paths=(dist.dist_info,),
                bytes=0,
                message=message,
                risk=RISK,
                advice=ADVICE,
                package=dist.package,
            )
        )
    return findings
