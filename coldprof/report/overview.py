"""The report's overview: one line per document, and runs or builds set side by side."""

from __future__ import annotations

from collections.abc import Sequence

from coldprof.report.load import Document, by_kind, get, number, rows, stats, text
from coldprof.report.tables import budget_usage
from coldprof.report.timing import (
    COMPARED,
    is_sweep,
    latency_comparison,
    sweep_points,
    sweep_rows,
)
from coldprof.report.units import Table, duration, size


def _analyze_summary(document: Document) -> str:
    totals = get(document.data, "totals")
    over = [text(get(r, "name")) for r in rows(document.data, "limits") if get(r, "ok") is False]
    parts = [
        f"{size(number(get(totals, 'unzipped_bytes')) or 0)} unzipped",
        f"{size(number(get(totals, 'zipped_bytes')) or 0)} zipped",
        f"{len(rows(document.data, 'findings'))} findings",
    ]
    parts.append(f"OVER: {', '.join(over)}" if over else "within Lambda's limits")
    return "; ".join(parts)


def _imports_summary(document: Document) -> str:
    init, imports = stats(document.data, "init_ms"), stats(document.data, "import_ms")
    parts = [
        f"init median {duration(init.median)} ± {duration(init.stdev)}" if init else "no init time"
    ]
    if imports:
        parts.append(f"imports {duration(imports.median)}")
    rss = number(get(document.data, "max_rss_mb"))
    if rss is not None:
        parts.append(f"peak memory {rss:,.0f} MB")
    error = get(document.data, "error")
    if isinstance(error, dict):
        parts.append(f"ERROR {text(get(error, 'type'))}: {text(get(error, 'message'))}")
    return "; ".join(parts)


def _bench_summary(document: Document) -> str:
    cold = stats(document.data, "cold", "total_ms")
    warm = stats(document.data, "warm", "invoke_ms")
    parts = [
        f"cold total median {duration(cold.median) if cold else '-'}",
        f"warm median {duration(warm.median) if warm else '-'}",
    ]
    errors = rows(document.data, "errors")
    if errors:
        parts.append(f"{len(errors)} failed samples")
    return "; ".join(parts)


def _check_summary(document: Document) -> str:
    usage = budget_usage(document)
    over = [b.name for b in usage if not b.ok]
    verdict = f"OVER: {', '.join(over)}" if over else "all within budget"
    return f"{len(usage)} budgets; {verdict}"


SUMMARIES = {
    "analyze": _analyze_summary,
    "imports": _imports_summary,
    "bench": _bench_summary,
    "check": _check_summary,
}


def subject(document: Document) -> str:
    """What a document measured: its target, and its handler when it has one."""
    target = text(get(document.data, "target"), "-")
    handler = text(get(document.data, "handler"))
    return f"{target} ({handler})" if handler else target


def summary(documents: Sequence[Document]) -> Table:
    """One line per document: its source, kind, subject and headline figures."""
    headers = ["result", "kind", "target", "summary"]
    body = [[d.source, d.kind, subject(d), SUMMARIES[d.kind](d)] for d in documents]
    return headers, body


def _size_comparison(documents: Sequence[Document]) -> Table:
    headers = ["result", "unzipped", "zipped", "zipped change vs first"]
    first = number(get(documents[0].data, "totals", "zipped_bytes")) or 0
    body = []
    for document in documents:
        unzipped = number(get(document.data, "totals", "unzipped_bytes")) or 0
        zipped = number(get(document.data, "totals", "zipped_bytes")) or 0
        change = ("+" if zipped >= first else "-") + size(abs(zipped - first))
        body.append([document.source, size(unzipped), size(zipped), change])
    return headers, body


def comparisons(documents: Sequence[Document]) -> list[tuple[str, Table]]:
    """Side-by-side tables for every kind given more than once."""
    found = []
    grouped = by_kind(documents)
    if len(grouped["analyze"]) > 1:
        found.append(("package size", _size_comparison(grouped["analyze"])))
    for kind in ("imports", "bench"):
        if len(grouped[kind]) > 1:
            for group in COMPARED[kind]:
                found.append((f"{kind}: {group}", latency_comparison(grouped[kind], group)))
    if is_sweep(sweep_points(grouped["bench"])):
        found.append(("memory sweep", sweep_rows(grouped["bench"])))
    verdicts = _verdicts(grouped["bench"])
    if verdicts[1]:
        found.append(("which is faster", verdicts))
    return found


def _verdicts(documents: Sequence[Document]) -> Table:
    """The bench runs' own comparisons, hyperfine style, with their confidence intervals."""
    body = [
        [text(get(c, "phase"), "-"), text(get(c, "summary"), "-"), _yes(get(c, "significant"))]
        for document in documents
        for c in rows(document.data, "comparisons")
    ]
    return ["phase", "result", "significant (95% CI excludes 1)"], body


def _yes(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-"
