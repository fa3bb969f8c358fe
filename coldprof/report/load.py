"""Reading result documents for the report: strict on kind and schema, tolerant of the rest.

A document is read once and kept as its raw JSON object; the accessors below return None (or
an empty list) for a missing or mistyped field, so a hand-edited or older document never
breaks a chart.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import Any

from coldprof.errors import TargetError, UsageError
from coldprof.results import display_path, to_json
from coldprof.stats import Stats

# The newest schema version of each kind this report understands.
SUPPORTED_SCHEMAS = {"analyze": 1, "imports": 1, "bench": 1, "check": 1}
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # a bench holding 1,100,000 raw samples is about 31 MB
STATS_FIELDS = ("n", "mean", "stdev", "median", "p90", "p95", "p99", "min", "max")


@dataclass(frozen=True)
class Document:
    """One result document: where it came from, its kind and schema version, its JSON object."""

    source: str  # the file it was read from, as given
    kind: str
    schema_version: int
    data: dict[str, Any]
    name: str  # a short name for charts: the file's stem, or a compared run's label


def validate(data: Any, source: str) -> Document:
    """The document, or a one-line error when its kind or schema version cannot be read."""
    if not isinstance(data, dict):
        raise TargetError(f"{source}: not a coldprof result (a JSON object was expected)")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in SUPPORTED_SCHEMAS:
        known = ", ".join(sorted(SUPPORTED_SCHEMAS))
        shown = "no kind" if kind is None else f"kind {str(kind)[:40]!r}"
        raise TargetError(f"{source}: {shown}; coldprof report reads results of {known}")
    version = data.get("schema_version")
    if type(version) is not int or version < 1:
        raise TargetError(f"{source}: {kind} result without a valid schema_version")
    newest = SUPPORTED_SCHEMAS[kind]
    if version > newest:
        raise TargetError(
            f"{source}: {kind} schema version {version} is newer than this coldprof reads "
            f"({newest}); upgrade coldprof"
        )
    return Document(source, kind, version, data, PurePath(source).stem or kind)


def _read_text(path: Path) -> str:
    """The text of a result file, read only when it is a regular file of a sane size."""
    shown = display_path(str(path))
    if not path.exists():
        raise UsageError(f"no such result file: {shown}")
    if not path.is_file():
        raise UsageError(f"{shown} is not a file")
    with path.open("rb") as stream:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise TargetError(f"{shown} is larger than {MAX_DOCUMENT_BYTES:,} bytes: not a result")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise TargetError(f"{shown} is not JSON (not UTF-8 text)") from None


def load(path: Path) -> Document:
    """Read and validate one JSON result file."""
    text = _read_text(path)
    source = display_path(str(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TargetError(
            f"{source} is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise TargetError(f"{source} is not a coldprof result (nested too deeply)") from None
    return validate(data, source)


def _run_names(runs: list[Any]) -> list[str]:
    """Each run's label; with its memory size where labels repeat (a memory sweep)."""
    labels = [text(get(run, "label")) or f"run {i + 1}" for i, run in enumerate(runs)]
    if len(set(labels)) == len(labels):
        return labels
    memory = [number(get(run, "memory_mb")) for run in runs]
    return [
        label if mb is None else f"{label} at {mb:,.0f} MB"
        for label, mb in zip(labels, memory, strict=True)
    ]


def with_compared_runs(document: Document) -> list[Document]:
    """A bench document and, as documents of their own, the runs it was compared with."""
    compared = get(document.data, "compared")
    if not isinstance(compared, list) or not compared:
        return [document]
    own = {key: value for key, value in document.data.items() if key != "compared"}
    first, *others = _run_names([own, *compared])
    runs = [replace(document, data=own, name=first)]
    for run, name in zip(compared, others, strict=True):
        runs.append(replace(validate(run, f"{document.source} [{name}]"), name=name))
    return runs


def load_all(paths: Iterable[Path]) -> tuple[Document, ...]:
    """Read and validate every result file, in the order given, compared runs after their own."""
    return tuple(run for path in paths for run in with_compared_runs(load(Path(path))))


def from_result(result: Any, source: str = "result") -> tuple[Document, ...]:
    """The documents of a result record in memory (for `--report`), as its JSON would read."""
    return tuple(with_compared_runs(validate(json.loads(to_json(result)), source)))


def by_kind(documents: Sequence[Document]) -> dict[str, list[Document]]:
    """The documents of each kind, in order (an empty list for a kind not given)."""
    return {kind: [d for d in documents if d.kind == kind] for kind in SUPPORTED_SCHEMAS}


def get(data: Any, *keys: str) -> Any:
    """The value at a path of keys in nested objects, or None."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def number(value: Any) -> float | None:
    """A finite number, or None for anything else (booleans, strings, numbers beyond float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        found = float(value)
    except OverflowError:
        return None
    return found if math.isfinite(found) else None


def text(value: Any, default: str = "") -> str:
    """A string safe to show, or the default for a missing or non-string value."""
    return display_path(value) if isinstance(value, str) else default


def rows(data: Any, *keys: str) -> list[dict[str, Any]]:
    """The objects of a list at a path of keys (anything that is not an object left out)."""
    value = get(data, *keys)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def strings(data: Any, *keys: str) -> list[str]:
    """The strings of a list at a path of keys (anything that is not a string left out)."""
    value = get(data, *keys)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str)]


def stats(data: Any, *keys: str) -> Stats | None:
    """The statistics object at a path of keys, or None when missing or incomplete."""
    value = get(data, *keys)
    numbers = {name: number(get(value, name)) for name in STATS_FIELDS}
    if any(v is None for v in numbers.values()) or numbers["n"] < 1:
        return None
    outliers = number(get(value, "outliers")) or 0
    return Stats(
        n=int(numbers["n"]),
        mean=numbers["mean"],
        stdev=numbers["stdev"],
        median=numbers["median"],
        p90=numbers["p90"],
        p95=numbers["p95"],
        p99=numbers["p99"],
        min=numbers["min"],
        max=numbers["max"],
        outliers=int(outliers),
    )
