"""The report's charts: one function per chart, each reading typed results, returning a Figure.

plotly is the plotting library because it writes one self-contained HTML file that works offline
(plotly.js inlined once), has treemaps, icicles and box plots with raw points built in, and is
well kept (MIT, released monthly). It is an optional extra: only the report imports it.

plotly draws `<a href>`, `<b>` and `style` found in labels, hover text and titles, so every
name from a result goes through `escape.markup` (`label()` below) before it reaches a figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from coldprof.analyze.result import AnalyzeResult
from coldprof.check.result import CheckResult
from coldprof.render import escape
from coldprof.render.check import actual, amount
from coldprof.render.report import timing
from coldprof.render.report.entries import Entry, by_kind
from coldprof.render.report.findings import HEADERS as FINDING_HEADERS
from coldprof.render.report.findings import finding_rows
from coldprof.render.report.tree import NO_FINDING, Node, deferred_tree, import_tree, size_tree
from coldprof.render.units import KIB, MIB, memory_mb, ms, percent, size

PALETTE = qualitative.Bold + qualitative.Safe
NEUTRAL = "rgb(200, 205, 212)"
OK_GREEN = "rgb(17, 165, 121)"
OVER_RED = "rgb(207, 28, 72)"
TOP_DISTRIBUTIONS = 25
HALF = 0.5  # a bar longer than this fraction of its limit has room for its text inside
MAX_POINTS = 5000  # raw samples drawn one by one; beyond this a box shows only its outliers
TABLE_CHARS = 190  # characters across a full-width table
TABLE_MARGIN_PX = 150
LINE_PX = 20
MAX_TABLE_PX = 1400
UNUSED_MARK = " (unused)"
UNUSED_HOVER = "<br>no event used it"
PERCENTILE_COLOURS = {"median": "black", "p90": "rgb(230, 131, 16)", "p99": "rgb(207, 28, 72)"}


def label(value: Any) -> str:
    """Text from a result, safe in a plotly label, hover text, title or table cell."""
    return escape.markup(value)


def unique_labels(entries: Sequence[Entry]) -> list[str]:
    """The entries' names, numbered where two would read the same (escaped)."""
    names = [e.name for e in entries]
    return [label(f"{n} ({i + 1})" if names.count(n) > 1 else n) for i, n in enumerate(names)]


def _colours(categories: Sequence[str], neutral: str) -> dict[str, str]:
    """A stable colour per category; the neutral one (no finding, the root) in grey."""
    names = sorted({c for c in categories if c != neutral})
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    colours[neutral] = NEUTRAL
    return colours


def _legend_keys(
    figure: go.Figure, colours: dict[str, str], row: int | None = None, col: int | None = None
) -> None:
    """Legend entries for treemap or icicle colours (those traces have no legend of their own)."""
    for name, colour in colours.items():
        if not name:
            continue
        marker = {"color": colour, "symbol": "square", "size": 12}
        key = go.Scatter(x=[None], y=[None], mode="markers", marker=marker, name=label(name))
        figure.add_trace(key, row=row, col=col)


def _limit_bars(result: AnalyzeResult) -> go.Bar:
    """Each Lambda size limit as a bar of its percentage used."""
    limits = [limit for limit in result.limits if limit.limit_bytes]
    used = [limit.actual_bytes / limit.limit_bytes for limit in limits]
    words = [
        f"{size(limit.actual_bytes)} of {size(limit.limit_bytes)} ({percent(fraction)})"
        for limit, fraction in zip(limits, used, strict=True)
    ]
    return go.Bar(
        x=[fraction * 100 for fraction in used],
        y=[label(limit.name) for limit in limits],
        orientation="h",
        text=words,
        textposition=["inside" if fraction > HALF else "outside" for fraction in used],
        marker_color=[OK_GREEN if fraction <= 1 else OVER_RED for fraction in used],
        hovertemplate="%{y}: %{text}<extra></extra>",
        showlegend=False,
    )


def _limit_line(figure: go.Figure) -> None:
    """A dashed line at 100% of the limit on the figure's bar axes."""
    line = {"dash": "dash", "color": OVER_RED, "width": 2}
    figure.add_shape(type="line", x0=100, x1=100, y0=0, y1=1, xref="x", yref="y domain", line=line)
    figure.add_annotation(
        x=100,
        y=1,
        xref="x",
        yref="y domain",
        text="limit",
        showarrow=False,
        yanchor="bottom",
        font={"color": OVER_RED},
    )


def _treemap(nodes: list[Node], colours: dict[str, str]) -> go.Treemap:
    return go.Treemap(
        ids=[label(n.id) for n in nodes],
        labels=[label(n.label) for n in nodes],
        parents=[label(n.parent) for n in nodes],
        values=[n.value for n in nodes],
        branchvalues="total",
        marker_colors=[colours[n.category] for n in nodes],
        customdata=[[size(n.value), label(n.category)] for n in nodes],
        texttemplate="%{label}<br>%{customdata[0]}",
        hovertemplate="<b>%{label}</b><br>%{customdata[0]} unzipped<br>%{customdata[1]}"
        "<extra></extra>",
        maxdepth=4,
    )


def package_size(entry: Entry) -> go.Figure:
    """Treemap of distribution -> folder -> file coloured by finding, over the Lambda limits."""
    result: AnalyzeResult = entry.result
    nodes = size_tree(result)
    colours = _colours([n.category for n in nodes], neutral=NO_FINDING)
    figure = make_subplots(
        rows=2,
        cols=1,
        row_heights=[0.8, 0.2],
        vertical_spacing=0.08,
        specs=[[{"type": "domain"}], [{"type": "xy"}]],
        subplot_titles=["unzipped bytes, coloured by finding", "Lambda size limits (% used)"],
    )
    figure.add_trace(_treemap(nodes, colours), row=1, col=1)
    figure.add_trace(_limit_bars(result), row=2, col=1)
    _legend_keys(figure, colours, row=2, col=1)
    _limit_line(figure)
    figure.update_xaxes(title_text="% of the limit", rangemode="tozero", row=2, col=1)
    title = f"Package size: {label(entry.name)} ({label(result.runtime)})"
    return figure.update_layout(title=title, height=760, legend_title_text="finding")


def _icicle(nodes: list[Node], colours: dict[str, str], unused: set[str]) -> go.Icicle:
    """One import tree; a module no event used is outlined in red and says so."""
    cumulative = _cumulative(nodes)
    marked = [bool(n.parent) and n.label in unused for n in nodes]
    return go.Icicle(
        ids=[label(n.id) for n in nodes],
        labels=[
            label(n.label) + (UNUSED_MARK if m else "") for n, m in zip(nodes, marked, strict=True)
        ],
        parents=[label(n.parent) for n in nodes],
        values=[n.value for n in nodes],
        branchvalues="remainder",
        marker={
            "colors": [colours[n.category] for n in nodes],
            "line": {
                "color": [OVER_RED if m else "white" for m in marked],
                "width": [3 if m else 1 for m in marked],
            },
        },
        customdata=[
            [label(n.category), ms(n.value), ms(cumulative[n.id]), UNUSED_HOVER if m else ""]
            for n, m in zip(nodes, marked, strict=True)
        ],
        hovertemplate="<b>%{label}</b> (%{customdata[0]})<br>self %{customdata[1]}"
        "<br>cumulative %{customdata[2]}%{customdata[3]}<extra></extra>",
        tiling_orientation="v",
        maxdepth=6,
    )


def import_icicle(entry: Entry) -> go.Figure:
    """Icicle of the init import tree (a module no event used marked), self ms per module,
    coloured by distribution; the imports deferred to the invocations beside it."""
    result = entry.result
    init_nodes = import_tree(result)
    deferred = deferred_tree(result) if result.deferred else []
    colours = _colours([n.category for n in init_nodes + deferred], neutral="")
    unused = set(result.unused_at_init.unused) if result.unused_at_init else set()
    if deferred:
        figure = make_subplots(
            rows=1,
            cols=2,
            column_widths=[0.6, 0.4],
            horizontal_spacing=0.03,
            specs=[[{"type": "domain"}, {"type": "domain"}]],
            subplot_titles=["at init", "deferred to the invocations"],
        )
        figure.add_trace(_icicle(init_nodes, colours, unused), row=1, col=1)
        figure.add_trace(_icicle(deferred, colours, set()), row=1, col=2)
    else:
        figure = go.Figure(_icicle(init_nodes, colours, unused))
    _legend_keys(figure, colours)
    figure.update_xaxes(visible=False).update_yaxes(visible=False)
    marked = "; red outline = no event used it" if unused else ""
    return figure.update_layout(
        title=f"Import tree: {label(entry.name)} (width = cumulative ms; colour = "
        f"distribution{marked})",
        height=620,
        legend_title_text="distribution",
        plot_bgcolor="white",
    )


def _cumulative(nodes: list[Node]) -> dict[str, float]:
    """Each node's self value plus its descendants' (nodes come parents first)."""
    totals = {n.id: n.value for n in nodes}
    for node in reversed(nodes):
        if node.parent:
            totals[node.parent] += totals[node.id]
    return totals


def _byte_unit(largest_bytes: float) -> tuple[float, str]:
    """The unit a bar of sizes reads best in: MiB, KiB or bytes."""
    for divisor, unit in ((MIB, "MiB"), (KIB, "KiB")):
        if largest_bytes >= divisor:
            return divisor, unit
    return 1, "bytes"


def distribution_costs(entry: Entry) -> go.Figure:
    """What each distribution costs: import ms and unzipped size, side by side."""
    ranked = sorted(entry.result.distributions, key=lambda d: -d.self_ms)[:TOP_DISTRIBUTIONS]
    costs = list(reversed(ranked))
    names = [label(c.name) for c in costs]
    divisor, unit = _byte_unit(max((c.unzipped_bytes or 0 for c in costs), default=0))
    figure = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=["import self time (ms)", f"unzipped size ({unit})"],
    )
    ms_bar = go.Bar(
        x=[c.self_ms for c in costs],
        y=names,
        orientation="h",
        marker_color=PALETTE[2],
        customdata=[ms(c.self_ms) for c in costs],
        hovertemplate="%{y}: %{customdata}<extra></extra>",
    )
    size_bar = go.Bar(
        x=[(c.unzipped_bytes or 0) / divisor for c in costs],
        y=names,
        orientation="h",
        marker_color=PALETTE[6],
        customdata=[size(c.unzipped_bytes) for c in costs],
        hovertemplate="%{y}: %{customdata}<extra></extra>",
    )
    figure.add_trace(ms_bar, row=1, col=1)
    figure.add_trace(size_bar, row=1, col=2)
    figure.update_xaxes(title_text="ms", row=1, col=1)
    figure.update_xaxes(title_text=unit, row=1, col=2)
    height = 180 + 24 * max(len(costs), 1)
    return figure.update_layout(
        title=f"Cost per distribution: {label(entry.name)}", height=height, showlegend=False
    )


def _samples_trace(group: timing.LatencyGroup, x_label: str, colour: str) -> go.Box | go.Scatter:
    """A box with every raw sample beside it; without samples, the median and min…max range."""
    if group.samples_ms:
        return go.Box(
            x=[x_label] * len(group.samples_ms),
            y=group.samples_ms,
            name=x_label,
            boxpoints="all" if len(group.samples_ms) <= MAX_POINTS else "outliers",
            jitter=0.5,
            pointpos=-1.8,
            marker={"color": colour, "size": 5, "opacity": 0.7},
            hovertemplate="%{y:,.2f} ms<extra>%{x}</extra>",
            showlegend=False,
        )
    s = group.summary
    low, high = (0.0, 0.0) if s is None else (s.median - s.min, s.max - s.median)
    return go.Scatter(
        x=[x_label],
        y=[None if s is None else s.median],
        error_y={"type": "data", "symmetric": False, "array": [high], "arrayminus": [low]},
        mode="markers",
        marker={"color": colour, "size": 14, "symbol": "diamond"},
        hovertemplate="median %{y:,.2f} ms (whiskers: min … max)<extra>%{x}</extra>",
        showlegend=False,
    )


def _percentile_marks(figure: go.Figure, group: timing.LatencyGroup, col: int) -> None:
    """Median, p90 and p99 of one phase as coloured ticks on its box (one legend entry each)."""
    if group.summary is None:
        return
    for name, colour in PERCENTILE_COLOURS.items():
        mark = go.Scatter(
            x=[group.name],
            y=[getattr(group.summary, name)],
            mode="markers",
            name=name,
            legendgroup=name,
            showlegend=col == 1,
            marker={"symbol": "line-ew-open", "size": 34, "color": colour, "line_width": 3},
            hovertemplate=name + " %{y:,.2f} ms<extra></extra>",
        )
        figure.add_trace(mark, row=1, col=col)


def _phase_title(group: timing.LatencyGroup) -> str:
    s = group.summary
    if s is None:
        return f"{group.name} (n={len(group.samples_ms)})"
    marks = " · ".join(f"{name} {ms(getattr(s, name))}" for name in PERCENTILE_COLOURS)
    return f"{group.name} (n={s.n})<br><sup>{marks}</sup>"


def latency(entry: Entry) -> go.Figure:
    """Cold against warm: a panel per phase, every raw sample, median/p90/p99 marked."""
    groups = timing.latency_groups(entry.result)
    figure = make_subplots(
        rows=1, cols=len(groups), subplot_titles=[_phase_title(g) for g in groups]
    )
    for col, group in enumerate(groups, start=1):
        colour = PALETTE[(col - 1) % len(PALETTE)]
        figure.add_trace(_samples_trace(group, group.name, colour), row=1, col=col)
        _percentile_marks(figure, group, col)
    figure.update_yaxes(title_text="ms", rangemode="tozero")
    return figure.update_layout(
        title=f"Latency: {label(entry.name)} (each phase on its own scale)",
        height=520,
        legend_title_text="percentile",
    )


def memory_sweep(runs: Sequence[Entry]) -> go.Figure:
    """Cost against speed, one point per memory size of the bench runs, cold and warm apart."""
    points = timing.sweep_points(runs)
    panels = {
        "cold start (median ms)": [p.cold_total_ms for p in points],
        "warm invocation (median ms)": [p.warm_ms for p in points],
    }
    figure = make_subplots(rows=1, cols=2, subplot_titles=list(panels))
    for col, medians in enumerate(panels.values(), start=1):
        line = go.Scatter(
            x=[p.cost_per_million_usd for p in points],
            y=medians,
            mode="markers+text+lines",
            text=[memory_mb(p.memory_mb) for p in points],
            textposition="top center",
            marker={"size": 12, "color": PALETTE[2]},
            hovertemplate="%{text}: $%{x:,.2f} per million, %{y:,.1f} ms<extra></extra>",
            showlegend=False,
        )
        figure.add_trace(line, row=1, col=col)
    figure.update_xaxes(title_text="USD per million invocations", tickprefix="$")
    figure.update_yaxes(title_text="ms", rangemode="tozero")
    return figure.update_layout(title="Memory sweep: cost against speed", height=520)


def compare_sizes(builds: Sequence[Entry]) -> go.Figure:
    """Two or more builds' zipped and unzipped bytes side by side."""
    names = unique_labels(builds)
    sizes = {
        "zipped": [e.result.totals.zipped_bytes for e in builds],
        "unzipped": [e.result.totals.unzipped_bytes for e in builds],
    }
    divisor, unit = _byte_unit(max(max(values) for values in sizes.values()))
    figure = go.Figure()
    for index, (key, values) in enumerate(sizes.items()):
        figure.add_bar(
            x=names,
            y=[value / divisor for value in values],
            name=key,
            marker_color=PALETTE[index],
            text=[size(value) for value in values],
            textposition="auto",
        )
    figure.update_yaxes(title_text=f"size ({unit})")
    return figure.update_layout(title="Builds compared: package size", barmode="group")


def compare_latency(runs: Sequence[Entry], kind: str) -> go.Figure:
    """Two or more runs side by side: cold and warm (bench) or init (imports), every sample."""
    names = timing.COMPARED[kind]
    labels = unique_labels(runs)
    figure = make_subplots(rows=1, cols=len(names), subplot_titles=names)
    for col, name in enumerate(names, start=1):
        for index, entry in enumerate(runs):
            group = timing.latency_group(entry.result, name)
            colour = PALETTE[index % len(PALETTE)]
            figure.add_trace(_samples_trace(group, labels[index], colour), row=1, col=col)
    figure.update_yaxes(title_text="ms", rangemode="tozero")
    what = "cold against warm" if kind == "bench" else "init"
    return figure.update_layout(title=f"Runs compared: {what}", height=480)


def _table_height_px(body: list[list], widths: Sequence[float]) -> int:
    """Enough height for every row of a table once long cells wrap (at most MAX_TABLE_PX)."""
    chars_per_unit = TABLE_CHARS / sum(widths)
    lines = [
        max(
            math.ceil(len(str(cell)) / (width * chars_per_unit))
            for cell, width in zip(row, widths, strict=True)
        )
        for row in body
    ]
    return min(TABLE_MARGIN_PX + sum(LINE_PX * max(n, 1) + 8 for n in lines), MAX_TABLE_PX)


def findings_table(entries: Sequence[Entry]) -> go.Figure:
    """Every finding with the bytes and the ms acting on it would save."""
    body = [[label(cell) for cell in row] for row in finding_rows(entries)]
    columns = [list(column) for column in zip(*body, strict=True)] if body else []
    widths = [1.3, 0.8, 1.3, 1.2, 1.4, 0.8, 4]
    table = go.Table(
        columnwidth=widths,
        header={"values": [f"<b>{h}</b>" for h in FINDING_HEADERS], "align": "left"},
        cells={"values": columns, "align": "left"},
    )
    return go.Figure(table).update_layout(
        title="Findings: what acting on each saves",
        height=_table_height_px(body, widths),
        margin={"l": 20, "r": 20},
    )


def _budget_words(budget: Any) -> str:
    if budget.limit:
        return f"{actual(budget)} of {amount(budget.limit, budget.unit)}"
    return f"{actual(budget)}, none allowed: {'ok' if budget.ok else 'OVER'}"


def _used_percent(budget: Any) -> float:
    if budget.actual is None or not budget.limit:
        return 0.0
    return budget.actual / budget.limit * 100


def budgets(entry: Entry) -> go.Figure:
    """Each budget of a check as the percentage of its limit used, the limit marked."""
    result: CheckResult = entry.result
    checked = result.budgets
    bar = go.Bar(
        x=[_used_percent(b) for b in checked],
        y=[label(b.name) for b in checked],
        orientation="h",
        text=[label(_budget_words(b)) for b in checked],
        textposition=["auto" if b.limit else "outside" for b in checked],
        marker_color=[OK_GREEN if b.ok else OVER_RED for b in checked],
        hovertemplate="%{y}: %{text}<extra></extra>",
    )
    figure = go.Figure(bar)
    _limit_line(figure)
    figure.update_xaxes(title_text="% of the budget", rangemode="tozero")
    figure.update_yaxes(autorange="reversed")
    height = 160 + 40 * max(len(checked), 1)
    return figure.update_layout(title=f"Budgets: {label(entry.name)}", height=height)


def _entry_charts(entry: Entry) -> list[tuple[str, go.Figure]]:
    """The charts of one result that has something to draw."""
    result = entry.result
    charts = []
    if entry.kind == "analyze" and (result.distributions or result.limits):
        charts.append(("Package size", package_size(entry)))
    if entry.kind == "imports" and result.modules:
        charts.append(("Init", import_icicle(entry)))
    if entry.kind == "imports" and result.distributions:
        charts.append(("Init", distribution_costs(entry)))
    if entry.kind == "bench" and timing.latency_groups(result):
        charts.append(("Latency", latency(entry)))
    if entry.kind == "check" and result.budgets:
        charts.append(("Budgets", budgets(entry)))
    return charts


def _comparison_charts(entries: Sequence[Entry]) -> list[go.Figure]:
    """Builds, runs and memory sizes side by side, where there are two or more."""
    grouped = by_kind(entries)
    charts = []
    if len(grouped["analyze"]) > 1:
        charts.append(compare_sizes(grouped["analyze"]))
    charts += [compare_latency(grouped[k], k) for k in ("imports", "bench") if len(grouped[k]) > 1]
    if timing.is_sweep(timing.sweep_points(grouped["bench"])):
        charts.append(memory_sweep(grouped["bench"]))
    return charts


def figures(entries: Sequence[Entry]) -> list[tuple[str, go.Figure]]:
    """Every chart the results allow, with the section it belongs to."""
    charts = [chart for entry in entries for chart in _entry_charts(entry)]
    charts += [("Comparisons", figure) for figure in _comparison_charts(entries)]
    if finding_rows(entries):
        charts.append(("Findings", findings_table(entries)))
    for _, figure in charts:
        figure.update_xaxes(exponentformat="none").update_yaxes(exponentformat="none")
    return charts
