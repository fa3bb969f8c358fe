"""Where slim writes: a new zip or folder, never over or inside what it reads, all at once."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from coldprof.errors import UsageError


def is_zip(output: Path) -> bool:
    """Whether the output is a zip (OUT.zip) rather than a folder (OUT/)."""
    return output.suffix.lower() == ".zip"


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or (folder.is_dir() and path.is_relative_to(folder))


def refuse_bad_output(output: Path, inputs: Sequence[Path]) -> None:
    """A usage error when the output is an input, lies inside one, or would replace a folder
    that is not empty (or a zip path that is not a file)."""
    real = output.resolve()
    for path in inputs:
        if _inside(real, path.resolve()):
            raise UsageError(
                f"-o {output}: it is {path} or inside it; slim never writes over or inside "
                "what it reads: choose a path elsewhere"
            )
    if is_zip(output) and output.exists() and not output.is_file():
        raise UsageError(f"-o {output}: exists and is not a file")
    if not is_zip(output) and output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise UsageError(
            f"-o {output}: exists and is not an empty folder; remove it or name a new one "
            "(or end the name in .zip for a zip)"
        )


def _sibling(output: Path) -> str:
    """A new temporary name in the output's folder, for the last step's rename."""
    output.parent.mkdir(parents=True, exist_ok=True)
    return tempfile.mkdtemp(prefix=f".{output.name}.coldprof-", dir=output.parent)


def publish_zip(archive: Path, output: Path) -> None:
    """Put the zip at the output path in one rename (a file there is replaced)."""
    scratch = _sibling(output)
    try:
        staged = Path(scratch) / output.name
        shutil.copyfile(archive, staged)
        os.chmod(staged, 0o644)
        os.replace(staged, output)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def publish_folder(root: Path, output: Path) -> None:
    """Put the folder at the output path in one rename (an empty folder there is replaced)."""
    scratch = _sibling(output)
    try:
        staged = Path(scratch) / output.name
        shutil.copytree(root, staged)
        if output.is_dir():
            output.rmdir()
        os.rename(staged, output)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
