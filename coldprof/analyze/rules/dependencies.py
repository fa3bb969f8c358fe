"""missing-dependency: a distribution requires one that nothing on sys.path will provide.

A requirement counts when its marker holds on the target runtime (python_version,
sys_platform linux, platform_machine, CPython) with the extras something requests
(analyze/requirements.py). It is met by a distribution in the function or a layer, or, for
the distributions the runtime ships (boto3 and its dependencies), by the runtime, unless the
runtime's version is known (--runtime-sdk, data file) and does not satisfy it.

Lambda does not say which patch release of a Python its runtime runs, and it moves. So a
marker is evaluated at the first patch release (3.X.0) and at a late one (3.X.HIGH_PATCH):
a requirement missing at both is an error (code `unmet`); one whose marker holds at only one
of them (`python_full_version < "3.11.4"`) is a warning that it depends on the runtime's
patch level (code `unmet-on-some-patches`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from coldprof.analyze.model import Context, Distribution
from coldprof.analyze.owners import marker_environment
from coldprof.analyze.requirements import applies, parsed, requested_extras
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.sdk import runtime_versions, sdk_needs
from coldprof.analyze.runtime import runtime_sdk_keys

HIGH_PATCH = 99  # a patch level no CPython minor release has reached: "late in the series"


def _shown(requirement: Requirement) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}{requirement.specifier}"


def _patches(context: Context) -> dict[str, dict[str, str]]:
    """The marker environments of the runtime's first and a late patch release."""
    runtime, arch = context.runtime, context.arch
    return {
        environment["python_full_version"]: environment
        for environment in (marker_environment(runtime, arch, p) for p in (0, HIGH_PATCH))
    }


def _unmet(context: Context) -> dict[Distribution, list[dict[str, Any]]]:
    """Each distribution -> what it requires that nothing provides, and on which patch levels."""
    runtime = set(runtime_sdk_keys()) | set(runtime_versions(context))
    present = {d.key for d in context.distributions}
    patches = _patches(context)
    extras = requested_extras(context.distributions, next(iter(patches.values())))
    first = {d.key: d for d in reversed(context.distributions)}  # a key's first copy
    unmet: dict[Distribution, list[dict[str, Any]]] = defaultdict(list)
    for dist in sorted(first.values(), key=lambda d: d.key):
        wanted = extras.get(dist.key, ())
        for requirement in parsed(dist.requirements):
            needed = canonicalize_name(requirement.name)
            if needed in present or needed in runtime:
                continue
            holds = [v for v, env in patches.items() if applies(requirement, env, wanted)]
            if holds:
                unmet[dist].append({"requirement": _shown(requirement), "holds_on": holds})
    for need in sdk_needs(context):
        if canonicalize_name(need.requirement.name) not in present:
            shown = {"requirement": _shown(need.requirement), "holds_on": list(patches)}
            unmet[need.requirer].append({**shown, "runtime_version": need.runtime_version})
    return unmet


def _finding(context: Context, dist: Distribution, missing: list[dict], always: bool) -> Finding:
    values = {
        "name": dist.name,
        "version": dist.version,
        "runtime": context.runtime.name,
        "missing": sorted(missing, key=lambda m: m["requirement"]),
    }
    return Finding(
        rule="missing-dependency",
        severity="error" if always else "warning",
        distribution=dist.key,
        paths=(dist.dist_info,),
        bytes=0,
        code="unmet" if always else "unmet-on-some-patches",
        values=values,
        package=dist.package,
    )


def missing_dependency(context: Context) -> list[Finding]:
    """Per distribution, the requirements that neither the packages nor the runtime meet."""
    every = len(_patches(context))
    findings = []
    for dist, missing in sorted(_unmet(context).items(), key=lambda item: item[0].key):
        always = [m for m in missing if len(m["holds_on"]) == every]
        sometimes = [m for m in missing if len(m["holds_on"]) < every]
        findings += [_finding(context, dist, always, True)] if always else []
        findings += [_finding(context, dist, sometimes, False)] if sometimes else []
    return findings
