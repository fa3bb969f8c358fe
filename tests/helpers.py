"""Small test helpers shared across test modules."""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

from coldprof.function import FunctionConfig, environment_spec
from coldprof.sandbox import EnvironmentSpec


def tree_snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under root with its type, size, mtime and content hash (links not followed)."""
    snapshot: dict[str, tuple] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            digest = ""
            if path.is_file() and not path.is_symlink():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            snapshot[str(path.relative_to(root))] = (
                info.st_mode,
                info.st_size,
                info.st_mtime_ns,
                digest,
            )
    return snapshot


def zip_folder(folder: Path, archive: Path, prefix: str = "") -> Path:
    """Zip a folder's files the way a Python build script does (zipfile, deflate level 6)."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                out.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def sandbox_spec(target: Path, handler: str = "app.handler", **options) -> EnvironmentSpec:
    """The sandbox's spec for a folder, built from the function's record as every command does;
    `importtime` and `pycache_prefix` go to the spec, the rest to the record."""
    measuring = {
        key: options.pop(key) for key in ("importtime", "pycache_prefix") if key in options
    }
    function = FunctionConfig(target=target, handler=handler, **options)
    return environment_spec(function, **measuring)


APP_SOURCE = b"def handler(event, context):\n    return {'ok': 1}\n"


def zip_with_member(
    archive: Path,
    name: str,
    payload: bytes,
    method: int,
    declared_bytes: int,
    crc: int = 0,
    flags: int = 0,
) -> Path:
    """A zip holding app.py and `name`, whose raw data is `payload` as given (already
    compressed with `method`), with whatever size, CRC and flags its headers declare."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
        out.writestr("app.py", APP_SOURCE)
        out.writestr(name, payload)
        local = out.getinfo(name).header_offset
    data = bytearray(archive.read_bytes())
    central = data.index(name.encode(), data.index(b"PK\x01\x02")) - 46
    for header, shift in ((local, 0), (central, 2)):
        struct.pack_into("<HH", data, header + 6 + shift, flags, method)
        struct.pack_into("<L", data, header + 14 + shift, crc)
        struct.pack_into("<L", data, header + 22 + shift, declared_bytes)
    archive.write_bytes(bytes(data))
    return archive


def peak_rss_mb(*args: str) -> tuple[int, float, str]:
    """(exit status, peak resident MB, stderr) of `python -m coldprof ARGS` in a fresh process,
    read from the child's own VmHWM (os.wait4's ru_maxrss counts the parent's pages too)."""
    script = (
        "import atexit, sys\n"
        "def peak():\n"
        "    hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
        "    sys.stderr.write('\\nPEAK_KB ' + hwm.split()[1] + '\\n')\n"
        "atexit.register(peak)\n"
        "from coldprof.cli import main\n"
        "main(sys.argv[1:], prog_name='coldprof')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300
    )
    lines = done.stderr.rstrip("\n").splitlines()
    peak_kb = int(lines[-1].split()[1])
    return done.returncode, peak_kb / 1024, "\n".join(line for line in lines[:-1] if line)


def bytes_read() -> int:
    """Bytes this process has read through system calls so far (/proc/self/io rchar)."""
    with open("/proc/self/io") as stream:
        return int(next(line for line in stream if line.startswith("rchar")).split()[1])
