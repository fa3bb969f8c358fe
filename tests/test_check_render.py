"""Budgets as the renderers show them: the median and its spread, noise warnings, escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from coldprof.check import budgets
from coldprof.check.result import CheckResult, Measurements
from coldprof.config import parse_growth
from coldprof.render import render
from coldprof.render.words import word
from coldprof.results import Note
from coldprof.stats import summarize

NOISY_MS = [100.0, 140.0, 180.0, 120.0, 160.0]  # median 140, stdev 31.6
STEADY_MS = [139.0, 140.0, 141.0, 140.0, 140.0]  # median 140, stdev 0.7


def result_with(budget) -> CheckResult:
    init = summarize(NOISY_MS)
    return CheckResult(
        config="pyproject.toml",
        target="build",
        layers=(),
        runtime="python3.12",
        arch="x86_64",
        measurements=Measurements(
            zipped_bytes=1000, zipped_exact=False, unzipped_bytes=2000, init_ms=init
        ),
        budgets=(budget,),
        ok=budget.ok,
        baseline=None,
        baseline_written=False,
    )


def test_median_is_compared_not_the_mean_or_the_worst_run():
    init = summarize([100.0, 100.0, 100.0, 100.0, 900.0])
    result = budgets.init_time(init, 150.0)
    assert result.ok is True
    assert result.actual == 100.0
    assert result.headroom == 50.0
    assert result.detail == Note("median-of-runs", {"runs": 5, "min_ms": 100.0, "max_ms": 900.0})
    assert word(result.detail) == "median of 5 fresh runs, 100.0 ms to 900.0 ms"


def test_spread_wider_than_the_margin_warns():
    noisy = budgets.init_time(summarize(NOISY_MS), 150.0)
    assert noisy.ok is True
    assert noisy.spread == summarize(NOISY_MS).stdev
    assert noisy.warning.code == "noisy"
    assert noisy.warning.values["margin_ms"] == 10.0
    assert word(noisy.warning).startswith(
        "the spread (± 31.6 ms) is wider than the margin (10.0 ms)"
    )
    steady = budgets.init_time(summarize(STEADY_MS), 150.0)
    assert steady.warning is None


def test_noisy_failure_warns_too():
    over = budgets.init_time(summarize(NOISY_MS), 130.0)
    assert over.ok is False
    assert "margin (10.0 ms)" in word(over.warning)


def test_init_growth_uses_the_median_and_a_percentage():
    growth = budgets.init_growth(summarize(STEADY_MS), 120.0, parse_growth("10%"))
    assert growth.limit == 132.0
    assert growth.ok is False
    assert growth.detail.code == "growth"
    assert word(growth.detail) == "baseline 120.0 ms, change +20.0 ms (+16.7%), allowed +10%"


def test_noise_shows_in_every_format():
    result = result_with(budgets.init_time(summarize(NOISY_MS), 150.0))
    table = render(result, "table")
    assert "140.0 ms ± 31.6 ms" in table
    assert "pass (noisy)" in table
    assert "warning: init_ms: the spread (± 31.6 ms) is wider than the margin" in table
    github = render(result, "github").splitlines()
    assert github[1].startswith("::warning title=coldprof check%3A init_ms timing is noisy::")
    case = ET.fromstring(render(result, "junit")).find("testsuite/testcase")
    assert case.find("failure") is None
    assert "warning: the spread" in case.find("system-out").text
    assert "| init_ms " in render(result, "markdown")


def test_markdown_and_github_escape_what_would_break_them():
    budget = budgets.init_failed("ValueError: a|b 100% done\nsecond line", 800.0)
    result = result_with(budget)
    markdown = render(result, "markdown")
    assert "a\\|b 100% done\\\\nsecond line" in markdown  # renders as a|b 100% done\nsecond line
    error = next(
        line for line in render(result, "github").splitlines() if line.startswith("::error")
    )
    assert error.endswith("a|b 100%25 done\\nsecond line")
    assert "::error title=coldprof check%3A init_ms over budget::init_ms (limit 800.0 ms)" in error
