"""debug-symbols: shared objects that still carry debug sections and a static symbol table."""

from __future__ import annotations

from collections import defaultdict

from coldprof.analyze.elf import ElfFile
from coldprof.analyze.model import Context
from coldprof.analyze.result import Finding
from coldprof.analyze.rules.common import native_file, where
from coldprof.analyze.rules.extensions import SHARED_OBJECT

RISK = (
    "native stack traces and profilers lose function names and line numbers; the code runs the same"
)


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
        findings += [_finding(label, files, where(package)) for label, files in groups.items()]
    return findings


def _finding(label: str, files: list[tuple[str, ElfFile]], place: str) -> Finding:
    debug = sum(elf.debug_bytes for _, elf in files)
    symbols = sum(elf.symtab_bytes for _, elf in files)
    message = (
        f"{len(files):,} shared object(s){place} carry {debug:,} bytes of debug sections and "
        f"{symbols:,} bytes of static symbols: `strip --strip-unneeded` removes both and keeps "
        f"what loading needs (`strip --strip-debug` removes only the debug sections)"
    )
    paths = tuple(sorted(path for path, _ in files))
    return Finding(
        rule="debug-symbols",
        severity="warning",
        distribution=label,
        paths=paths,
        bytes=debug + symbols,
        message=message,
        risk=RISK,
    )
