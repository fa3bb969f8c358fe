"""The size cache: keyed by content, bounded, shared safely by concurrent runs, never trusted
over the files and never written inside what is analysed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from coldprof.analyze import analyze
from coldprof.analyze.runtime import runtime_named
from coldprof.package import cache as size_cache
from coldprof.package.cache import FILE_NAME, open_cache
from coldprof.package.folder import read_folder
from helpers import tree_snapshot

PY311 = runtime_named("python3.11")


def sizes(package) -> dict[str, tuple[int, int, int]]:
    return {f.path: (f.unzipped_bytes, f.zipped_bytes, f.crc32) for f in package.files}


def measured(root: Path, cache=None):
    package = read_folder(root, "function", ("",), cache=cache)
    if cache is not None:
        cache.close()
    return package


def test_a_second_read_hashes_only_and_gives_the_same_sizes(sdk_target, own_cache_folder):
    first, second = open_cache(), None
    cold = measured(sdk_target, first)
    assert first.new and not first.hits
    second = open_cache()
    warm = measured(sdk_target, second)
    assert second.new == {}
    assert len(second.hits) == len(first.new)
    assert sizes(warm) == sizes(cold) == sizes(measured(sdk_target))
    assert (own_cache_folder / "coldprof" / FILE_NAME).is_file()


def test_a_changed_file_of_the_same_size_and_mtime_is_measured_again(tmp_path):
    root = tmp_path / "fn"
    root.mkdir()
    target = root / "data.txt"
    target.write_bytes(b"a" * 5000)
    info = target.stat()
    measured(root, open_cache())
    target.write_bytes(os.urandom(5000))  # same size, incompressible
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    again = measured(root, open_cache())
    assert sizes(again) == sizes(measured(root))
    assert again.files[0].zipped_bytes > 5000


def test_a_corrupt_cache_file_is_replaced_and_the_analysis_runs(sdk_target, own_cache_folder):
    path = own_cache_folder / "coldprof" / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    result = analyze(sdk_target, runtime=PY311)
    assert (
        result.totals.zipped_bytes
        == analyze(sdk_target, runtime=PY311, cache=False).totals.zipped_bytes
    )
    rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM sizes").fetchone()[0]
    assert rows > 0  # a new cache, filled by this run


def test_no_cache_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("X = 1\n")
    analyze(tmp_path / "fn", runtime=PY311, cache=False)
    assert not (tmp_path / "cache").exists()
    analyze(tmp_path / "fn", runtime=PY311)
    assert (tmp_path / "cache" / "coldprof" / FILE_NAME).is_file()


def test_a_cache_folder_inside_the_target_is_not_used(tmp_path, monkeypatch):
    root = tmp_path / "fn"
    root.mkdir()
    (root / "app.py").write_text("X = 1\n")
    before = tree_snapshot(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / ".cache"))
    analyze(root, runtime=PY311)
    assert tree_snapshot(root) == before


def test_an_unusable_cache_folder_only_costs_speed(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("X = 1\n")
    assert analyze(tmp_path / "fn", runtime=PY311).totals.files == 1


def test_the_cache_is_bounded_oldest_first(tmp_path, monkeypatch, own_cache_folder):
    monkeypatch.setattr(size_cache, "MAX_ROWS", 10)
    monkeypatch.setattr(size_cache, "KEEP_ROWS", 6)
    root = tmp_path / "fn"
    root.mkdir()
    for number in range(30):
        (root / f"f{number}.txt").write_text(f"file {number}\n" * (number + 1))
    measured(root, open_cache())
    path = own_cache_folder / "coldprof" / FILE_NAME
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM sizes").fetchone()[0] == 6


def test_concurrent_runs_share_the_cache_safely(pip_target, tmp_path, own_cache_folder):
    trees = [pip_target("requests", "boto3", "six"), pip_target("six")]
    command = [sys.executable, "-m", "coldprof", "analyze", "--runtime", "python3.11"]
    env = {**os.environ, "XDG_CACHE_HOME": str(own_cache_folder)}
    runs = [
        subprocess.Popen([*command, str(tree), "--format", "json"], stdout=subprocess.PIPE, env=env)
        for tree in trees * 2
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0, 0]
    for tree, output in zip(trees * 2, outputs, strict=True):
        expected = analyze(tree, runtime=PY311, cache=False).totals.zipped_bytes
        assert json.loads(output)["totals"]["zipped_bytes"] == expected


@pytest.mark.parametrize("flag", [[], ["--no-cache"]])
def test_the_cli_gives_the_same_document_with_and_without_the_cache(tmp_path, flag):
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 1\n" * 50)
    command = [
        sys.executable,
        "-m",
        "coldprof",
        "analyze",
        str(tmp_path),
        "--runtime",
        "python3.11",
    ]
    runs = [subprocess.run([*command, *flag, "--format", "json"], capture_output=True, check=True)]
    runs.append(subprocess.run([*command, "--format", "json"], capture_output=True, check=True))
    totals = [json.loads(run.stdout)["totals"] for run in runs]
    assert totals[0] == totals[1]
