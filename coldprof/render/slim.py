"""Table and Markdown views of a slim result: the proof first, then what each step did."""

from __future__ import annotations

from coldprof.imports.result import ErrorRecord
from coldprof.render import layout
from coldprof.render.layout import Section
from coldprof.render.units import (
    count,
    ms,
    ms_pair,
    range_ms,
    relative_change,
    signed_ms,
    signed_size,
    size,
    size_pair,
    spread_ms,
)
from coldprof.render.words import word
from coldprof.results import display_path
from coldprof.slim.result import Gain, Side, SlimResult, StepRow

SHOWN_PATHS = 3
SHOWN_DIGEST = 12
MIN_RUNS = 3  # fewer runs a side give no interval worth printing
MESSAGE_CHARS = 160
# Text columns wrap at these widths, and shrink further to fit the terminal (as analyze's).
WRAP_COLUMNS = {
    "paths": 40,
    "analyze rules": 24,
    "check": 40,
    "file": 40,
    "measure": 26,
    "before": 24,
    "after": 24,
    "change": 16,
    "value": 48,
}
CHECKS = {
    "imports": "stripped; the extension imports in a child of {runtime}",
    "elf": "stripped; a loadable ELF for {arch} (not import-checked here)",
    "strip-failed": "original kept: strip failed",
    "not-loadable": "original kept: not a loadable ELF for {arch} once stripped",
    "import-failed": "original kept: the extension no longer imports once stripped",
}


def _table(title: str, headers: list[str], rows: list[list]) -> Section:
    """A section whose text columns wrap on a terminal, to fit its width."""
    return layout.wrapped_table(title, headers, rows, WRAP_COLUMNS)


def _gain(gain: Gain | None) -> str:
    """'2.00× faster, 95% CI 1.90–2.10', '1.25× slower, ...' or 'no change beyond the noise'."""
    if gain is None:
        return "not compared"
    if not gain.beyond_noise:
        return (
            f"no change beyond the noise: median ratio {gain.times:.2f}×, "
            f"95% CI {gain.ci_low:.2f}–{gain.ci_high:.2f}"
        )
    if gain.times >= 1:
        return f"{gain.times:.2f}× faster, 95% CI {gain.ci_low:.2f}–{gain.ci_high:.2f}"
    return f"{1 / gain.times:.2f}× slower, 95% CI {1 / gain.ci_high:.2f}–{1 / gain.ci_low:.2f}"


def headline(result: SlimResult) -> str:
    """'zipped 48.2 → 31.0 MiB (−36%), init 820 → 410 ms (2.00× faster, 95% CI 1.90–2.10)':
    the gain is the ratio of the medians, with its bootstrap interval."""
    before, after = result.before, result.after
    zipped = size_pair(before.zipped_bytes, after.zipped_bytes)
    text = f"zipped {zipped} ({relative_change(before.zipped_bytes, after.zipped_bytes)})"
    if before.init_ms is None or after.init_ms is None:
        return f"{text}, init not measured (the handler failed)"
    medians = ms_pair(before.init_ms.median, after.init_ms.median)
    runs = min(before.init_ms.n, after.init_ms.n)
    if runs < MIN_RUNS:
        return f"{text}, init {medians} ({count(runs, 'runs')} a side: too few to compare)"
    return f"{text}, init {medians} ({_gain(result.init_gain)})"


def _error(error: ErrorRecord) -> str:
    text = display_path(f"{error.type}: {error.message}".strip().splitlines()[0])
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def response_line(result: SlimResult) -> str:
    """Whether the handler answered the event alike before and after, in words."""
    check = result.response
    if check.equal and check.before_error is None:
        digest = (check.after_sha256 or "")[:SHOWN_DIGEST]
        return f"the handler answered the event the same before and after (sha256 {digest}…)"
    if check.equal and check.before_error is not None:
        return (
            f"the handler answered the event with the same error before and after "
            f"({_error(check.before_error)}); an event it handles proves more"
        )
    if check.varies:
        return (
            "the original package answers the event differently from run to run: pass an "
            "--event whose answer is always the same"
        )
    if check.after_error is not None:
        return f"the slimmed handler fails where the original did not: {_error(check.after_error)}"
    return (
        f"the slimmed handler answers the event differently (sha256 {check.before_sha256} "
        f"before, {check.after_sha256} after): compare them with coldprof invoke"
    )


def failure_line(result: SlimResult) -> str:
    """Why the slimmed package did not pass the proof."""
    error = result.response.before_error
    if result.before.init_ms is None and error is not None:
        return f"the original handler fails to initialise: {_error(error)}; fix that first"
    return response_line(result)


def outcome_line(result: SlimResult) -> str:
    """What was written, or why nothing was."""
    if result.output is not None:
        return f"wrote {result.output}"
    if result.check:
        return "--check: nothing written"
    return "nothing written: the slimmed package did not pass the proof"


def _size_row(what: str, before: int, after: int, exact: bool) -> list:
    note = "" if exact else " (deflate-6 estimate)"
    change = f"{signed_size(after - before)} ({relative_change(before, after)})"
    return [what, size(before) + note, size(after), change]


def _init_rows(before: Side, after: Side) -> list[list]:
    b, a = before.init_ms, after.init_ms
    if b is None or a is None:
        return [["init median", ms(b.median if b else None), ms(a.median if a else None), "-"]]
    intervals = [
        range_ms(side.init_median_ci_ms.low, side.init_median_ci_ms.high)
        if side.init_median_ci_ms
        else "-"
        for side in (before, after)
    ]
    return [
        ["init median", ms(b.median), ms(a.median), signed_ms(a.median - b.median)],
        ["init median, 95% interval", *intervals, ""],
        ["init mean ± σ", spread_ms(b.mean, b.stdev), spread_ms(a.mean, a.stdev), ""],
        ["fresh environments", str(b.n), str(a.n), ""],
    ]


def _before_after(result: SlimResult) -> Section:
    before, after = result.before, result.after
    rows = [
        _size_row("zipped", before.zipped_bytes, after.zipped_bytes, before.zipped_exact),
        _size_row("unzipped", before.unzipped_bytes, after.unzipped_bytes, True),
        [
            "files",
            count(before.files, "files"),
            count(after.files, "files"),
            f"{after.files - before.files:+,}",
        ],
        *_init_rows(before, after),
    ]
    return _table("Before and after", ["measure", "before", "after", "change"], rows)


def _paths(row: StepRow) -> str:
    shown = ", ".join(row.paths[:SHOWN_PATHS])
    more = len(row.paths) - SHOWN_PATHS
    return shown + (f" (+{more:,} more)" if more > 0 else "") or "-"


def _steps(result: SlimResult) -> Section:
    headers = ["step", "analyze rules", "files", "takes out", "paths"]
    rows = [
        [row.step, ", ".join(row.rules) or "-", row.files, size(row.unzipped_bytes), _paths(row)]
        for row in result.steps
    ]
    return _table("Steps (--drop)", headers, rows)


def _bytecode(result: SlimResult) -> Section:
    b = result.bytecode
    failed = ", ".join(b.failed[:SHOWN_PATHS]) + (" …" if len(b.failed) > SHOWN_PATHS else "")
    rows = [
        ["invalidation mode", b.mode],
        ["compiled by", f"Python {b.python_version} ({b.python})"],
        [".pyc written", f"{count(b.compiled, 'files')}, {size(b.unzipped_bytes)}"],
        ["valid hash-based .pyc kept as they were", count(b.kept, "modules")],
        ["modules that do not compile", f"{len(b.failed):,}" + (f": {failed}" if failed else "")],
    ]
    return _table("Bytecode", ["measure", "value"], rows)


def _stripped(result: SlimResult) -> Section:
    headers = ["file", "before", "after", "check"]
    values = {"runtime": result.runtime, "arch": result.arch}
    rows = [
        [
            s.path,
            size(s.before_bytes),
            size(s.after_bytes),
            CHECKS.get(s.check, s.check).format(**values),
        ]
        for s in result.stripped
    ]
    return _table("Debug symbols stripped", headers, rows)


def _outcome(result: SlimResult) -> Section:
    lines = [headline(result), response_line(result), outcome_line(result)]
    lines += [word(note) for note in result.notes]
    return Section("Result", lines=tuple(lines))


def sections(result: SlimResult) -> list[Section]:
    """The proof, then the steps, the bytecode and the stripped files."""
    found = [_outcome(result), _before_after(result), _steps(result), _bytecode(result)]
    return found + ([_stripped(result)] if result.stripped else [])


def title(result: SlimResult) -> str:
    """What was slimmed, into what, for which runtime."""
    into = f" → {result.output}" if result.output else ""
    return (
        f"coldprof slim: {result.target}{into} ({result.handler}, {result.runtime} {result.arch})"
    )


def table(result: SlimResult) -> str:
    """Plain-text tables for a terminal."""
    return layout.terminal(title(result), sections(result))


def markdown(result: SlimResult) -> str:
    """GitHub-flavoured Markdown, for a CI summary or a pull request."""
    return layout.markdown(title(result), sections(result))


RENDERERS = {"table": table, "markdown": markdown}
