"""Result documents: every result record written as JSON one way, and read back into its record.

Reading is strict on the kind and the schema version and tolerant of the rest, as
docs/json-schema-*.md describe: older versions are upgraded, unknown fields ignored, missing
ones take their documented default, and anything else is one line naming the field.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coldprof.decode import DecodeError, decode
from coldprof.errors import TargetError, UsageError

# Each kind's record: "module:class"; the module holds SCHEMA_VERSION and UPGRADES.
KINDS = {
    "analyze": "coldprof.analyze.result:AnalyzeResult",
    "bench": "coldprof.bench.result:BenchResult",
    "check": "coldprof.check.result:CheckResult",
    "imports": "coldprof.imports.result:ImportsResult",
    "slim": "coldprof.slim.result:SlimResult",
}
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # a bench holding 1,100,000 raw samples is about 31 MB
LEGACY_TEXT = "text"  # the code of a sentence an older schema version stored as it was


@dataclass(frozen=True)
class Note:
    """Something a reader should know, as data: a code and the values a renderer words it with."""

    code: str  # "outliers", "few-samples", ... (docs/json-schema-*.md list them)
    values: dict[str, Any] = field(default_factory=dict)  # names carry units: "farthest_ms"


def legacy_note(text: Any) -> Any:
    """The JSON of a Note holding a sentence an older schema version stored as text."""
    return {"code": LEGACY_TEXT, "values": {"text": text}} if isinstance(text, str) else text


def to_dict(result: Any) -> dict[str, Any]:
    """The JSON-ready dict of a result record (dataclasses all the way down)."""
    return dataclasses.asdict(result)


def to_json(result: Any) -> str:
    """The versioned JSON document of a result record."""
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"


def display_path(path: str) -> str:
    """A path made safe to print: undecodable bytes and control characters escaped."""
    raw = path.encode("utf-8", "surrogateescape")
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _kind_module(kind: str) -> tuple[Any, type]:
    module_name, class_name = KINDS[kind].split(":")
    module = importlib.import_module(module_name)
    return module, getattr(module, class_name)


def _kind(data: Any, source: str) -> str:
    if not isinstance(data, dict):
        raise TargetError(f"{source}: not a coldprof result (a JSON object was expected)")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        known = ", ".join(KINDS)
        shown = "no kind" if kind is None else f"kind {str(kind)[:40]!r}"
        raise TargetError(f"{source}: {shown}; coldprof reads results of {known}")
    return kind


def _version(data: dict, kind: str, newest: int, source: str) -> int:
    version = data.get("schema_version")
    if type(version) is not int or version < 1:
        raise TargetError(f"{source}: {kind} result without a valid schema_version")
    if version > newest:
        raise TargetError(
            f"{source}: {kind} schema version {version} is newer than this coldprof reads "
            f"({newest}); upgrade coldprof"
        )
    return version


def upgraded(data: dict, version: int, upgrades: dict[int, Callable[[dict], dict]]) -> dict:
    """The document in the newest shape, each older version's upgrade applied in turn."""
    while version in upgrades:
        data = {**upgrades[version](data), "schema_version": version + 1}
        version += 1
    return data


def from_document(data: Any, source: str) -> Any:
    """The typed record of a parsed result document (TargetError naming the field if not)."""
    kind = _kind(data, source)
    module, record = _kind_module(kind)
    version = _version(data, kind, module.SCHEMA_VERSION, source)
    try:
        return decode(record, upgraded(data, version, module.UPGRADES))
    except DecodeError as error:
        raise TargetError(f"{source}: {error.path}: {error.problem}") from None


def loads(text: str | bytes, source: str) -> Any:
    """The typed record of a JSON result document."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TargetError(
            f"{source} is not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except UnicodeDecodeError:
        raise TargetError(f"{source} is not JSON (not UTF-8 text)") from None
    except RecursionError:
        raise TargetError(f"{source} is not a coldprof result (nested too deeply)") from None
    except ValueError as error:  # a number of more digits than Python converts
        raise TargetError(f"{source} is not a coldprof result ({error})") from None
    return from_document(data, source)


def read_bytes(path: Path, what: str = "result") -> bytes:
    """A file's bytes, read only when it is a regular file of a sane size."""
    shown = display_path(str(path))
    if not path.exists():
        raise UsageError(f"no such {what} file: {shown}")
    if not path.is_file():
        raise UsageError(f"{shown} is not a file")
    with path.open("rb") as stream:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        from coldprof.render.units import exact_bytes  # the render package imports this module

        raise TargetError(f"{shown} is larger than {exact_bytes(MAX_DOCUMENT_BYTES)}: not a {what}")
    return data


def load(path: Path) -> Any:
    """The typed record of a JSON result file (like pyinstrument's Session.load)."""
    data = read_bytes(Path(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TargetError(f"{display_path(str(path))} is not JSON (not UTF-8 text)") from None
    return loads(text, display_path(str(path)))


def legacy_notes(value: Any) -> Any:
    """An older version's list of sentences as Notes (anything else left for the decoder)."""
    if not isinstance(value, list):
        return value
    return [legacy_note(item) for item in value]


def with_field(document: dict[str, Any], key: str, change: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of a document with one field changed, when it has that field."""
    return {**document, key: change(document[key])} if key in document else document


def each_object(change: Callable[[dict], dict]) -> Callable[[Any], Any]:
    """A change applied to each object of a list (anything else is left for the decoder)."""

    def each(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [change(item) if isinstance(item, dict) else item for item in value]

    return each
