"""RECORD files rewritten to describe what slim left (PEP 376 / the wheel spec's format).

Rows of removed files go; rows of files slim changed (stripped) or wrote (.pyc) get their new
`sha256=` hash and size, and a .pyc compiled for a distribution's module gets a row of its own.
Every other row stays as it was, the RECORD's own row last, with its empty hash and size.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from coldprof.analyze.model import Distribution
from coldprof.analyze.owners import resolve_row

RECORD = "RECORD"


def record_hash(data: bytes) -> str:
    """A RECORD hash: sha256, urlsafe base64 without padding."""
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _row(root: Path, listed: str, path: str) -> list[str]:
    data = (root / path).read_bytes()
    return [listed, record_hash(data), str(len(data))]


def rewritten(
    text: str,
    record_path: str,
    root: Path,
    present: frozenset[str],
    new: Collection[str],
    own: list[str],
) -> str:
    """A RECORD's new text; `new`: paths whose content slim wrote; `own`: new files to list."""
    rows, listed, own_row = [], set(), [record_path, "", ""]
    for row in csv.reader(io.StringIO(text)):
        resolved = resolve_row("", row[0], present) if row and row[0] else None
        if resolved == record_path:
            own_row = [row[0], "", ""]
        elif resolved is not None:
            rows.append(_row(root, row[0], resolved) if resolved in new else row)
            listed.add(resolved)
    rows += [_row(root, path, path) for path in sorted(own) if path not in listed]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if "\r\n" in text else "\n").writerows([*rows, own_row])
    return out.getvalue()


def rewrite_records(
    root: Path,
    distributions: Iterable[Distribution],
    present: frozenset[str],
    new: Collection[str],
    owned_new: Mapping[str, list[str]],
) -> int:
    """Rewrite the RECORD of each distribution left under root; how many changed."""
    changed = 0
    for dist in distributions:
        record_path = f"{dist.dist_info}/{RECORD}"
        if record_path not in present:
            continue
        file = root / record_path
        try:
            text = file.read_bytes().decode("utf-8")
            updated = rewritten(text, record_path, root, present, new, owned_new.get(dist.key, []))
        except (UnicodeDecodeError, csv.Error):
            continue  # a RECORD no tool can read stays as it was
        if updated != text:
            file.write_bytes(updated.encode("utf-8"))
            changed += 1
    return changed
