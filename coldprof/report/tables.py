"""Each document's detail tables, as plain rows the Markdown and the HTML both show."""

from __future__ import annotations

from dataclasses import dataclass

from coldprof.render.check import amount, amount_with_spread
from coldprof.report.load import Document, get, number, rows, text
from coldprof.report.timing import distribution_costs, latency_rows
from coldprof.report.units import Table, duration, size

TOP_ROWS = 15


@dataclass(frozen=True)
class BudgetUsage:
    """One budget of a check: actual against limit, as shown."""

    name: str
    actual: str
    limit: str
    used_percent: float | None  # None when the limit is zero (a count that must be zero)
    ok: bool
    detail: str
    warning: str


def _int(value: object) -> int | None:
    found = number(value)
    return None if found is None else int(found)


def budget_usage(document: Document) -> list[BudgetUsage]:
    """Every budget of a check document, with the share of its limit used."""
    usage = []
    for row in rows(document.data, "budgets"):
        unit = text(get(row, "unit"))
        actual, limit = number(get(row, "actual")), number(get(row, "limit"))
        usage.append(
            BudgetUsage(
                name=text(get(row, "name"), "?"),
                actual=amount_with_spread(actual, number(get(row, "spread")), unit),
                limit=amount(limit, unit),
                used_percent=actual / limit * 100 if actual is not None and limit else None,
                ok=get(row, "ok") is True,
                detail=text(get(row, "detail")),
                warning=text(get(row, "warning")),
            )
        )
    return usage


def _limits(document: Document) -> Table:
    headers = ["limit", "actual", "limit bytes", "used", "result"]
    body = []
    for row in rows(document.data, "limits"):
        actual, limit = number(get(row, "actual_bytes")) or 0, number(get(row, "limit_bytes"))
        used = f"{actual / limit:.1%}" if limit else "-"
        verdict = "ok" if get(row, "ok") is not False else "OVER"
        limit_text = f"{limit:,.0f} B" if limit else "-"
        body.append([text(get(row, "name")), size(actual), limit_text, used, verdict])
    return headers, body


def _distributions(document: Document) -> Table:
    headers = ["distribution", "version", "unzipped", "zipped", "removal frees", "note"]
    body = []
    for row in rows(document.data, "distributions")[:TOP_ROWS]:
        note = "runtime provides it" if get(row, "runtime_provided") is True else ""
        sizes = [
            size(number(get(row, key)) or 0)
            for key in ("unzipped_bytes", "zipped_bytes", "removal_saves_bytes")
        ]
        body.append([text(get(row, "name")), text(get(row, "version"), "-"), *sizes, note])
    return headers, body


def _costs(document: Document) -> Table:
    headers = ["distribution", "category", "import self ms", "share of init", "unzipped"]
    body = [
        [
            c.name,
            c.category or "-",
            duration(c.self_ms),
            "-" if c.share is None else f"{c.share:.1%}",
            size(c.unzipped_bytes),
        ]
        for c in distribution_costs(document)[:TOP_ROWS]
    ]
    return headers, body


def _budgets(document: Document) -> Table:
    headers = ["budget", "actual", "limit", "used", "result", "detail"]
    body = [
        [
            b.name,
            b.actual,
            b.limit,
            "-" if b.used_percent is None else f"{b.used_percent:.1f}%",
            "ok" if b.ok else "OVER",
            f"{b.detail} (warning: {b.warning})" if b.warning else b.detail,
        ]
        for b in budget_usage(document)
    ]
    return headers, body


def _modules(document: Document) -> Table:
    headers = ["module", "distribution", "depth", "self", "cumulative", "bytecode would save"]
    modules = sorted(
        rows(document.data, "modules"), key=lambda m: -(number(get(m, "self_ms")) or 0)
    )
    body = [
        [
            text(get(m, "name"), "?"),
            text(get(m, "distribution"), "-"),
            _int(get(m, "depth")),
            duration(number(get(m, "self_ms"))),
            duration(number(get(m, "cumulative_ms"))),
            duration(number(get(m, "bytecode_saving_ms"))),
        ]
        for m in modules[:TOP_ROWS]
    ]
    return headers, body


def _cost(document: Document) -> Table:
    headers = ["memory", "arch", "billed cold", "billed warm", "cold", "warm", "per million"]
    cost = get(document.data, "cost")
    if not isinstance(cost, dict) or not cost:
        return headers, []
    share = number(get(cost, "cold_share"))
    million = number(get(cost, "per_million_usd"))
    body = [
        [
            f"{_int(get(cost, 'memory_mb')) or 0:,} MB",
            text(get(cost, "arch"), "-"),
            duration(number(get(cost, "cold_billed_ms"))),
            duration(number(get(cost, "warm_billed_ms"))),
            _usd(number(get(cost, "cold_invocation_usd")), 8),
            _usd(number(get(cost, "warm_invocation_usd")), 8),
            "-" if million is None else f"${million:,.2f} at {share or 0:.0%} cold starts",
        ]
    ]
    return headers, body


def _usd(value: float | None, decimals: int) -> str:
    return "-" if value is None else f"${value:,.{decimals}f}"


def _errors(document: Document) -> Table:
    headers = ["sample", "phase", "invocation", "error", "message"]
    body = [
        [
            _int(get(e, "sample")),
            text(get(e, "phase"), "-"),
            _int(get(e, "invocation")),
            text(get(e, "type"), "-"),
            text(get(e, "message")),
        ]
        for e in rows(document.data, "errors")[:TOP_ROWS]
    ]
    return headers, body


def document_tables(document: Document) -> list[tuple[str, Table]]:
    """The named detail tables of one document."""
    if document.kind == "analyze":
        return [
            ("Lambda limits", _limits(document)),
            (f"Distributions (largest {TOP_ROWS})", _distributions(document)),
        ]
    if document.kind == "imports":
        return [
            ("Init", latency_rows(document)),
            (f"Cost per distribution (slowest {TOP_ROWS})", _costs(document)),
            (f"Modules (slowest {TOP_ROWS} by self time)", _modules(document)),
        ]
    if document.kind == "bench":
        found = [("Latency", latency_rows(document)), ("Cost", _cost(document))]
        if rows(document.data, "errors"):
            found.append(("Failed samples", _errors(document)))
        return found
    return [("Budgets", _budgets(document))]
