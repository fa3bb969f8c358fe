"""runtime-sdk: distributions the Lambda Python runtime already ships (boto3, botocore, ...)."""

from __future__ import annotations

from coldprof.analyze.model import Context
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import covering_paths, folder_file_counts, where
from coldprof.data import lambda_facts

RISK = (
    "the runtime's copy is a different version (it changes with region and date, often older); "
    "teams that need a newer boto3/botocore API bundle it on purpose: keep it then, and remove "
    "boto3, botocore and s3transfer together so the runtime's matching set is used"
)


def runtime_sdk(context: Context) -> list[Finding]:
    """Bundled copies of the SDK packages the runtime provides: their bytes can go."""
    provided = set(lambda_facts()["runtime_sdk"])
    packages = {package.name: package for package in context.packages}
    findings = []
    for dist in context.distributions:
        package = packages.get(dist.package)
        if dist.key not in provided or package is None:
            continue
        owned = [e for e in package.files if context.owner(package, e.path) == dist.key]
        message = (
            f"{dist.name} {dist.version}{where(package)} is already in the "
            f"{context.runtime.name} runtime: leave it out of the package"
        )
        findings.append(
            Finding(
                rule="runtime-sdk",
                severity="warning",
                distribution=dist.key,
                paths=covering_paths((e.path for e in owned), folder_file_counts(package)),
                bytes=sum(e.unzipped_bytes for e in owned),
                message=message,
                risk=RISK,
            )
        )
    return findings
