"""Views of a check result: a table, GitHub workflow commands, JUnit XML and Markdown."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tabulate import tabulate

from coldprof.check.result import BudgetResult, CheckResult
from coldprof.render.units import human_bytes, ms

UNITS_NOTE = "MiB = 2^20 bytes, MB = 10^6 bytes; KiB = 2^10 bytes, kB = 10^3 bytes."
HEADERS = ["budget", "actual", "limit", "headroom", "result", "detail"]


def amount(value: float | None, unit: str) -> str:
    """A budget's value in its unit: sizes in binary and decimal units, ms, or a count."""
    if value is None:
        return "-"
    if unit == "bytes":
        return human_bytes(int(value))
    if unit == "ms":
        return ms(value)
    return f"{int(value):,} {unit.removesuffix('s') if value == 1 else unit}".rstrip()


def _headroom(budget: BudgetResult) -> str:
    """Headroom for sizes and times; counts have none (any one found fails)."""
    if budget.unit in ("bytes", "ms"):
        return amount(budget.headroom, budget.unit)
    return "-"


def amount_with_spread(value: float | None, spread: float | None, unit: str) -> str:
    """A budget's actual value, with its spread (± stdev) when it is a timing."""
    shown = amount(value, unit)
    return shown if spread is None or value is None else f"{shown} ± {amount(spread, unit)}"


def _actual(budget: BudgetResult) -> str:
    return amount_with_spread(budget.actual, budget.spread, budget.unit)


def _verdict(budget: BudgetResult) -> str:
    word = "pass" if budget.ok else "FAIL"
    return f"{word} (noisy)" if budget.warning else word


def _rows(result: CheckResult) -> list[list[str]]:
    return [
        [
            b.name,
            _actual(b),
            amount(b.limit, b.unit),
            _headroom(b),
            _verdict(b),
            b.detail,
        ]
        for b in result.budgets
    ]


def _failed(result: CheckResult) -> list[BudgetResult]:
    return [b for b in result.budgets if not b.ok]


def _summary(result: CheckResult) -> str:
    failed = _failed(result)
    total = len(result.budgets)
    if not failed:
        return f"within budget: {total} of {total} budgets pass"
    names = ", ".join(b.name for b in failed)
    return f"OVER BUDGET: {len(failed)} of {total} budgets fail ({names})"


def _title(result: CheckResult) -> str:
    layers = f" + {len(result.layers)} layer(s)" if result.layers else ""
    return f"coldprof check: {result.target}{layers} ({result.runtime}, {result.arch})"


def _notes(result: CheckResult) -> list[str]:
    notes = [f"warning: {b.name}: {b.warning}" for b in result.budgets if b.warning]
    return [*notes, _summary(result), UNITS_NOTE]


def table(result: CheckResult) -> str:
    """Every budget with actual, limit, headroom and pass/fail, for a terminal."""
    body = tabulate(_rows(result), HEADERS, tablefmt="simple") if result.budgets else "(none)"
    return "\n\n".join([_title(result), body, "\n".join(_notes(result))]) + "\n"


def markdown(result: CheckResult) -> str:
    """A CI job summary or pull request comment."""
    verdict = "within budget" if result.ok else "over budget"
    rows = [[cell.replace("|", "\\|") for cell in row] for row in _rows(result)]
    body = tabulate(rows, HEADERS, tablefmt="github") if result.budgets else "(none)"
    notes = "\n".join(f"- {note}" for note in _notes(result))
    return f"## {_title(result)}: {verdict}\n\n{body}\n\n{notes}\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, result: CheckResult, budget: BudgetResult, title: str, text: str) -> str:
    properties = []
    if budget.line is not None:
        properties += [f"file={_escape_property(result.config)}", f"line={budget.line}"]
    properties.append(f"title={_escape_property(title)}")
    return f"::{kind} {','.join(properties)}::{_escape_data(text)}"


def _failure_text(budget: BudgetResult) -> str:
    limit = amount(budget.limit, budget.unit)
    if budget.actual is None:
        return f"{budget.name} (limit {limit}): {budget.detail}"
    if budget.unit not in ("bytes", "ms"):
        return f"{budget.name}: {_actual(budget)} found, none allowed: {budget.detail}"
    over = amount(-(budget.headroom or 0), budget.unit)
    return (
        f"{budget.name} is {_actual(budget)}, over the limit of {limit} by {over}: {budget.detail}"
    )


def github(result: CheckResult) -> str:
    """GitHub Actions workflow commands: an error per budget over, a warning per noisy timing."""
    lines = []
    for b in result.budgets:
        lines.append(f"{_verdict(b)} {b.name}: {_actual(b)} of {amount(b.limit, b.unit)}")
        if not b.ok:
            title = f"coldprof check: {b.name} over budget"
            lines.append(_command("error", result, b, title, _failure_text(b)))
        if b.warning:
            title = f"coldprof check: {b.name} timing is noisy"
            lines.append(_command("warning", result, b, title, b.warning))
    lines.append(f"::notice title=coldprof check::{_escape_data(_summary(result))}")
    return "\n".join(lines) + "\n"


def _testcase(parent: ET.Element, result: CheckResult, budget: BudgetResult) -> None:
    case = ET.SubElement(parent, "testcase", classname="coldprof.check", name=budget.name)
    if budget.line is not None:
        case.set("file", result.config)
        case.set("line", str(budget.line))
    if not budget.ok:
        failure = ET.SubElement(case, "failure", message=_failure_text(budget), type="over budget")
        failure.text = budget.detail
    output = f"{_actual(budget)} of {amount(budget.limit, budget.unit)}: {budget.detail}"
    if budget.warning:
        output += f"\nwarning: {budget.warning}"
    ET.SubElement(case, "system-out").text = output


def junit(result: CheckResult) -> str:
    """JUnit XML: one test case per budget, a failure element for each one over budget."""
    counts = {
        "tests": str(len(result.budgets)),
        "failures": str(len(_failed(result))),
        "errors": "0",
        "skipped": "0",
    }
    root = ET.Element("testsuites", name="coldprof check", **counts)
    suite = ET.SubElement(root, "testsuite", name=_title(result), **counts)
    for budget in result.budgets:
        _testcase(suite, result, budget)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


RENDERERS = {"table": table, "github": github, "junit": junit, "markdown": markdown}
