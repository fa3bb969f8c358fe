"""Reading native binaries without loading them: ELF headers, sections and glibc needs.

Mach-O and PE files are only recognised by their magic bytes. Every read is bounded by the
file's size and by the limits below, so a hostile file costs little and raises ElfError.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

HEADER_BYTES = 64  # enough for an ELF64 header, the Mach-O magic and the PE pointer
MAX_TABLE_BYTES = 4 * 1024 * 1024  # section headers, section names, version needs
MAX_NAME_BYTES = 256
MAX_VERSION_RECORDS = 4096  # 16-byte version-need records read per file (libraries list dozens)
SHT_NOBITS = 8
SHT_GNU_VERNEED = 0x6FFFFFFE
SHN_XINDEX = 0xFFFF

MACHINES = {
    3: "i386",
    8: "mips",
    20: "powerpc",
    21: "ppc64",
    22: "s390x",
    40: "arm",
    62: "x86_64",
    183: "aarch64",
    243: "riscv",
}
ARCH_MACHINES = {"x86_64": 62, "arm64": 183}  # Lambda's --arch -> ELF e_machine

MACH_O_MAGICS = {
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # universal ("fat") binary
}
GLIBC_VERSION = re.compile(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?")


class ElfError(ValueError):
    """The bytes are not a well-formed ELF file."""


@dataclass(frozen=True)
class Section:
    """One section header: its name, type, and where it sits in the file."""

    name: str
    kind: int  # sh_type
    offset: int  # sh_offset
    size_bytes: int  # 0 for sections that take no room in the file (SHT_NOBITS)
    link: int  # sh_link: the index of the string table a symbol or version table uses


@dataclass(frozen=True)
class ElfFile:
    """What coldprof reads from an ELF file."""

    bits: int  # 32 or 64
    machine: int  # e_machine: 62 x86_64, 183 aarch64
    sections: tuple[Section, ...]
    glibc_needed: tuple[tuple[int, int], ...]  # GLIBC_x.y versions it requires, sorted

    @property
    def machine_name(self) -> str:
        """The architecture's usual name ("x86_64", "aarch64", or "machine 42")."""
        return MACHINES.get(self.machine, f"machine {self.machine}")

    @property
    def glibc_required(self) -> tuple[int, int] | None:
        """The newest glibc version it requires, or None."""
        return self.glibc_needed[-1] if self.glibc_needed else None

    @property
    def debug_bytes(self) -> int:
        """Bytes of the .debug_* (and compressed .zdebug_*) sections."""
        return sum(s.size_bytes for s in self.sections if s.name.startswith((".debug", ".zdebug")))

    @property
    def symtab_bytes(self) -> int:
        """Bytes of the static symbol table (.symtab) and its string table (.strtab)."""
        return sum(s.size_bytes for s in self.sections if s.name in (".symtab", ".strtab"))


def binary_format(head: bytes) -> str | None:
    """The binary format a file's first bytes show: elf, mach-o, pe, or None."""
    if head.startswith(b"\x7fELF"):
        return "elf"
    if head[:4] in MACH_O_MAGICS:
        return "mach-o"
    if head.startswith(b"MZ"):
        return "pe"
    return None


class _Reader:
    """Bounded reads at offsets of one binary stream."""

    def __init__(self, stream: BinaryIO, size_bytes: int, endian: str):
        self.stream = stream
        self.size_bytes = size_bytes
        self.endian = endian

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size_bytes:
            raise ElfError(f"a table at offset {offset} runs past the end of the file")
        self.stream.seek(offset)
        data = self.stream.read(length)
        if len(data) != length:
            raise ElfError("the file is truncated")
        return data

    def unpack(self, layout: str, offset: int) -> tuple[int, ...]:
        fmt = struct.Struct(self.endian + layout)
        return fmt.unpack(self.read(offset, fmt.size))

    def string(self, table: Section, index: int) -> str:
        """A NUL-terminated name from a string table section."""
        if index >= table.size_bytes:
            raise ElfError("a name points outside its string table")
        length = min(MAX_NAME_BYTES, table.size_bytes - index)
        raw = self.read(table.offset + index, length)
        return raw.split(b"\0", 1)[0].decode("ascii", "replace")


# Header fields: [1] e_machine, [5] e_shoff, [10] e_shentsize, [11] e_shnum, [12] e_shstrndx.
# Section fields: [0] sh_name, [1] sh_type, [4] sh_offset, [5] sh_size, [6] sh_link.
_LAYOUTS = {
    32: ("16x 2H I 3I I 6H", "10I"),
    64: ("16x 2H I 3Q I 6H", "2I 4Q 2I 2Q"),
}


def read_elf(stream: BinaryIO, size_bytes: int) -> ElfFile:
    """Parse an ELF file's header, section headers and version needs (raises ElfError)."""
    head = stream.read(HEADER_BYTES)
    if not head.startswith(b"\x7fELF") or len(head) < 20:
        raise ElfError("not an ELF file")
    bits = {1: 32, 2: 64}.get(head[4])
    endian = {1: "<", 2: ">"}.get(head[5])
    if bits is None or endian is None:
        raise ElfError("unknown ELF class or byte order")
    reader = _Reader(stream, size_bytes, endian)
    fields = reader.unpack(_LAYOUTS[bits][0], 0)
    sections = _section_headers(
        reader, struct.Struct(endian + _LAYOUTS[bits][1]), *fields[10:13], fields[5]
    )
    return ElfFile(bits, fields[1], sections, _glibc_needed(reader, sections))


def _section_headers(
    reader: _Reader,
    layout: struct.Struct,
    entry_bytes: int,
    count: int,
    names_index: int,
    table_offset: int,
) -> tuple[Section, ...]:
    """The section headers with their names (an ELF without sections gives none)."""
    if table_offset == 0:
        return ()
    if entry_bytes < layout.size:
        raise ElfError("section headers are too small")
    first = layout.unpack(reader.read(table_offset, layout.size))
    count = count or first[5]  # past 0xff00 sections the count sits in section 0
    if names_index == SHN_XINDEX:
        names_index = first[6]
    if count * entry_bytes > MAX_TABLE_BYTES or names_index >= count:
        raise ElfError(f"implausible section table ({count} sections)")
    table = reader.read(table_offset, count * entry_bytes)
    raw = [layout.unpack_from(table, i * entry_bytes) for i in range(count)]
    names = raw[names_index]
    if names[5] > MAX_TABLE_BYTES:
        raise ElfError("the section name table is implausibly large")
    strings = reader.read(names[4], names[5])
    return tuple(
        Section(_name(strings, r[0]), r[1], r[4], 0 if r[1] == SHT_NOBITS else r[5], r[6])
        for r in raw
    )


def _name(table: bytes, index: int) -> str:
    if index >= len(table):
        return ""
    return table[index:].split(b"\0", 1)[0].decode("ascii", "replace")


def _glibc_needed(reader: _Reader, sections: tuple[Section, ...]) -> tuple[tuple[int, int], ...]:
    """The GLIBC_x.y versions listed in the version-needs section (.gnu.version_r)."""
    needs = next((s for s in sections if s.kind == SHT_GNU_VERNEED), None)
    if needs is None:
        return ()
    if needs.size_bytes > MAX_VERSION_RECORDS * 16 or needs.link >= len(sections):
        raise ElfError("implausible version-needs section")
    name_of = _names(reader, sections[needs.link])
    table = reader.read(needs.offset, needs.size_bytes)
    found = set()
    for index in _version_names(table, reader.endian):
        match = GLIBC_VERSION.fullmatch(name_of(index))
        if match:
            found.add((int(match[1]), int(match[2])))
    return tuple(sorted(found))


def _names(reader: _Reader, strings: Section) -> Callable[[int], str]:
    """Names by index in a string table: read once when it is small, else name by name."""
    if strings.size_bytes > MAX_TABLE_BYTES:
        return lambda index: reader.string(strings, index)
    table = reader.read(strings.offset, strings.size_bytes)
    return lambda index: _name(table, index)


def _version_names(table: bytes, endian: str) -> list[int]:
    """String-table indexes of the needed versions (Elf_Verneed / Elf_Vernaux chains).

    The section is read once and the chains are followed inside it only. Each record is
    16 bytes, so a section of N records names at most N versions and the walk takes at most
    N steps, whatever the chains' offsets say: one linear pass.
    """
    need_layout = struct.Struct(endian + "2H 3I")
    aux_layout = struct.Struct(endian + "I 2H 2I")
    records = len(table) // 16
    names: list[int] = []
    need = 0
    for _ in range(records):
        _, count, _, aux, following = _record(need_layout, table, need)
        entry = need + aux
        for _ in range(min(count, records - len(names))):
            *_, name, step = _record(aux_layout, table, entry)
            names.append(name)
            entry += step
        if following == 0 or len(names) >= records:
            break
        need += following
    return names


def _record(layout: struct.Struct, table: bytes, offset: int) -> tuple[int, ...]:
    if offset + layout.size > len(table):
        raise ElfError("a version record points outside its section")
    return layout.unpack_from(table, offset)
