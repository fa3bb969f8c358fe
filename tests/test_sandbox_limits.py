"""The environment's limits: timeouts, memory, output floods, and a package left untouched."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from coldprof.sandbox import Environment, materialize
from helpers import sandbox_spec, tree_snapshot

HANDLERS = Path(__file__).resolve().parent.parent / "fixtures" / "handlers"


def helper_pid(log: str) -> int:
    """The pid a fixture printed for the process it started."""
    return int(re.search(r"started helper pid (\d+)", log).group(1))


def assert_gone(pid: int) -> None:
    """Nothing left running: within 2 s (SIGKILL is asynchronous) gone, or a zombie."""
    status = ""
    for _ in range(200):
        try:
            status = psutil.Process(pid).status()
        except psutil.NoSuchProcess:
            return
        if status == psutil.STATUS_ZOMBIE:
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} survived its environment: {status}")


def test_init_that_never_ends_times_out_and_its_children_die():
    spec = dataclasses.replace(sandbox_spec(HANDLERS / "hangs_at_import"), init_timeout_s=1.0)
    with Environment(spec) as environment:
        result = environment.start()
    assert not result.ok
    assert (result.error.type, result.error.message) == (
        "Sandbox.Timedout",
        "Task timed out after 1.00 seconds",
    )
    assert 1000 <= result.init_duration_ms < 10_000  # the runtime's start and the function's
    assert result.retry  # Lambda runs an init that passed its limit again, in the invocation
    assert result.status == "timeout"
    assert "hanging now" in result.log
    assert_gone(helper_pid(result.log))


def test_invocation_timeout_ends_the_environment_and_its_children():
    spec = sandbox_spec(HANDLERS / "hangs_in_handler", timeout_s=0.5)
    with Environment(spec) as environment:
        assert environment.start().ok
        result = environment.invoke({}, request_id="slow")
        with pytest.raises(RuntimeError):
            environment.invoke({})
    assert not result.ok and result.environment_ended
    message = "RequestId: slow Error: Task timed out after 0.50 seconds"
    assert result.error.message == message
    assert result.payload == (
        b'{"errorMessage":"' + message.encode() + b'","errorType":"Sandbox.Timedout"}'
    )
    assert result.timed_out and result.duration_ms == 500  # Lambda's Duration: the timeout
    assert 500 <= result.round_trip_ms < 10_000
    assert_gone(helper_pid(result.log))


def test_output_flood_is_bounded_and_the_import_profile_survives():
    spec = sandbox_spec(HANDLERS / "floods_output", importtime=True)
    with Environment(spec) as environment:
        init = environment.start()
        invoked = environment.invoke({})
    assert init.ok
    assert len(init.log) < 200_000
    assert "bytes of output not kept]" in init.log
    assert init.log.startswith("x" * 1023 + "\n")
    names = [row.split("|")[-1].strip() for row in init.importtime_lines]
    assert "email" in names and "app" in names, "rows written after the flood were lost"
    assert names.index("email") < names.index("app")
    assert invoked.ok and invoked.response == {"ok": True}
    dropped = int(re.search(r"\[coldprof: ([\d,]+) bytes", invoked.log).group(1).replace(",", ""))
    assert dropped == 5 * 1024 * 1024 - 2 * 64 * 1024


def test_memory_past_the_limit_ends_the_environment_with_out_of_memory():
    spec = sandbox_spec(HANDLERS / "eats_memory", memory_mb=128)
    with Environment(spec) as environment:
        assert environment.start().ok
        small = environment.invoke({"mb": 32})
        large = environment.invoke({"mb": 1024})
    assert small.ok and small.response == {"kept_mb": 32}
    assert 32 < small.max_rss_mb < 128
    assert not large.ok and large.environment_ended
    assert large.error.type == "Runtime.OutOfMemory"
    assert large.error.message.endswith("Error: Runtime exited with error: signal: killed")
    assert large.max_rss_mb > 128
    assert large.max_rss_mb > 128


def test_memory_past_the_limit_at_init(tmp_path):
    spec = sandbox_spec(HANDLERS / "eats_memory", memory_mb=128, env={"EAT_AT_INIT_MB": "1024"})
    with Environment(spec) as environment:
        result = environment.start()
    assert result.error.type == "Runtime.OutOfMemory"
    assert result.max_rss_mb > 128


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            out.write(path, path.relative_to(folder).as_posix())
    return archive


def test_fixture_would_write_bytecode_without_the_sandbox(tmp_path):
    root = shutil.copytree(HANDLERS / "writes_pycache_attempt", tmp_path / "function")
    code = "import sys; sys.path.insert(0, '.'); import app"
    subprocess.run([sys.executable, "-I", "-S", "-B", "-c", code], cwd=root, check=True)
    assert list(root.rglob("__pycache__")), "the fixture no longer tries to write bytecode"


def test_package_and_layers_are_untouched_by_several_runs(tmp_path):
    root = shutil.copytree(HANDLERS / "writes_pycache_attempt", tmp_path / "function")
    layer = tmp_path / "layer"
    (layer / "python").mkdir(parents=True)
    (layer / "python" / "from_layer.py").write_text("VALUE = 1\n")
    (root / "uses_layer.py").write_text("import from_layer\n")
    archive = zip_folder(root, tmp_path / "function.zip")
    before = (tree_snapshot(root), tree_snapshot(layer), archive.read_bytes())
    for target in (root, archive):
        with materialize(target) as task_root:
            for _ in range(3):
                spec = sandbox_spec(task_root, layers=(layer,))
                with Environment(spec) as environment:
                    assert environment.start().ok
                    assert environment.invoke({}).response == 42
    assert (tree_snapshot(root), tree_snapshot(layer), archive.read_bytes()) == before
    assert not [path for path in tmp_path.rglob("__pycache__")]


def test_bytecode_cache_outside_the_package_is_written_and_used(tmp_path):
    root = shutil.copytree(HANDLERS / "writes_pycache_attempt", tmp_path / "function")
    cache = tmp_path / "cache"
    before = tree_snapshot(root)
    snapshots = []
    for _ in range(2):
        spec = sandbox_spec(root, pycache_prefix=cache)
        with Environment(spec) as environment:
            assert environment.start().ok
        snapshots.append(tree_snapshot(cache))
    mirrored = cache / root.relative_to(root.anchor)
    cached = sorted(path.name.split(".")[0] for path in mirrored.rglob("*.pyc"))
    assert cached == ["app", "helper"]
    assert snapshots[0] == snapshots[1], "the second run rewrote the cache instead of using it"
    assert tree_snapshot(root) == before
