"""What a build leaves in a package that nothing on Lambda uses, and what must never ship.

- secret-file (error): files that look like credentials: `.env` files, private keys (by
  name, or a `.pem`/`.key` holding a PRIVATE KEY block), `.aws/credentials`, `.netrc`,
  `.pypirc`, `.git-credentials`, Terraform state, PKCS#12 stores. Only files no
  distribution owns (a library's test key is not a secret); their content is never shown.
- macos-metadata: `__MACOSX/`, AppleDouble `._*` files and `.DS_Store` from a Mac's zip.
- vcs-folder: `.git/`, `.hg/`, `.svn/`.
- node-modules: `node_modules/` in a Python package.
- infra-template: CloudFormation/SAM templates, `samconfig.toml`, `cdk.json`, `cdk.out/`,
  `.aws-sam/`, `.terraform/`, `*.tf`, `serverless.yml`: the deployment's own sources.
- own-tests: the function's own tests (files no distribution owns): `tests/`, `test_*.py`,
  `*_test.py`, `conftest.py` and test-runner settings.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from coldprof.analyze.model import Context
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import covering_paths, folder_file_counts, is_metadata
from coldprof.package.model import FileEntry, Package

SNIFF_BYTES = 64 * 1024
PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
ENV_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults")
SECRET_NAMES = frozenset(
    {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".netrc", ".pypirc", ".git-credentials"}
)
SECRET_SUFFIXES = (".tfstate", ".tfstate.backup", ".p12", ".pfx")
KEY_SUFFIXES = (".pem", ".key")
TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")
TEMPLATE_MARKERS = (b"AWSTemplateFormatVersion", b"AWS::Serverless", b"AWS::Lambda::Function")
INFRA_FOLDERS = frozenset({"cdk.out", ".aws-sam", ".terraform", ".serverless"})
INFRA_FILES = frozenset(
    {"samconfig.toml", "cdk.json", "cdk.context.json", "serverless.yml", "serverless.yaml"}
)
TEST_FILES = frozenset({"conftest.py", "pytest.ini", "tox.ini", "noxfile.py", ".coveragerc"})


@dataclass(frozen=True, kw_only=True)
class Leftover:
    """One rule: which files it matches, and in which owners."""

    rule: str
    severity: str
    matches: Callable[[Package, FileEntry], bool]
    unowned_only: bool  # only files no distribution owns (a library's test key is no secret)


def _folders(path: str) -> list[str]:
    return path.split("/")[:-1]


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _holds(package: Package, path: str, pattern: re.Pattern | tuple[bytes, ...]) -> bool:
    data = package.read(path, SNIFF_BYTES) or b""
    if isinstance(pattern, tuple):
        return any(marker in data for marker in pattern)
    return pattern.search(data) is not None


def is_secret(package: Package, entry: FileEntry) -> bool:
    """Whether a file looks like a credential (read only to find a PRIVATE KEY block)."""
    path, name = entry.path, _name(entry.path)
    if name == ".env" or (name.startswith(".env.") and not name.endswith(ENV_TEMPLATES)):
        return True
    if name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES) or path.endswith(".aws/credentials"):
        return True
    return name.endswith(KEY_SUFFIXES) and _holds(package, path, PRIVATE_KEY)


def is_macos(package: Package, entry: FileEntry) -> bool:
    name = _name(entry.path)
    return "__MACOSX" in _folders(entry.path) or name.startswith("._") or name == ".DS_Store"


def is_vcs(package: Package, entry: FileEntry) -> bool:
    return any(part in (".git", ".hg", ".svn") for part in _folders(entry.path))


def is_node(package: Package, entry: FileEntry) -> bool:
    return "node_modules" in _folders(entry.path)


def is_infra(package: Package, entry: FileEntry) -> bool:
    name = _name(entry.path)
    if any(part in INFRA_FOLDERS for part in _folders(entry.path)) or name in INFRA_FILES:
        return True
    if name.endswith((".tf", ".tfvars")):
        return True
    return name in TEMPLATE_NAMES and _holds(package, entry.path, TEMPLATE_MARKERS)


def is_own_test(package: Package, entry: FileEntry) -> bool:
    name = _name(entry.path)
    if any(part in ("tests", "test") for part in _folders(entry.path)) or name in TEST_FILES:
        return True
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


LEFTOVERS = (
    Leftover(rule="secret-file", severity="error", matches=is_secret, unowned_only=True),
    Leftover(rule="macos-metadata", severity="warning", matches=is_macos, unowned_only=False),
    Leftover(rule="vcs-folder", severity="warning", matches=is_vcs, unowned_only=False),
    Leftover(rule="node-modules", severity="warning", matches=is_node, unowned_only=False),
    Leftover(rule="infra-template", severity="warning", matches=is_infra, unowned_only=True),
    Leftover(rule="own-tests", severity="warning", matches=is_own_test, unowned_only=True),
)


def _matched(context: Context, rule: Leftover, package: Package) -> dict[str, list[FileEntry]]:
    """Owner label -> the files of one package the rule matches."""
    found: dict[str, list[FileEntry]] = defaultdict(list)
    for entry in package.files:
        owner = context.owner(package, entry.path)
        if rule.unowned_only and owner is not None:
            continue
        if is_metadata(entry.path) or not rule.matches(package, entry):
            continue
        found[context.label(package, entry.path)].append(entry)
    return found


def _finding(rule: Leftover, package: Package, label: str, files: list[FileEntry]) -> Finding:
    paths = covering_paths((e.path for e in files), folder_file_counts(package))
    return Finding(
        rule=rule.rule,
        severity=rule.severity,
        distribution=label,
        paths=paths,
        bytes=sum(e.unzipped_bytes for e in files),
        code="files",
        values={"files": len(files)},
        package=package.name,
    )


def _rule(rule: Leftover) -> Callable[[Context], list[Finding]]:
    def run(context: Context) -> list[Finding]:
        return [
            _finding(rule, package, label, files)
            for package in context.packages
            for label, files in sorted(_matched(context, rule, package).items())
        ]

    run.__name__ = rule.rule.replace("-", "_")
    run.__doc__ = f"{rule.rule}: the files {rule.matches.__name__} matches."
    return run


LEFTOVER_RULES = [_rule(rule) for rule in LEFTOVERS]
