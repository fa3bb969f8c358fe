"""Reading folders and zips: exact sizes, and hostile input handled without harm."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from coldprof.cli import main
from coldprof.errors import TargetError, UsageError
from coldprof.package import open_package
from coldprof.package.zipped import MAX_UNZIPPED_BYTES
from coldprof.render.words import skipped_reason
from helpers import tree_snapshot, zip_folder

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo_function"


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- sizes -------------------------------------------------------------------------------


def test_folder_zipped_estimate_matches_a_real_zipfile_archive(tmp_path):
    package = open_package(DEMO)
    archive = zip_folder(DEMO, tmp_path / "demo.zip")
    real = archive.stat().st_size
    assert package.zipped_exact is False
    assert abs(package.archive_bytes - real) <= 0.01 * real
    assert package.unzipped_bytes == sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())


@pytest.mark.skipif(shutil.which("zip") is None, reason="zip is not installed")
def test_folder_zipped_estimate_is_within_one_percent_of_zip_6(tmp_path, sdk_target):
    package = open_package(sdk_target)
    archive = tmp_path / "zip6.zip"
    # -D -X: no folder entries and no extra timestamp fields, as zipfile writes them.
    subprocess.run(["zip", "-qr", "-6", "-D", "-X", str(archive), "."], cwd=sdk_target, check=True)
    real = archive.stat().st_size
    assert abs(package.archive_bytes - real) <= 0.01 * real


def test_zip_sizes_are_exact_from_the_central_directory(tmp_path):
    archive = zip_folder(DEMO, tmp_path / "demo.zip")
    package = open_package(archive)
    with zipfile.ZipFile(archive) as z:
        infos = [i for i in z.infolist() if not i.is_dir()]
    assert package.zipped_exact is True
    assert package.archive_bytes == archive.stat().st_size
    assert len(package.files) == len(infos)
    assert package.unzipped_bytes == sum(i.file_size for i in infos)
    # every byte of the archive is some entry's (headers + data) or the end record
    assert sum(f.zipped_bytes for f in package.files) + 22 == archive.stat().st_size
    assert package.read("six.py", 10) == (DEMO / "six.py").read_bytes()[:10]


def test_cli_totals_of_folder_and_zip_agree_on_unzipped_bytes(tmp_path):
    archive = zip_folder(DEMO, tmp_path / "demo.zip")
    import json

    folder = json.loads(run_cli("analyze", str(DEMO), "--format", "json").output)
    zipped = json.loads(run_cli("analyze", str(archive), "--format", "json").output)
    assert folder["totals"]["unzipped_bytes"] == zipped["totals"]["unzipped_bytes"]
    assert folder["totals"]["files"] == zipped["totals"]["files"]
    assert zipped["totals"]["zipped_bytes"] == archive.stat().st_size


# --- hostile zips --------------------------------------------------------------------------


def test_zip_entries_escaping_the_package_and_links_are_skipped(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return 1\n")
        z.writestr("../../etc/evil.py", "x = 1\n")
        z.writestr("/abs/evil.py", "x = 1\n")
        link = zipfile.ZipInfo("link_to_passwd")
        link.external_attr = 0o120777 << 16
        z.writestr(link, "/etc/passwd")
    package = open_package(archive)
    assert [f.path for f in package.files] == ["app.py"]
    codes = {s.path: s.code for s in package.skipped}
    assert codes == {
        "../../etc/evil.py": "dot-dot",
        "/abs/evil.py": "absolute-path",
        "link_to_passwd": "link-outside",
    }
    (link,) = [s for s in package.skipped if s.path == "link_to_passwd"]
    assert link.values == {"target": "/etc/passwd"}
    reasons = {s.path: skipped_reason(s.code, s.values) for s in package.skipped}
    assert "escapes the package" in reasons["../../etc/evil.py"]
    assert "absolute path" in reasons["/abs/evil.py"]
    assert "symbolic link to '/etc/passwd' outside the target" in reasons["link_to_passwd"]
    assert not (tmp_path.parent / "etc" / "evil.py").exists()


def _patch_declared_size(archive: Path, size: int) -> None:
    """Rewrite the first central directory entry's uncompressed size (a declared-size bomb)."""
    data = bytearray(archive.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<L", size)
    archive.write_bytes(bytes(data))


def test_declared_size_bomb_is_refused_with_one_line(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for n in range(3):
            z.writestr(f"zeros{n}.bin", b"\0" * 1000)
    data = bytearray(archive.read_bytes())
    offset = 0
    for _ in range(3):  # every entry declares 0xFFFFFFF0 bytes: ~12 GiB in all
        offset = data.index(b"PK\x01\x02", offset) + 4
        data[offset + 20 : offset + 24] = struct.pack("<L", 0xFFFFFFF0)
    archive.write_bytes(bytes(data))
    with pytest.raises(TargetError, match="zip bomb"):
        open_package(archive)
    result = CliRunner().invoke(main, ["analyze", str(archive)])
    assert result.exit_code == 1
    assert f"{MAX_UNZIPPED_BYTES:,}" in result.output
    assert "Traceback" not in result.output


def test_overlapping_entries_bomb_is_refused(tmp_path):
    archive = tmp_path / "overlap.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.bin", b"\0" * 100_000)
        z.writestr("b.bin", b"\0" * 100_000)
    data = bytearray(archive.read_bytes())
    first = data.index(b"PK\x01\x02")
    second = data.index(b"PK\x01\x02", first + 4)
    # point the second entry at the first one's data, as overlapping zip bombs do
    data[second + 42 : second + 46] = data[first + 42 : first + 46]
    archive.write_bytes(bytes(data))
    with pytest.raises(TargetError, match="overlap"):
        open_package(archive)


def test_member_inflating_past_its_declared_size_is_never_read_past_it(tmp_path):
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.so", b"\0" * 50_000_000)
    _patch_declared_size(archive, 100)
    package = open_package(archive)
    assert package.files[0].unzipped_bytes == 100
    assert package.read("big.so", 10) == b"\0" * 10
    with pytest.raises(TargetError, match="holds more than its declared 100 B"):
        package.read("big.so")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"this is not a zip file at all\n", "not a readable zip archive"),
        (None, "not a readable zip archive"),  # a real zip cut in half
    ],
)
def test_corrupt_and_fake_zips_give_one_line(tmp_path, content, expected):
    archive = tmp_path / "broken.zip"
    if content is None:
        whole = zip_folder(DEMO, tmp_path / "whole.zip").read_bytes()
        content = whole[: len(whole) // 2]
    archive.write_bytes(content)
    result = CliRunner().invoke(main, ["analyze", str(archive)])
    assert result.exit_code == 1
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_zip_whose_central_directory_points_before_the_archive_gives_one_line(tmp_path):
    archive = zip_folder(DEMO, tmp_path / "shifted.zip")
    data = bytearray(archive.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    (offset,) = struct.unpack_from("<L", data, end + 16)
    struct.pack_into("<L", data, end + 16, offset + 100)  # entries now start at offset -100
    archive.write_bytes(data)
    result = CliRunner().invoke(main, ["analyze", str(archive)])
    assert result.exit_code == 1
    assert "starts before the archive: the zip is corrupt" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_zip_needing_an_unknown_zip_version_gives_one_line(tmp_path):
    archive = zip_folder(DEMO, tmp_path / "future.zip")
    data = bytearray(archive.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 6] = 99  # "version needed to extract" 9.9: zipfile raises NotImplementedError
    archive.write_bytes(data)
    result = CliRunner().invoke(main, ["analyze", str(archive)])
    assert result.exit_code == 1
    assert "not a readable zip archive (zip file version 9.9)" in result.output
    assert len(result.output.strip().splitlines()) == 1


# --- hostile folders -----------------------------------------------------------------------


def hostile_tree(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("x = 1\n")
    (root / "loop_a").symlink_to("loop_b")
    (root / "loop_b").symlink_to("loop_a")
    (root / "dir_loop").symlink_to(".")
    (root / "outside").symlink_to("/etc")
    (root / "broken").symlink_to("does-not-exist")
    os.mkfifo(root / "fifo")
    deep = root
    for level in range(70):
        deep = deep / f"d{level}"
    deep.mkdir(parents=True)
    (deep / "bottom.txt").write_text("deep\n")
    (root / "new\nline.py").write_text("y = 2\n")
    os.close(os.open(os.fsencode(root) + b"/bad\xffname.py", os.O_CREAT | os.O_WRONLY, 0o644))
    return root


def test_hostile_folder_is_read_without_following_or_opening_specials(tmp_path):
    root = hostile_tree(tmp_path / "target")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    try:
        before = tree_snapshot(root)
        package = open_package(root)
        after = tree_snapshot(root)
    finally:
        sock.close()
    paths = {f.path for f in package.files}
    assert "pkg/mod.py" in paths
    assert "new\nline.py" in paths
    assert any(p.startswith("bad") for p in paths)
    assert "/".join(f"d{n}" for n in range(70)) + "/bottom.txt" in paths
    codes = {s.path: s.code for s in package.skipped}
    assert (codes["fifo"], codes["sock"]) == ("fifo", "socket")
    assert (codes["outside"], codes["broken"]) == ("link-outside", "link-broken")
    assert codes["loop_a"].startswith("link-") and codes["dir_loop"].startswith("link-")
    reasons = {s.path: skipped_reason(s.code, s.values) for s in package.skipped}
    assert "FIFO" in reasons["fifo"]
    assert "outside the target" in reasons["outside"]
    assert "broken symbolic link" in reasons["broken"]
    assert before == after


def test_hostile_folder_through_the_cli_prints_safe_paths(tmp_path):
    import json

    root = hostile_tree(tmp_path / "target")
    result = run_cli("analyze", str(root), "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.output)
    skipped = {s["path"]: s["code"] for s in document["skipped"]}
    assert skipped["fifo"] == "fifo"
    assert "FIFO (named pipe): never opened" in run_cli("analyze", str(root)).output
    table = run_cli("analyze", str(root)).output
    assert "new\\nline.py" in table or "new\nline.py" not in table


def test_device_files_are_never_opened(tmp_path):
    root = tmp_path / "target"
    root.mkdir()
    try:
        os.mknod(root / "null", 0o600 | 0o020000, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    package = open_package(root)
    assert package.files == ()
    assert package.skipped[0].code == "device"


UNPRIVILEGED_READ = """
import json, os, sys
from pathlib import Path
from coldprof.package import open_package
if os.geteuid() == 0:  # root reads any file: drop to nobody after the imports
    os.setgid(65534)
    os.setuid(65534)
package = open_package(Path(sys.argv[1]))
print(json.dumps({"files": [f.path for f in package.files],
                  "skipped": {s.path: [s.code, s.values] for s in package.skipped}}))
"""


def test_unreadable_file_and_folder_are_skipped():
    import json
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
        root = Path(scratch) / "target"
        (root / "locked").mkdir(parents=True)
        (root / "ok.py").write_text("x = 1\n")
        (root / "secret.py").write_text("x = 1\n")
        (root / "secret.py").chmod(0)
        (root / "locked").chmod(0)
        for folder in (Path(scratch), root):
            folder.chmod(0o755)
        done = subprocess.run(
            [sys.executable, "-c", UNPRIVILEGED_READ, str(root)], capture_output=True, text=True
        )
        (root / "locked").chmod(0o755)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["files"] == ["ok.py"]
    assert found["skipped"]["secret.py"] == ["unreadable", {"error": "Permission denied"}]
    assert found["skipped"]["locked"] == ["folder-unreadable", {"error": "Permission denied"}]


def test_folder_with_more_subfolders_than_open_files_allowed_reads_whole(tmp_path):
    import json
    import resource
    import sys

    root = tmp_path / "wide"
    for number in range(300):
        (root / f"d{number:03}").mkdir(parents=True)
        (root / f"d{number:03}" / "mod.py").write_text("x = 1\n")
    done = subprocess.run(
        [sys.executable, "-m", "coldprof", "analyze", str(root), "--format", "json"],
        capture_output=True,
        text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128)),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["totals"]["files"] == 300
    assert result["totals"]["unzipped_bytes"] == 300 * 6
    assert result["skipped"] == []


# --- plain bad input -----------------------------------------------------------------------


def test_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError):
        open_package(tmp_path / "nope")
    result = CliRunner().invoke(main, ["analyze", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_empty_folder_analyses_to_zero(tmp_path):
    import json

    result = run_cli("analyze", str(tmp_path), "--format", "json")
    document = json.loads(result.output)
    assert document["totals"]["files"] == 0
    assert document["totals"]["unzipped_bytes"] == 0
    assert all(limit["ok"] for limit in document["limits"])


def test_fifo_as_target_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.zip")
    result = CliRunner().invoke(main, ["analyze", str(tmp_path / "pipe.zip")])
    assert result.exit_code == 1
    assert "neither a folder nor a zip" in result.output
