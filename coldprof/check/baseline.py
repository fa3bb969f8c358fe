"""The baseline file: package sizes and the init median a later check compares growth with."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from coldprof.check.result import Measurements
from coldprof.decode import DecodeError, decode
from coldprof.errors import UsageError
from coldprof.render.units import exact_bytes

KIND = "coldprof-baseline"
SCHEMA_VERSION = 1
MAX_BASELINE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Baseline:
    """What the package weighed, and its init median, when the baseline was written."""

    zipped_bytes: int
    unzipped_bytes: int
    init_ms: float | None  # median; None when no handler was configured


def _document(path: Path) -> dict[str, Any]:
    hint = "write it with `coldprof check --update-baseline`"
    if not path.is_file():
        what = "is not a file" if path.exists() else "not found"
        raise UsageError(f"baseline file {path} {what}; {hint}")
    with path.open("rb") as stream:
        raw = stream.read(MAX_BASELINE_BYTES + 1)
    if len(raw) > MAX_BASELINE_BYTES:
        raise UsageError(
            f"baseline file {path} is larger than {exact_bytes(MAX_BASELINE_BYTES)}; {hint}"
        )
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):  # ValueError: not JSON, or an int of 4,300+ digits
        raise UsageError(f"baseline file {path} is not JSON; {hint}") from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise UsageError(f"baseline file {path} is not a coldprof baseline; {hint}")
    if document.get("schema_version") != SCHEMA_VERSION:
        version = repr(document.get("schema_version"))[:20]
        raise UsageError(f"baseline file {path} has schema version {version}, not {SCHEMA_VERSION}")
    return document


def _baseline(path: Path, document: dict[str, Any]) -> Baseline:
    """The Baseline a document holds; one line naming the field when it does not fit."""
    try:
        baseline = decode(Baseline, document)
    except DecodeError as error:
        raise UsageError(f"baseline file {path}: {error.path}: {error.problem}") from None
    for key in ("zipped_bytes", "unzipped_bytes"):
        if getattr(baseline, key) < 0:
            raise UsageError(f"baseline file {path}: {key}: must be a whole number of bytes")
    return baseline


def read_baseline(path: Path) -> Baseline:
    """The baseline in a file (UsageError saying how to write one when it is missing or bad)."""
    try:
        document = _document(path)
    except OSError as error:
        raise UsageError(f"cannot read baseline file {path}: {error.strerror}") from None
    return _baseline(path, document)


def baseline_of(measurements: Measurements) -> Baseline:
    """The baseline a set of measurements makes."""
    init_ms = measurements.init_ms.median if measurements.init_ms else None
    return Baseline(measurements.zipped_bytes, measurements.unzipped_bytes, init_ms)


def refuse_inside(path: Path, analysed: tuple[Path, ...]) -> None:
    """UsageError when a file to write lies inside the analysed package or a layer."""
    where = path.resolve()
    for folder in analysed:
        if where.is_relative_to(folder.resolve()):
            raise UsageError(f"baseline file {path} is inside {folder}: put it outside the package")


def write_baseline(path: Path, baseline: Baseline, analysed: tuple[Path, ...]) -> None:
    """Write the baseline file, never inside the analysed package or layers."""
    refuse_inside(path, analysed)
    document = {"kind": KIND, "schema_version": SCHEMA_VERSION, **asdict(baseline)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write baseline file {path}: {error.strerror}") from None
