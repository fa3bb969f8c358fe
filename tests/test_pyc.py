"""The .pyc header reader against bytecode compiled by the real interpreter."""

from __future__ import annotations

import importlib.util
import py_compile
import sys
from pathlib import Path

import pytest

from coldprof.analyze.pyc import (
    cache_path,
    magic_python,
    parse_cache_path,
    read_header,
)

LOCAL = sys.version_info[:2]
MODES = {
    "timestamp": py_compile.PycInvalidationMode.TIMESTAMP,
    "checked-hash": py_compile.PycInvalidationMode.CHECKED_HASH,
    "unchecked-hash": py_compile.PycInvalidationMode.UNCHECKED_HASH,
}


def compiled(tmp_path: Path, mode: str) -> tuple[Path, Path]:
    source = tmp_path / "mod.py"
    source.write_text("VALUE = 42\n")
    pyc = Path(py_compile.compile(str(source), invalidation_mode=MODES[mode], doraise=True))
    return source, pyc


@pytest.mark.parametrize("mode", list(MODES))
def test_header_reports_the_invalidation_mode_python_wrote(tmp_path, mode):
    _, pyc = compiled(tmp_path, mode)
    header = read_header(pyc.read_bytes()[:16])
    assert header.invalidation == mode
    assert header.python == LOCAL
    assert header.magic.to_bytes(2, "little") == importlib.util.MAGIC_NUMBER[:2]


def test_timestamp_header_records_the_source_mtime_and_size(tmp_path):
    source, pyc = compiled(tmp_path, "timestamp")
    header = read_header(pyc.read_bytes())
    info = source.stat()
    assert header.source_bytes == len("VALUE = 42\n")
    assert header.source_mtime == int(info.st_mtime)


def test_hash_based_header_has_no_mtime(tmp_path):
    _, pyc = compiled(tmp_path, "unchecked-hash")
    header = read_header(pyc.read_bytes())
    assert header.source_mtime is None
    assert header.source_bytes is None


@pytest.mark.parametrize(
    ("magic", "python"),
    [(3425, (3, 9)), (3439, (3, 10)), (3495, (3, 11)), (3531, (3, 12)), (3571, (3, 13))],
)
def test_release_magic_numbers_map_to_their_python(magic, python):
    assert magic_python(magic) == python


def test_unknown_magic_has_no_python():
    assert magic_python(62211) is None  # Python 2.7
    assert magic_python(3413) is None  # Python 3.8


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00" * 8, b"abcd" + b"\x00" * 12, b"\xa7\r\r\n" + b"\x04\x00\x00\x00" + b"\x00" * 8],
)
def test_bad_headers_are_refused(data):
    with pytest.raises(ValueError):
        read_header(data)


def test_cache_path_follows_pep_3147():
    assert cache_path("pkg/sub/mod.py", (3, 11)) == "pkg/sub/__pycache__/mod.cpython-311.pyc"
    assert cache_path("six.py", (3, 12)) == "__pycache__/six.cpython-312.pyc"
    assert cache_path("mod.py", LOCAL) == importlib.util.cache_from_source("mod.py")


def test_parse_cache_path_gives_source_tag_and_optimization():
    plain = parse_cache_path("pkg/__pycache__/mod.cpython-312.pyc")
    assert (plain.source, plain.tag, plain.optimization) == ("pkg/mod.py", "cpython-312", None)
    optimized = parse_cache_path("__pycache__/six.cpython-311.opt-1.pyc")
    assert (optimized.source, optimized.optimization) == ("six.py", "1")
    assert parse_cache_path("pkg/mod.pyc") is None
    assert parse_cache_path("pkg/__pycache__/notes.txt") is None
