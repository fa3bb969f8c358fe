"""Hostile zips: every member is inflated through one bounded reader, in `analyze` and in the
extraction every command that runs a handler does; what cannot be read is one line."""

from __future__ import annotations

import bz2
import json
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner

from coldprof.cli import main
from coldprof.errors import TargetError
from coldprof.function import FunctionConfig
from coldprof.package import open_package
from coldprof.package.member import INFLATE_MARGIN_BYTES, MIN_READ_BYTES
from coldprof.render.words import skipped_reason
from coldprof.sandbox import materialize, materialize_all
from helpers import APP_SOURCE, peak_rss_mb, tree_snapshot, zip_folder, zip_with_member

BOMB_BYTES = 128 * 1024 * 1024  # what the hostile members inflate to
MEMORY_HEADROOM_MB = 40  # over a harmless zip's peak: far below what the bombs inflate to


def compressed(data_chunks: int, compressor) -> bytes:
    """BOMB_BYTES of zeros through a compressor, 8 MiB at a time."""
    zeros = bytes(8 * 1024 * 1024)
    return b"".join(compressor.compress(zeros) for _ in range(data_chunks)) + compressor.flush()


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Zips whose member declares 100 bytes and inflates to 128 MiB, and a harmless one."""
    folder = tmp_path_factory.mktemp("bombs")
    chunks = BOMB_BYTES // (8 * 1024 * 1024)
    deflated = compressed(chunks, zlib.compressobj(9, zlib.DEFLATED, -15))
    bzipped = compressed(chunks, bz2.BZ2Compressor(9))
    harmless = folder / "harmless.zip"
    with zipfile.ZipFile(harmless, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("app.py", APP_SOURCE)
        out.writestr("lib/_fast.so", b"\0" * 100)
    return {
        "harmless": harmless,
        "bzip2": zip_with_member(folder / "bzip2.zip", "lib/_fast.so", bzipped, 12, 100),
        "deflate": zip_with_member(folder / "deflate.zip", "lib/_fast.so", deflated, 8, 100),
        # a member no rule reads: only checking every member finds it
        "data": zip_with_member(folder / "data.zip", "data/table.bin", deflated, 8, 100),
    }


def one_line_error(result) -> str:
    """The single line a command printed, after checking it failed with exit status 1."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_a_bzip2_member_is_skipped_and_never_inflated(bombs):
    package = open_package(bombs["bzip2"])
    assert [f.path for f in package.files] == ["app.py"]
    (skipped,) = package.skipped
    assert skipped.path == "lib/_fast.so"
    assert (skipped.code, skipped.values) == ("method", {"method": 12, "method_name": "bzip2"})
    assert "compressed with bzip2 (method 12): not read" in skipped_reason(
        skipped.code, skipped.values
    )
    assert skipped.blocks_extraction
    status, bomb_mb, _ = peak_rss_mb("analyze", str(bombs["bzip2"]), "--format", "json")
    _, harmless_mb, _ = peak_rss_mb("analyze", str(bombs["harmless"]), "--format", "json")
    assert status == 0
    assert bomb_mb < harmless_mb + MEMORY_HEADROOM_MB


def test_a_deflate_member_inflating_past_its_declared_size_refuses_the_archive(bombs):
    status, peak_mb, stderr = peak_rss_mb("analyze", str(bombs["deflate"]))
    _, harmless_mb, _ = peak_rss_mb("analyze", str(bombs["harmless"]))
    assert status == 1
    assert stderr.strip().splitlines() == [
        f"coldprof: error: {bombs['deflate']}: member 'lib/_fast.so' holds more than its "
        "declared 100 B: the archive is corrupt or a zip bomb; refusing it"
    ]
    assert peak_mb < harmless_mb + MEMORY_HEADROOM_MB


def test_analyze_checks_every_member_so_a_lying_one_is_never_a_plausible_total(bombs, tmp_path):
    status, peak_mb, stderr = peak_rss_mb("analyze", str(bombs["data"]))
    _, harmless_mb, _ = peak_rss_mb("analyze", str(bombs["harmless"]))
    assert status == 1
    assert stderr.strip().splitlines() == [
        f"coldprof: error: {bombs['data']}: member 'data/table.bin' holds more than its "
        "declared 100 B: the archive is corrupt or a zip bomb; refusing it"
    ]
    assert peak_mb < harmless_mb + MEMORY_HEADROOM_MB
    config = tmp_path / "pyproject.toml"
    config.write_text(
        f'[tool.coldprof]\ntarget = "{bombs["data"]}"\n\n[tool.coldprof.budget]\n'
        'unzipped = "1 MiB"\n',
        encoding="utf-8",
    )
    line = one_line_error(CliRunner().invoke(main, ["check", "--config", str(config)]))
    assert "holds more than its declared 100 B" in line


def test_analyze_refuses_a_member_whose_crc_does_not_match(tmp_path):
    archive = wrong_crc(tmp_path)
    line = one_line_error(CliRunner().invoke(main, ["analyze", str(archive)]))
    assert "lib.py: CRC-32 mismatch: the member is corrupt" in line
    assert "Lambda could not unzip it either" in line


def test_the_reader_stops_at_the_declared_size_plus_its_margin(bombs):
    package = open_package(bombs["deflate"])
    with package.open("lib/_fast.so") as stream:
        with pytest.raises(TargetError, match="holds more than its declared 100 B"):
            stream.read(1000)
        assert stream.produced == 100  # nothing past the declared size was handed out
        assert stream.consumed <= 2 * MIN_READ_BYTES  # of 130 KB of compressed data
    assert INFLATE_MARGIN_BYTES == 1  # the look past the end, as docs/json-schema-analyze.md says


@pytest.mark.parametrize(
    ("method", "name"),
    [
        (9, "deflate64"),
        (12, "bzip2"),
        (14, "LZMA"),
        (93, "Zstandard"),
        (95, "xz"),
        (77, "an unknown method"),
    ],
)
def test_members_compressed_other_than_stored_or_deflate_are_skipped(tmp_path, method, name):
    archive = zip_with_member(tmp_path / "odd.zip", "data.bin", b"\0" * 64, method, 64)
    document = json.loads(
        CliRunner().invoke(main, ["analyze", str(archive), "--format", "json"]).output
    )
    (skipped,) = document["skipped"]
    assert (skipped["path"], skipped["code"]) == ("data.bin", "method")
    assert skipped["values"]["method"] == method
    assert document["totals"]["files"] == 1
    table = CliRunner().invoke(main, ["analyze", str(archive)], env={"COLUMNS": "200"}).output
    assert f"compressed with {name} (method {method}): not read" in table


def real_encrypted_zip(folder: Path) -> Path:
    """A zip encrypted by Info-ZIP's zip -P (ZipCrypto), as a user would make one."""
    (folder / "src").mkdir()
    (folder / "src" / "app.py").write_bytes(APP_SOURCE)
    archive = folder / "encrypted.zip"
    subprocess.run(
        ["zip", "-q", "-P", "secret", str(archive), "app.py"], cwd=folder / "src", check=True
    )
    return archive


def corrupt_deflate(folder: Path) -> Path:
    """A deflate member whose first block has the reserved block type (0b11)."""
    data = zlib.compress(APP_SOURCE * 50)[2:-4]
    broken = b"\xff" + data[1:]
    source = APP_SOURCE * 50
    return zip_with_member(
        folder / "corrupt.zip", "lib.py", broken, 8, len(source), zlib.crc32(source)
    )


def wrong_crc(folder: Path) -> Path:
    return zip_with_member(folder / "crc.zip", "lib.py", b"x = 1\n", 0, 6, crc=12345)


def cut_short(folder: Path) -> Path:
    """A stored member declaring more bytes than its data holds."""
    return zip_with_member(
        folder / "short.zip", "lib.py", b"x = 1\n", 0, 60, zlib.crc32(b"x = 1\n")
    )


def past_the_end(folder: Path) -> Path:
    """An archive whose last member's data runs past the end of the file (a truncated copy)."""
    archive = folder / "past-end.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        out.writestr("app.py", APP_SOURCE)
    data = bytearray(archive.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 20 : central + 24] = (10**6).to_bytes(4, "little")  # compressed size
    archive.write_bytes(bytes(data))
    return archive


def cut_in_half(folder: Path) -> Path:
    whole = corrupt_deflate(folder).read_bytes()
    archive = folder / "half.zip"
    archive.write_bytes(whole[: len(whole) // 2])
    return archive


def lying_deflate(folder: Path) -> Path:
    data = zlib.compress(bytes(1_000_000))[2:-4]
    return zip_with_member(folder / "liar.zip", "lib.py", data, 8, 100)


ATTACKS = {
    "encrypted": (real_encrypted_zip, "app.py: encrypted entry: not read"),
    "bzip2": (
        lambda f: zip_with_member(f / "bz.zip", "lib.py", bz2.compress(b"x = 1\n"), 12, 6),
        "lib.py: compressed with bzip2 (method 12): not read",
    ),
    "corrupt deflate": (corrupt_deflate, "lib.py: corrupt deflate data"),
    "wrong CRC-32": (wrong_crc, "lib.py: CRC-32 mismatch: the member is corrupt"),
    "data cut short": (cut_short, "lib.py: the member's data ends early"),
    "past the end": (past_the_end, "runs past the end of the archive: the zip is truncated"),
    "cut in half": (cut_in_half, "is not a readable zip archive"),
    "inflates past its size": (lying_deflate, "holds more than its declared 100 B"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_extraction_raises_one_clear_error_and_leaves_nothing(tmp_path, attack):
    if attack == "encrypted" and shutil.which("zip") is None:
        pytest.skip("zip is not installed")
    build, expected = ATTACKS[attack]
    archive = build(tmp_path)
    before = set(Path("/tmp").glob("coldprof-task-*"))
    with pytest.raises(TargetError) as raised, materialize(archive):
        pass
    assert expected in raised.value.message
    assert "\n" not in raised.value.message
    assert set(Path("/tmp").glob("coldprof-task-*")) == before


def write_project(folder: Path, archive: Path) -> Path:
    config = folder / "pyproject.toml"
    config.write_text(
        f'[tool.coldprof]\ntarget = "{archive}"\nhandler = "app.handler"\n\n'
        "[tool.coldprof.budget]\ninit_ms = 5000\n",
        encoding="utf-8",
    )
    return config


COMMANDS = {
    "invoke": lambda archive, folder: ["invoke", str(archive), "--handler", "app.handler"],
    "imports": lambda archive, folder: ["imports", str(archive), "--handler", "app.handler"],
    "bench": lambda archive, folder: [
        "bench",
        str(archive),
        "--handler",
        "app.handler",
        "--cold",
        "1",
        "--warm",
        "1",
    ],
    "check": lambda archive, folder: ["check", "--config", str(write_project(folder, archive))],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("attack", ["encrypted", "corrupt deflate", "past the end", "bzip2"])
def test_every_command_that_extracts_a_zip_fails_in_one_line(tmp_path, command, attack):
    if attack == "encrypted" and shutil.which("zip") is None:
        pytest.skip("zip is not installed")
    build, expected = ATTACKS[attack]
    archive = build(tmp_path)
    args = COMMANDS[command](archive, tmp_path)
    before = tree_snapshot(tmp_path)
    line = one_line_error(CliRunner().invoke(main, args))
    assert line.startswith("coldprof: error: ")
    assert expected in line
    assert tree_snapshot(tmp_path) == before


@pytest.mark.parametrize("tool", ["zipfile", "zip -r", "zip -r to a pipe"])
def test_a_real_package_extracts_byte_for_byte(tmp_path, sdk_target, tool):
    """Every member of a pip-installed tree (empty files, stored and deflated, with data
    descriptors when zip writes to a pipe) comes out whole."""
    archive = tmp_path / "sdk.zip"
    if tool == "zipfile":
        zip_folder(sdk_target, archive)
    elif shutil.which("zip") is None:
        pytest.skip("zip is not installed")
    elif tool == "zip -r":
        subprocess.run(["zip", "-qr", str(archive), "."], cwd=sdk_target, check=True)
    else:
        zipped = subprocess.run(["zip", "-qr", "-", "."], cwd=sdk_target, capture_output=True)
        archive.write_bytes(zipped.stdout)
        with zipfile.ZipFile(archive) as check:
            assert any(info.flag_bits & 0x08 for info in check.infolist())
    expected = {
        str(path.relative_to(sdk_target)): path.read_bytes()
        for path in sdk_target.rglob("*")
        if path.is_file() and not path.is_symlink()
    }
    assert any(not data for data in expected.values())  # empty __init__.py files among them
    with materialize(archive) as folder:
        extracted = {
            str(path.relative_to(folder)): path.read_bytes()
            for path in folder.rglob("*")
            if path.is_file()
        }
    assert extracted == expected


UNZIPPED_LIMIT_BYTES = json.loads(
    (Path(__file__).parent.parent / "coldprof" / "data" / "lambda.json").read_text()
)["limits"]["unzipped_with_layers_bytes"]


def zip_of_zeros(path: Path, unzipped_bytes: int) -> Path:
    """A small zip (deflated zeros) whose one data member unzips to `unzipped_bytes`."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("app.py", APP_SOURCE)
        with out.open("data.bin", "w", force_zip64=True) as member:
            left = unzipped_bytes - len(APP_SOURCE)
            while left > 0:
                member.write(bytes(min(left, 8 * 1024 * 1024)))
                left -= 8 * 1024 * 1024
    return path


@pytest.fixture(scope="module")
def over_limit(tmp_path_factory) -> Path:
    """A function zip one byte past Lambda's unzipped limit (262,144,000 B)."""
    folder = tmp_path_factory.mktemp("over-limit")
    return zip_of_zeros(folder / "big.zip", UNZIPPED_LIMIT_BYTES + 1)


def test_a_zip_past_lambda_s_unzipped_limit_is_not_extracted(over_limit, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(TargetError) as raised, materialize(over_limit):
        pass
    assert raised.value.message == (
        f"{over_limit}: unzips to 262,144,001 B, more than Lambda's limit of 262,144,000 B for "
        "a function and its layers unzipped: Lambda would refuse it, so coldprof does not "
        "extract it (coldprof analyze reads it without extracting)"
    )
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_a_function_and_layer_past_the_limit_together_are_not_extracted(tmp_path):
    half = UNZIPPED_LIMIT_BYTES // 2 + 1
    function, layer = zip_of_zeros(tmp_path / "f.zip", half), zip_of_zeros(tmp_path / "l.zip", half)
    config = FunctionConfig(target=function, handler="app.handler", layers=(layer,))
    before = set(Path(tempfile.gettempdir()).glob("coldprof-task-*"))
    with pytest.raises(TargetError, match="unzips to 262,144,002 B, more than"), ExitStack() as s:
        materialize_all(s, config.target, config.layers)
    assert set(Path(tempfile.gettempdir()).glob("coldprof-task-*")) == before


@pytest.mark.parametrize("command", ["invoke", "slim"])
def test_commands_that_extract_say_it_in_one_line(over_limit, command):
    args = [command, str(over_limit), "--handler", "app.handler"]
    line = one_line_error(CliRunner().invoke(main, [*args, *(["--check"] * (command == "slim"))]))
    assert line.startswith("coldprof: error: ") and "more than Lambda's limit" in line
