"""debug-symbols: shared objects that still carry debug sections and a static symbol table."""

from __future__ import annotations

from collections import defaultdict

from coldprof.analyze.elf import ElfFile
from coldprof.analyze.model import Context
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import native_file
from coldprof.analyze.rules.extensions import SHARED_OBJECT
from coldprof.package.model import Package


def debug_symbols(context: Context) -> list[Finding]:
    """Per owner, the .so files with .debug_* sections and what stripping them saves."""
    findings = []
    for package in context.packages:
        groups: dict[str, list[tuple[str, ElfFile]]] = defaultdict(list)
        for entry in package.files:
            if not SHARED_OBJECT.fullmatch(entry.path.rsplit("/", 1)[-1]):
                continue
            elf = native_file(context, package, entry)[1]
            if elf is not None and elf.debug_bytes > 0:
                groups[context.label(package, entry.path)].append((entry.path, elf))
        findings += [_finding(label, files, package) for label, files in sorted(groups.items())]
    return findings


def _finding(label: str, files: list[tuple[str, ElfFile]], package: Package) -> Finding:
    debug = sum(elf.debug_bytes for _, elf in files)
    symbols = sum(elf.symtab_bytes for _, elf in files)
    ordered = sorted(files, key=lambda item: item[0])
    return Finding(
        rule="debug-symbols",
        severity="warning",
        distribution=label,
        paths=tuple(path for path, _ in ordered),
        bytes=debug + symbols,
        code="not-stripped",
        values={"files": len(files), "debug_bytes": debug, "symtab_bytes": symbols},
        package=package.name,
        path_bytes=tuple(elf.debug_bytes + elf.symtab_bytes for _, elf in ordered),
    )
