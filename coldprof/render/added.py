"""The part of an analyze result `--add` gives: what the added packages would cost."""

from __future__ import annotations

from coldprof.analyze.result import Added, AddedConflict, AddedDistribution, AddedInit
from coldprof.render import layout
from coldprof.render.imports import spread
from coldprof.render.layout import Section
from coldprof.render.units import count, exact_bytes, signed_ms, size
from coldprof.results import display_path

SHOWN_PLATFORMS = 1
SHOWN_CONFLICTS = 5
# Text columns wrap at these widths, and shrink further to fit the terminal (as analyze's).
WRAP_COLUMNS = {
    "measure": 30,
    "value": 60,
    "distribution": 24,
    "version": 12,
    "unzipped": 19,
    "zipped": 19,
    "note": 24,
    "limit": 34,
    "with the additions": 19,
    "limit bytes": 16,
    "headroom": 19,
    "result": 11,
}


def _table(title: str, headers: list[str], rows: list[list]) -> Section:
    """A section whose text columns wrap on a terminal, to fit its width."""
    return layout.wrapped_table(title, headers, rows, WRAP_COLUMNS)


def _platforms(added: Added) -> str:
    tags = added.platforms
    shown = ", ".join(tags[:SHOWN_PLATFORMS])
    more = f" … {tags[-1]} ({len(tags)} platform tags)" if len(tags) > SHOWN_PLATFORMS else ""
    return f"Python {added.python_version}, {shown}{more}, wheels only"


def _init_rows(init: AddedInit) -> list[list[str]]:
    modules = ", ".join(init.modules) or "(none)"
    rows = [
        ["init as it is (the additions on sys.path)", spread(init.without_ms)],
        [f"init importing {modules} too", spread(init.with_ms)],
    ]
    if init.added_ms is not None:
        noise = " (within the noise: the 95% interval holds no change)" if init.within_noise else ""
        rows.append(["init added (difference of the medians)", signed_ms(init.added_ms) + noise])
    if init.error_type is not None:
        text = display_path(f"{init.error_type}: {init.error_message or ''}".splitlines()[0])
        rows.append(["failed", text])
    return rows


def conflict_words(conflict: AddedConflict) -> str:
    """One conflict in words."""
    if conflict.code == "other-version":
        return (
            f"{conflict.requirement}: the package holds {conflict.distribution} "
            f"{conflict.held_version}; a version change is not an addition, so it was left out"
        )
    owner = conflict.distribution or "a file no distribution owns"
    return f"{conflict.path} ({owner}) is in the package already: adding would replace it"


def _runtime_provided(added: Added) -> list[list[str]]:
    """The row naming what the Lambda runtime ships already, when any addition is such."""
    rows = [d for d in added.distributions if d.runtime_provided]
    if not rows:
        return []
    names = ", ".join(f"{d.name} {d.version}" for d in rows)
    bundled = size(sum(d.unzipped_bytes for d in rows))
    text = f"{names}: {bundled} of the added bytes; leave them out to use the runtime's copy"
    return [["the Lambda runtime provides", text]]


def _conflicts(added: Added) -> list[list[str]]:
    shown = [conflict_words(c) for c in added.conflicts[:SHOWN_CONFLICTS]]
    more = len(added.conflicts) - SHOWN_CONFLICTS
    if more > 0:
        shown.append(f"… and {count(more, 'more')}")
    return [["conflicts", "; ".join(shown)]] if shown else []


def _summary(added: Added) -> Section:
    rows = [
        ["resolved by pip for", _platforms(added)],
        ["new distributions", count(len(added.distributions), "distributions")],
        ["added files", count(added.files, "files")],
        ["added unzipped", f"{size(added.unzipped_bytes)} = {exact_bytes(added.unzipped_bytes)}"],
        ["added zipped (deflate-6 estimate)", size(added.zipped_bytes)],
        ["already in the package (left out)", ", ".join(added.already_present) or "-"],
        *_runtime_provided(added),
        *_conflicts(added),
    ]
    if added.init is not None:
        rows += _init_rows(added.init)
    title = f"Adding {' '.join(added.requirements)}"
    return _table(title, ["measure", "value"], rows)


def _note(row: AddedDistribution) -> str:
    notes = ["requested" if row.requested else "dependency"]
    return "; ".join(notes + (["runtime provides it"] if row.runtime_provided else []))


def _distributions(added: Added) -> Section:
    headers = ["distribution", "version", "files", "unzipped", "zipped", "note"]
    rows = [
        [r.name, r.version, r.files, size(r.unzipped_bytes), size(r.zipped_bytes), _note(r)]
        for r in added.distributions
    ]
    return _table("Distributions it adds", headers, rows)


def _limits(added: Added) -> Section:
    headers = ["limit", "with the additions", "limit bytes", "headroom", "result"]
    rows = [
        [
            limit.name,
            exact_bytes(limit.actual_bytes),
            exact_bytes(limit.limit_bytes),
            size(limit.headroom_bytes),
            "ok" if limit.ok else "WOULD BREAK",
        ]
        for limit in added.limits
    ]
    return _table("Lambda limits with the additions", headers, rows)


def added_sections(added: Added | None) -> list[Section]:
    """The sections of --add, or none without it."""
    if added is None:
        return []
    return [_summary(added), _distributions(added), _limits(added)]
