"""A target as a folder the child can run: a folder as it is, a zip extracted safely."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from coldprof.data import lambda_facts
from coldprof.errors import TargetError, UsageError
from coldprof.package import open_package
from coldprof.package.model import Package
from coldprof.render.units import exact_bytes

CHUNK_BYTES = 1024 * 1024
CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
READ_ONLY_FILE = 0o444
READ_ONLY_FOLDER = 0o555


@contextmanager
def materialize(target: Path) -> Iterator[Path]:
    """Yield a folder holding the target: itself, or a read-only extraction of a zip."""
    if target.is_dir():
        yield target
        return
    if not target.exists():
        raise UsageError(f"{target}: no such file or folder")
    package = open_package(target)
    refuse_over_limit([package])
    folder = Path(tempfile.mkdtemp(prefix="coldprof-task-"))
    try:
        _extract(package, folder)
        _make_read_only(folder)
        yield folder
    finally:
        _remove(folder)


def materialize_all(
    stack: ExitStack, target: Path, layers: Sequence[Path]
) -> tuple[Path, tuple[Path, ...]]:
    """Folders for a target and its layers; extracted zips stay until `stack` closes. Nothing
    is extracted when the zips together unzip past Lambda's limit."""
    refuse_over_limit([open_package(path) for path in (target, *layers) if path.is_file()])
    task_root = stack.enter_context(materialize(target))
    return task_root, tuple(stack.enter_context(materialize(layer)) for layer in layers)


def refuse_over_limit(packages: Sequence[Package]) -> None:
    """TargetError, one line, when the packages to extract unzip past Lambda's limit for a
    function and its layers (exact bytes, from lambda.json): nothing is written then."""
    limit = lambda_facts()["limits"]["unzipped_with_layers_bytes"]
    total = sum(package.unzipped_bytes for package in packages)
    if total <= limit:
        return
    where = ", ".join(package.location for package in packages)
    raise TargetError(
        f"{where}: unzips to {exact_bytes(total)}, more than Lambda's limit of "
        f"{exact_bytes(limit)} for a function and its layers unzipped: Lambda would refuse it, "
        "so coldprof does not extract it (coldprof analyze reads it without extracting)"
    )


def _extract(package: Package, folder: Path) -> None:
    """Stream every counted file out of the zip (skipped entries are never extracted).

    Raises TargetError, one line, when a member cannot be read: encrypted, compressed other
    than stored or deflate, corrupt, truncated, or holding more than it declares.
    """
    from coldprof.render.words import skipped_reason  # the words import the sandbox's users

    for skipped in package.skipped:
        if skipped.blocks_extraction:
            reason = (
                f"cannot extract {skipped.path}: {skipped_reason(skipped.code, skipped.values)}"
            )
            raise TargetError(f"{package.location}: {reason}")
    for entry in package.files:
        destination = folder / entry.path
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            _copy(package, entry.path, destination)
        except OSError as error:
            reason = error.strerror or str(error)
            raise TargetError(
                f"{package.location}: cannot extract {entry.path}: {reason}"
            ) from None


def _copy(package: Package, path: str, destination: Path) -> None:
    """Copy one member into a new file (never through a link, never over a file)."""
    fd = os.open(destination, CREATE_FLAGS, 0o644)
    with os.fdopen(fd, "wb") as out, package.open(path) as stream:
        shutil.copyfileobj(stream, out, CHUNK_BYTES)


def _make_read_only(folder: Path) -> None:
    """Files 0444 and folders 0555, as /var/task is read-only on Lambda."""
    for parent, _, files in os.walk(folder):
        for name in files:
            os.chmod(os.path.join(parent, name), READ_ONLY_FILE)
        os.chmod(parent, READ_ONLY_FOLDER)


def _remove(folder: Path) -> None:
    """Delete the extraction, making its folders writable again first."""
    for parent, _, _ in os.walk(folder):
        os.chmod(parent, stat.S_IRWXU)
    shutil.rmtree(folder, ignore_errors=True)
