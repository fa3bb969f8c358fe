"""runtime-sdk: bundled copies of what every Lambda Python runtime ships.

AWS documents the SDK (boto3, botocore, s3transfer) as included; the runtime also holds what
the SDK needs (jmespath, python-dateutil, six, urllib3), as its dependencies, not as a
promise. So:

- boto3, botocore, s3transfer: a warning with their bytes, "leave it out", unless a bundled
  distribution requires a newer one than the runtime ships (then: info, bundling is needed);
- jmespath, python-dateutil, six, urllib3: info when another bundled distribution needs it
  (pandas needs python-dateutil: keep it); a warning with its bytes only beside a bundled
  SDK that can go; otherwise info with its bytes.

The runtime's versions come from --runtime-sdk, else the data file (lambda.json), where AWS
publishes none today: then a requirement cannot be checked against them.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from coldprof.analyze.model import Context, Distribution
from coldprof.analyze.owners import marker_environment
from coldprof.analyze.requirements import applicable
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import covering_paths, folder_file_counts, where
from coldprof.data import lambda_facts

RISK = (
    "the runtime's copy is another version (it changes with region and date); code that "
    "needs a newer boto3/botocore API than the runtime's breaks: keep the SDK then, all of it"
)
ADVICE = (
    "leave the runtime's SDK out of the package (pip install --target ... then remove boto3, "
    "botocore, s3transfer and what only they need); keep what a bundled distribution needs"
)


@dataclass(frozen=True)
class Need:
    """A bundled distribution's requirement on an SDK distribution the runtime's copy fails."""

    requirer: Distribution
    requirement: Requirement
    runtime_version: str


def runtime_versions(context: Context) -> dict[str, str]:
    """The SDK versions the runtime ships: from --runtime-sdk, else the data file (or none)."""
    if context.runtime_sdk:
        return {d.key: d.version for d in context.runtime_sdk}
    published = lambda_facts()["runtime_sdk"]["versions"].get(context.runtime.name) or {}
    return {canonicalize_name(name): version for name, version in published.items()}


def _fails(requirement: Requirement, version: str) -> bool:
    try:
        return not requirement.specifier.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


def sdk_needs(context: Context) -> list[Need]:
    """Requirements of distributions outside the SDK that the runtime's SDK does not meet."""
    facts = lambda_facts()["runtime_sdk"]
    sdk = set(facts["sdk"]) | set(facts["dependencies"])
    versions = runtime_versions(context)
    environment = marker_environment(context.runtime, context.arch)
    needs = []
    for dist in context.distributions:
        if dist.key in sdk:
            continue
        for requirement in applicable(dist, environment):
            key = canonicalize_name(requirement.name)
            if key in versions and _fails(requirement, versions[key]):
                needs.append(Need(dist, requirement, versions[key]))
    return needs


def kept(context: Context) -> frozenset[str]:
    """Bundled distributions that stay: all but the runtime's, plus the runtime's dependencies
    (python-dateutil, six, ...) that something staying requires (pandas needs python-dateutil,
    which needs six)."""
    facts = lambda_facts()["runtime_sdk"]
    provided = set(facts["sdk"]) | set(facts["dependencies"])
    staying = {d.key for d in context.distributions if d.key not in provided}
    changed = True
    while changed:
        needed = {k for d in context.distributions if d.key in staying for k in d.requires}
        more = (needed & {d.key for d in context.distributions}) - set(facts["sdk"]) - staying
        staying |= more
        changed = bool(more)
    return frozenset(staying)


def _needers(context: Context, key: str, staying: frozenset[str]) -> list[str]:
    """Distributions that stay and require `key`."""
    return sorted({d.key for d in context.distributions if key in d.requires and d.key in staying})


def _needs_text(needs: list[Need]) -> str:
    return "; ".join(
        f"{n.requirer.name} {n.requirer.version} requires {n.requirement.name}"
        f"{n.requirement.specifier}, the runtime has {n.runtime_version}"
        for n in needs
    )


def _state(context: Context, dist: Distribution, needs: list[Need]) -> tuple[str, str, bool]:
    """(severity, what, saves): how one bundled SDK distribution is reported."""
    sdk = set(lambda_facts()["runtime_sdk"]["sdk"])
    runtime = context.runtime.name
    sdk_needs = [n for n in needs if canonicalize_name(n.requirement.name) in sdk]
    if dist.key in sdk:
        if sdk_needs:
            return "info", f"bundling it is needed: {_needs_text(sdk_needs)}", False
        return "warning", f"the {runtime} runtime ships it: leave it out", True
    needers = _needers(context, dist.key, kept(context))
    if needers:
        return "info", f"{', '.join(needers)} need(s) it: keep it (the runtime ships it too)", False
    bundled_sdk = sorted({d.key for d in context.distributions} & sdk)
    if bundled_sdk and not sdk_needs:
        return "warning", f"only the SDK needs it: leave it out with {', '.join(bundled_sdk)}", True
    what = f"the {runtime} runtime ships it as an SDK dependency; nothing here needs it"
    return "info", what, True


def runtime_sdk(context: Context) -> list[Finding]:
    """Bundled copies of the distributions the runtime ships, each said exactly."""
    facts = lambda_facts()["runtime_sdk"]
    provided = set(facts["sdk"]) | set(facts["dependencies"])
    packages = {package.name: package for package in context.packages}
    needs = sdk_needs(context)
    findings = []
    for dist in context.distributions:
        package = packages.get(dist.package)
        if dist.key not in provided or package is None:
            continue
        severity, what, saves = _state(context, dist, needs)
        owned = [e for e in package.files if context.owner(package, e.path) == dist.key]
        findings.append(
            Finding(
                rule="runtime-sdk",
                severity=severity,
                distribution=dist.key,
                paths=covering_paths((e.path for e in owned), folder_file_counts(package)),
                bytes=sum(e.unzipped_bytes for e in owned) if saves else 0,
                message=f"{dist.name} {dist.version}{where(package)}: {what}",
                risk=RISK,
                advice=ADVICE,
                package=package.name,
            )
        )
    return findings
