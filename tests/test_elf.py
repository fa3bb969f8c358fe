"""The ELF reader against shared objects built by gcc, checked with binutils' readelf."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest

from coldprof.analyze.elf import MAX_VERSION_RECORDS, ElfError, binary_format, read_elf
from rules_support import EXTENSION_C, GLIBC_2_27_C, compile_library, version_needs_elf


@pytest.fixture(scope="module")
def libraries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A debug build, a stripped build and a library needing GLIBC_2.27."""
    folder = tmp_path_factory.mktemp("elf")
    built = {
        "debug": compile_library(folder / "debug.so", EXTENSION_C, "-g"),
        "stripped": compile_library(folder / "stripped.so", EXTENSION_C, "-s"),
        "glibc": compile_library(folder / "glibc.so", GLIBC_2_27_C),
    }
    return built


def parse(path: Path):
    with path.open("rb") as stream:
        return read_elf(stream, path.stat().st_size)


def readelf_sections(path: Path) -> dict[str, int]:
    """Section sizes as binutils reports them."""
    command = ["readelf", "-SW", str(path)]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rows = re.findall(r"\]\s+(\S+)\s+(\S+)\s+\S+\s+\S+\s+([0-9a-f]+)", text)
    sizes = {name: int(size, 16) for name, kind, size in rows if kind != "NOBITS"}
    return {name: size for name, size in sizes.items() if size}


def test_section_sizes_match_readelf(libraries):
    elf = parse(libraries["debug"])
    expected = readelf_sections(libraries["debug"])
    assert {s.name: s.size_bytes for s in elf.sections if s.size_bytes and s.name} == expected
    debug = sum(size for name, size in expected.items() if name.startswith(".debug"))
    assert elf.debug_bytes == debug > 1000
    assert elf.symtab_bytes == expected[".symtab"] + expected[".strtab"]


def test_a_stripped_library_has_no_debug_or_symbol_table(libraries):
    elf = parse(libraries["stripped"])
    assert elf.debug_bytes == 0
    assert elf.symtab_bytes == 0
    assert elf.machine == 62
    assert elf.machine_name == "x86_64"
    assert elf.bits == 64


def test_glibc_versions_needed_come_from_gnu_version_r(libraries):
    elf = parse(libraries["glibc"])
    text = subprocess.run(
        ["readelf", "-V", str(libraries["glibc"])], capture_output=True, text=True
    )
    listed = {tuple(map(int, m)) for m in re.findall(r"GLIBC_(\d+)\.(\d+)", text.stdout)}
    assert set(elf.glibc_needed) == listed
    assert elf.glibc_required == (2, 27)


def test_patched_e_machine_reads_as_aarch64(libraries, tmp_path):
    data = bytearray(libraries["stripped"].read_bytes())
    data[18:20] = struct.pack("<H", 183)
    patched = tmp_path / "arm.so"
    patched.write_bytes(bytes(data))
    assert parse(patched).machine_name == "aarch64"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x7fELF\x02\x01\x01", "elf"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "mach-o"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x02", "mach-o"),
        (b"MZ\x90\x00\x03\x00", "pe"),
        (b"INPUT ( libc.so.6 )", None),
        (b"", None),
    ],
)
def test_binary_format_from_magic_bytes(head, kind):
    assert binary_format(head) == kind


def test_truncated_and_hostile_files_raise_elf_error(libraries, tmp_path):
    whole = libraries["debug"].read_bytes()
    truncated = tmp_path / "truncated.so"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ElfError):
        parse(truncated)
    huge_table = bytearray(whole)
    huge_table[0x3A:0x40] = struct.pack("<3H", 0xFFFF, 0xFFFF, 0)  # shentsize, shnum, shstrndx
    hostile = tmp_path / "hostile.so"
    hostile.write_bytes(bytes(huge_table))
    with pytest.raises(ElfError):
        parse(hostile)
    not_elf = tmp_path / "text.so"
    not_elf.write_bytes(b"INPUT ( libc.so.6 )\n")
    with pytest.raises(ElfError):
        parse(not_elf)


def test_a_hostile_version_count_is_bounded_by_the_section_size(libraries, tmp_path):
    needs = next(s for s in parse(libraries["glibc"]).sections if s.name == ".gnu.version_r")
    data = bytearray(libraries["glibc"].read_bytes())
    data[needs.offset + 2 : needs.offset + 4] = struct.pack("<H", 0xFFFF)  # vn_cnt
    hostile = tmp_path / "count.so"
    hostile.write_bytes(bytes(data))
    try:
        elf = parse(hostile)
    except ElfError:
        return
    assert len(elf.glibc_needed) <= needs.size_bytes // 16


def test_version_needs_chains_are_followed_inside_their_section_only(tmp_path):
    data = version_needs_elf(30, 4096)
    library = tmp_path / "chain.so"
    library.write_bytes(data)
    text = subprocess.run(["readelf", "-V", str(library)], capture_output=True, text=True).stdout
    assert len(re.findall(r"Name: GLIBC_2\.\d+", text)) == 30
    assert parse(library).glibc_required == (2, 29)
    outside = tmp_path / "outside.so"
    outside.write_bytes(version_needs_elf(30, 4096, aux_offset=4096 + 64))  # into the padding
    with pytest.raises(ElfError, match="outside its section"):
        parse(outside)


def test_version_records_past_the_cap_are_refused(tmp_path):
    library = tmp_path / "many.so"
    library.write_bytes(version_needs_elf(MAX_VERSION_RECORDS, 0))  # one record more than the cap
    with pytest.raises(ElfError, match="implausible version-needs section"):
        parse(library)
    library.write_bytes(version_needs_elf(MAX_VERSION_RECORDS - 1, 0))
    assert parse(library).glibc_required == (2, MAX_VERSION_RECORDS - 2)
