"""Views of a check result: a table, GitHub workflow commands, JUnit XML and Markdown."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from coldprof.check.result import BudgetResult, CheckResult
from coldprof.data import lambda_facts
from coldprof.render import escape, layout
from coldprof.render.layout import Section
from coldprof.render.lifecycle import read_only_way
from coldprof.render.units import count, ms, seconds, size
from coldprof.render.words import word

UNITS_NOTE = "MiB = 2^20 bytes, MB = 10^6 bytes; KiB = 2^10 bytes, kB = 10^3 bytes."
HEADERS = ["budget", "actual", "limit", "headroom", "result", "detail"]


def amount(value: float | None, unit: str) -> str:
    """A budget's value in its unit: sizes in binary and decimal units, ms, or a count."""
    if unit == "bytes":
        return size(value)
    if unit == "ms":
        return ms(value)
    return count(value, unit)


def _headroom(budget: BudgetResult) -> str:
    """Headroom for sizes and times; counts have none (any one found fails)."""
    if budget.unit in ("bytes", "ms"):
        return amount(budget.headroom, budget.unit)
    return "-"


def actual(budget: BudgetResult) -> str:
    """A budget's actual value, with its spread (± stdev) when it is a timing."""
    shown = amount(budget.actual, budget.unit)
    if budget.spread is None or budget.actual is None:
        return shown
    return f"{shown} ± {amount(budget.spread, budget.unit)}"


def _verdict(budget: BudgetResult) -> str:
    word_ = "pass" if budget.ok else "FAIL"
    return f"{word_} (noisy)" if budget.warning else word_


def _row(b: BudgetResult) -> list[str]:
    limit = amount(b.limit, b.unit)
    return [b.name, actual(b), limit, _headroom(b), _verdict(b), word(b.detail)]


def _failed(result: CheckResult) -> list[BudgetResult]:
    return [b for b in result.budgets if not b.ok]


def summary(result: CheckResult) -> str:
    """'within budget: 3 of 3 budgets pass', or which budgets fail."""
    failed = _failed(result)
    total = len(result.budgets)
    if not failed:
        return f"within budget: {total} of {total} budgets pass"
    names = ", ".join(b.name for b in failed)
    return f"OVER BUDGET: {len(failed)} of {total} budgets fail ({names})"


def title(result: CheckResult) -> str:
    """What was checked, for which runtime."""
    layers = f" + {len(result.layers)} layer(s)" if result.layers else ""
    return f"coldprof check: {result.target}{layers} ({result.runtime}, {result.arch})"


def _notes(result: CheckResult) -> list[str]:
    notes = [f"warning: {b.name}: {word(b.warning)}" for b in result.budgets if b.warning]
    read_only = result.measurements.read_only
    if read_only:
        notes.append(f"init timed with the package read-only {read_only_way(read_only)}")
    stopped = result.measurements.init_stopped_runs
    if stopped:
        limit_s = lambda_facts()["limits"]["init_max_s"]
        notes.append(
            f"init passed Lambda's {seconds(limit_s)} init limit in {stopped} of "
            f"{result.measurements.init_ms.n} runs: Lambda stops it and runs it again inside the "
            "first invocation (both billed); init_ms is the second run's"
        )
    return [*notes, summary(result), UNITS_NOTE]


def sections(result: CheckResult) -> list[Section]:
    """The budgets, then the warnings and the verdict."""
    budgets = layout.table("Budgets", HEADERS, [_row(b) for b in result.budgets])
    return [budgets, Section("Verdict", lines=tuple(_notes(result)))]


def table(result: CheckResult) -> str:
    """Every budget with actual, limit, headroom and pass/fail, for a terminal."""
    return layout.terminal(title(result), sections(result))


def markdown(result: CheckResult) -> str:
    """A CI job summary or pull request comment."""
    verdict = "within budget" if result.ok else "over budget"
    return layout.markdown(f"{title(result)}: {verdict}", sections(result))


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, result: CheckResult, budget: BudgetResult, title_: str, text: str) -> str:
    properties = []
    if budget.line is not None:
        properties += [f"file={_escape_property(result.config)}", f"line={budget.line}"]
    properties.append(f"title={_escape_property(title_)}")
    return f"::{kind} {','.join(properties)}::{_escape_data(text)}"


def failure_text(budget: BudgetResult) -> str:
    """Why a budget failed, in one line."""
    limit = amount(budget.limit, budget.unit)
    detail = word(budget.detail)
    if budget.actual is None:
        return f"{budget.name} (limit {limit}): {detail}"
    if budget.unit not in ("bytes", "ms"):
        return f"{budget.name}: {actual(budget)} found, none allowed: {detail}"
    over = amount(-(budget.headroom or 0), budget.unit)
    return f"{budget.name} is {actual(budget)}, over the limit of {limit} by {over}: {detail}"


def github(result: CheckResult) -> str:
    """GitHub Actions workflow commands: an error per budget over, a warning per noisy timing."""
    lines = []
    for b in result.budgets:
        lines.append(f"{_verdict(b)} {b.name}: {actual(b)} of {amount(b.limit, b.unit)}")
        if not b.ok:
            title_ = f"coldprof check: {b.name} over budget"
            lines.append(_command("error", result, b, title_, failure_text(b)))
        if b.warning:
            title_ = f"coldprof check: {b.name} timing is noisy"
            lines.append(_command("warning", result, b, title_, word(b.warning)))
    lines.append(f"::notice title=coldprof check::{_escape_data(summary(result))}")
    return "\n".join(escape.plain(line) for line in lines) + "\n"


def _testcase(parent: ET.Element, result: CheckResult, budget: BudgetResult) -> None:
    case = ET.SubElement(parent, "testcase", classname="coldprof.check", name=budget.name)
    if budget.line is not None:
        case.set("file", escape.plain(result.config))
        case.set("line", str(budget.line))
    detail = word(budget.detail)
    if not budget.ok:
        failure = ET.SubElement(case, "failure", message=failure_text(budget), type="over budget")
        failure.text = detail
    output = f"{actual(budget)} of {amount(budget.limit, budget.unit)}: {detail}"
    if budget.warning:
        output += f"\nwarning: {word(budget.warning)}"
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
    suite = ET.SubElement(root, "testsuite", name=escape.plain(title(result)), **counts)
    for budget in result.budgets:
        _testcase(suite, result, budget)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


RENDERERS = {"table": table, "github": github, "junit": junit, "markdown": markdown}
