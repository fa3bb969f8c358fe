"""The words for what results hold as codes: warnings, notes, budget details, verdicts.

A measurement stores a Note (a code and its values); every output words it here, so a table,
Markdown, JUnit, GitHub annotations and the report say the same thing. A code this coldprof
does not know, or values that do not fit it (a hand-edited or newer document), are shown as
the code and its values rather than refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coldprof.bench.result import Comparison
from coldprof.render.units import (
    count,
    exact_bytes,
    memory_mb,
    ms,
    percent,
    seconds,
    signed_ms,
    signed_percent,
    size,
    times,
)
from coldprof.results import LEGACY_TEXT, Note, display_path

Values = dict[str, Any]
PACKAGERS = {"python-zipfile": "Python's zipfile (SAM)", "info-zip": "zip -r (Info-ZIP)"}
MORE_ADVICE = "too few for sound statistics; use --cold {suggested_cold} or more"


def _listed(values: Values, key: str, show: Callable[[Any], str], sep: str) -> str:
    """The items a detail names, and how many more there are."""
    items = [show(item) for item in values[key]]
    more = values["count"] - len(items)
    return sep.join(items + ([f"and {more:,} more"] if more > 0 else []))


def _outliers(v: Values) -> str:
    return (
        f"{v['phase']}: {v['outliers']} of {v['samples']} samples are outliers (modified "
        f"z-score above {v['z_limit']}, up to {ms(v['farthest_ms'])} from the median); "
        "another program may have disturbed the run: close it, or add --warmup"
    )


def _wide_spread(v: Values) -> str:
    return (
        f"{v['phase']}: the spread is too wide to trust (σ = {ms(v['stdev_ms'])}, "
        f"{percent(v['fraction'])} of the median); run more samples on a quieter machine"
    )


def _not_cold(v: Values) -> str:
    return (
        f"{v['invocations']:,} first invocation(s) after a configuration change had no Init "
        "Duration (an environment was already initialised, or a throttled call was retried "
        "on a warm one): reported apart, not counted as cold starts"
    )


def _restored(v: Values) -> str:
    n = v["variables"]
    listed = f"{n} environment variable(s)" if n else "no environment variables"
    return (
        f"the configuration of {v['function']} was restored: MemorySize "
        f"{memory_mb(v['memory_mb'])}, {listed} as before{_versions(v)}"
    )


def _not_restored(v: Values) -> str:
    return (
        f"the configuration of {v['function']} was NOT restored ({v['reason']}): set MemorySize "
        f"back to {memory_mb(v['memory_mb'])} and remove the environment variable "
        f"{v['marker_variable']} yourself{_versions(v)}"
    )


def _versions(v: Values) -> str:
    """What became of the versions published for the cold starts (--cold-via publish-version)."""
    published, left = v.get("versions_published"), v.get("versions_left") or []
    if not published:
        return ""
    if not left:
        return f"; the {published} version(s) published for the cold starts were deleted"
    return (
        f"; the versions {', '.join(left)} of {v['function']} were NOT deleted: delete them "
        f"yourself (aws lambda delete-function --function-name {v['function']} --qualifier N)"
    )


def _forbidden(item: Values) -> str:
    return f"{item['name']} {item['version']} ({item['package']}, {size(item['bytes'])})"


def _growth(v: Values) -> str:
    if v["unit"] == "ms":
        baseline, change = ms(v["baseline"]), signed_ms(v["change"])
    else:
        baseline, change = exact_bytes(v["baseline"]), ("+" if v["change"] >= 0 else "")
        change += exact_bytes(v["change"])
    relative = "" if v["fraction"] is None else f" ({signed_percent(v['fraction'])})"
    return f"baseline {baseline}, change {change}{relative}, allowed +{v['allowed']}"


WORDS: dict[str, Callable[[Values], str]] = {
    LEGACY_TEXT: lambda v: str(v["text"]),
    # bench warnings
    "outliers": _outliers,
    "wide-spread": _wide_spread,
    "few-samples": lambda v: (
        f"only {v['samples']} successful cold sample(s): " + MORE_ADVICE.format(**v)
    ),
    "few-cold-starts": lambda v: (
        f"only {v['samples']} confirmed cold start(s): " + MORE_ADVICE.format(**v)
    ),
    "warm-not-run": lambda v: (
        f"{v['invocations']:,} warm invocation(s) not run: their environment ended (see errors)"
    ),
    "init-stopped": lambda v: (
        f"init passed Lambda's 10 s init limit in {v['samples']:,} sample(s): Lambda stops it "
        "and runs it again inside the first invocation (stopped_init_ms; the init figures are "
        "the second run's, and both are billed)"
    ),
    "interrupted": lambda v: (
        f"stopped after {v['samples']} of {v['planned']} cold samples: "
        "the figures cover what was measured"
    ),
    "other-region": lambda v: (
        f"prices are {v['prices_region']}'s (checked "
        f"{v['prices_checked']}); {v['region']}'s may differ"
    ),
    "not-cold": _not_cold,
    # a deployed function's configuration
    "unchanged": lambda v: "the configuration was not changed",
    "restored": _restored,
    "versions-left": _restored,
    "not-restored": _not_restored,
    # imports notes
    "rows-dropped": lambda v: (
        f"{v['rows']:,} -X importtime rows were not kept (too many rows or bytes per run)"
    ),
    "no-handler-row": lambda v: (
        f"-X importtime printed no row for module {v['module']!r}: no import tree"
    ),
    "handler-row-missing": lambda v: (
        f"-X importtime printed no row for module {v['module']!r} "
        f"in {count(v['runs'], 'runs')}: the import tree comes from the others"
    ),
    "init-run-again": lambda v: (
        f"init passed Lambda's {seconds(v['limit_s'])} init limit: Lambda stops it and runs it "
        "again inside the first invocation, under the function's timeout; these figures are "
        "that second run's"
    ),
    "usage-incomplete": lambda v: (
        f"the run watching what the events use reported on {v['reported']} of "
        f"{count(v['events'], 'events')}"
        + (f" ({display_path(v['error'])})" if v.get("error") else "")
        + ": what the others use is not known, so more may show as unused or never loaded"
    ),
    # check budget details and warnings
    "function-zip": lambda v: (
        "function package "
        + (
            "(exact, from the zip)"
            if v["exact"]
            else f"(the folder zipped with {PACKAGERS.get(v.get('packager'), 'deflate-6')})"
        )
    ),
    "function": lambda v: "function package",
    "function-and-layers": lambda v: (
        f"function {size(v['function_bytes'])} + "
        f"{count(v['layers'], 'layers')} {size(v['layers_bytes'])}"
    ),
    "median-of-runs": lambda v: (
        f"median of {v['runs']} fresh runs, {ms(v['min_ms'])} to {ms(v['max_ms'])}"
    ),
    "init-failed": lambda v: f"the handler failed to initialise: {v['error']}",
    "forbidden": lambda v: _listed(v, "found", _forbidden, "; "),
    "none-forbidden": lambda v: f"none of {', '.join(v['names'])}",
    "distributions-over": lambda v: (
        "over: " + _listed(v, "found", lambda d: f"{d['name']} {size(d['bytes'])}", ", ")
    ),
    "largest": lambda v: f"largest: {v['name'] or '-'}",
    "files": lambda v: _listed(v, "paths", str, "; "),
    "bytecode-valid": lambda v: f"every module has valid bytecode for {v['runtime']}",
    "extensions-load": lambda v: f"every extension module can load on {v['runtime']} {v['arch']}",
    "errors": lambda v: _listed(v, "found", lambda e: f"{e['rule']} {', '.join(e['paths'])}", "; "),
    "no-errors": lambda v: "no finding of severity error",
    "growth": _growth,
    # slim notes
    "no-strip-tool": lambda v: (
        f"{count(v['files'], 'shared objects')} not stripped: neither strip nor objcopy "
        "(GNU binutils) is installed"
    ),
    "not-copied": lambda v: (
        f"{v['entries']:,} of the target's entries not copied (first: {v['first']}, "
        f"{_first_reason(v)}): `coldprof analyze` lists them all"
    ),
    "secrets-kept": lambda v: (
        f"kept what looks like secrets, as --keep-secrets asked: {', '.join(v['paths'])}; anyone "
        "who can read the package (lambda:GetFunction) can read them"
    ),
    "unused-files-risk": lambda v: (
        f"unused-files removed {count(v['files'], 'files')} that init and the one --event never "
        "loaded: another kind of event, or native code reading a file through its own open() "
        "(an SSL CA bundle), may need them; the response check covers this event only, so test "
        "the slimmed package with every kind of event before you ship it"
    ),
    "noisy": lambda v: (
        f"the spread (± {ms(v['spread_ms'])}) is wider than the margin "
        f"({ms(v['margin_ms'])}): the verdict may change from run to run; raise runs or the budget"
    ),
}


SKIPPED: dict[str, Callable[[Values], str]] = {
    LEGACY_TEXT: lambda v: str(v["text"]),
    "link-inside": lambda v: (
        f"symbolic link to {v['target']!r}; not followed (zip it with the link's content if needed)"
    ),
    "link-outside": lambda v: f"symbolic link to {v['target']!r} outside the target; not followed",
    "link-broken": lambda v: f"broken symbolic link to {v['target']!r}; not followed",
    "link-unreadable": lambda v: f"symbolic link (unreadable: {v['error']}); not followed",
    "fifo": lambda v: "FIFO (named pipe): never opened",
    "socket": lambda v: "socket: never opened",
    "device": lambda v: "device file: never opened",
    "not-regular": lambda v: "not a regular file",
    "folder-unreadable": lambda v: f"folder unreadable: {v['error']}",
    "cannot-stat": lambda v: f"cannot stat: {v['error']}",
    "unreadable": lambda v: f"unreadable: {v['error']}",
    "changed": lambda v: "changed into a non-regular file during the walk",
    "over-bound": lambda v: (
        f"{exact_bytes(v['bytes'])}, above coldprof's bound of {exact_bytes(v['bound_bytes'])}: "
        "not read or "
        "deflated; counted at its full size, zipped and unzipped, so over every Lambda limit"
    ),
    "absolute-path": lambda v: "absolute path in archive: skipped",
    "dot-dot": lambda v: "path with '..' escapes the package: skipped",
    "duplicate-name": lambda v: "duplicate entry name: later copy skipped",
    "encrypted": lambda v: "encrypted entry: not read (Lambda has no way to decrypt it either)",
    "method": lambda v: (
        f"compressed with {v.get('method_name') or 'an unknown method'} (method {v['method']}): "
        "not read; coldprof reads stored and deflate members, what zip and zipfile write "
        "(re-zip it with `zip -r`)"
    ),
}


def skipped_reason(code: str, values: Values) -> str:
    """Why an entry was skipped, in words, on one printable line."""
    return word(Note(code, values), SKIPPED)


def _first_reason(v: Values) -> str:
    """Why the first entry slim did not copy was skipped (a sentence in older documents)."""
    return v["reason"] if "reason" in v else skipped_reason(v["code"], v.get("values", {}))


def _raw(note: Note) -> str:
    """A note this coldprof cannot word: its code and values as they are."""
    values = "; ".join(f"{key} {value}" for key, value in note.values.items())
    return f"{note.code} ({values})" if values else note.code


def word(note: Note, words: dict[str, Callable[[Values], str]] = WORDS) -> str:
    """A note in words, on one printable line."""
    try:
        text = words[note.code](note.values)
    except (KeyError, TypeError, ValueError, AttributeError):
        text = _raw(note)
    return display_path(text)


def verdict(comparison: Comparison) -> str:
    """'B's cold start is 1.42 ± 0.05 times faster than A's (95% CI 1.35 to 1.50)', and why
    that may not matter."""
    c = comparison
    text = (
        f"{c.faster}'s {c.phase} is {times(c.times, c.error)} times faster than {c.slower}'s "
        f"(95% CI {c.ci_low:.2f} to {c.ci_high:.2f})"
    )
    if c.verdict == "within-noise":  # no "times faster": nothing is shown to be faster
        text = (
            f"{c.faster}'s and {c.slower}'s {c.phase} differ by less than the noise "
            f"(95% CI of the ratio {c.ci_low:.2f} to {c.ci_high:.2f})"
        )
    elif c.verdict == "too-small":
        difference = "" if c.difference_ms is None else f" ({ms(c.difference_ms)})"
        text += f"; the difference of the means{difference} is too small to matter"
    return display_path(text)
