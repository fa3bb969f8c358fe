"""runtime-sdk: bundled copies of what every Lambda Python runtime ships.

AWS documents the SDK (boto3, botocore, s3transfer) as included; the runtime also holds what
the SDK needs (jmespath, python-dateutil, six, urllib3), as its dependencies, not as a
promise. So:

- boto3, botocore, s3transfer: a warning with their bytes, "leave it out" (code `leave-out`),
  unless a bundled distribution requires a newer one than the runtime ships (then: info,
  `bundling-needed`);
- jmespath, python-dateutil, six, urllib3: info when a distribution that stays needs it
  (`needed`: pandas needs python-dateutil; a botocore that must be bundled needs urllib3); a
  warning with its bytes only beside a bundled SDK that can go (`only-the-sdk-needs-it`);
  otherwise info with its bytes (`unneeded`).

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
from coldprof.analyze.rules.common import covering_paths, folder_file_counts
from coldprof.data import lambda_facts


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


def must_bundle(context: Context) -> frozenset[str]:
    """SDK distributions (boto3, botocore, s3transfer) a bundled one needs newer than the
    runtime's: they must stay in the package."""
    sdk = set(lambda_facts()["runtime_sdk"]["sdk"])
    return frozenset(
        key
        for need in sdk_needs(context)
        if (key := canonicalize_name(need.requirement.name)) in sdk
    )


def kept(context: Context) -> frozenset[str]:
    """Bundled distributions that stay: all but the runtime's, the SDK distributions that must
    be bundled, and the runtime's dependencies (python-dateutil, urllib3, ...) that something
    staying requires (pandas needs python-dateutil, which needs six; a bundled botocore needs
    urllib3)."""
    facts = lambda_facts()["runtime_sdk"]
    provided = set(facts["sdk"]) | set(facts["dependencies"])
    present = {d.key for d in context.distributions}
    staying = {k for k in present if k not in provided} | (must_bundle(context) & present)
    changed = True
    while changed:
        needed = {k for d in context.distributions if d.key in staying for k in d.requires}
        more = (needed & present) - set(facts["sdk"]) - staying
        staying |= more
        changed = bool(more)
    return frozenset(staying)


def _needers(context: Context, key: str, staying: frozenset[str]) -> list[str]:
    """Distributions that stay and require `key`."""
    return sorted({d.key for d in context.distributions if key in d.requires and d.key in staying})


def _need(need: Need) -> dict[str, str]:
    return {
        "requirer": need.requirer.name,
        "requirer_version": need.requirer.version,
        "requirement": f"{need.requirement.name}{need.requirement.specifier}",
        "runtime_version": need.runtime_version,
    }


def _state(context: Context, dist: Distribution, needs: list[Need]) -> tuple[str, str, dict]:
    """(severity, code, values) of one bundled SDK distribution; the code says whether its
    bytes can go: "leave-out", "only-the-sdk-needs-it" and "unneeded" save them."""
    sdk = set(lambda_facts()["runtime_sdk"]["sdk"])
    sdk_needs = [n for n in needs if canonicalize_name(n.requirement.name) in sdk]
    if dist.key in sdk:
        if sdk_needs:
            return "info", "bundling-needed", {"needs": [_need(n) for n in sdk_needs]}
        return "warning", "leave-out", {}
    needers = _needers(context, dist.key, kept(context))
    if needers:
        return "info", "needed", {"needed_by": needers}
    bundled_sdk = sorted({d.key for d in context.distributions} & sdk)
    if bundled_sdk and not sdk_needs:
        return "warning", "only-the-sdk-needs-it", {"sdk": bundled_sdk}
    return "info", "unneeded", {}


SAVES = frozenset({"leave-out", "only-the-sdk-needs-it", "unneeded"})


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
        severity, code, values = _state(context, dist, needs)
        owned = [e for e in package.files if context.owner(package, e.path) == dist.key]
        about = {"name": dist.name, "version": dist.version, "runtime": context.runtime.name}
        findings.append(
            Finding(
                rule="runtime-sdk",
                severity=severity,
                distribution=dist.key,
                paths=covering_paths((e.path for e in owned), folder_file_counts(package)),
                bytes=sum(e.unzipped_bytes for e in owned) if code in SAVES else 0,
                code=code,
                values={**about, **values},
                package=package.name,
            )
        )
    return findings
