"""`coldprof bench` and `coldprof invoke`: cold against warm, measured locally like Lambda does."""

from coldprof.bench.cost import CostEstimate, billed_duration_ms, estimate_cost
from coldprof.bench.invocation import Invocation, format_init_report
from coldprof.bench.invoke import invoke_once
from coldprof.bench.report_line import ReportLine, format_report_line, parse_reports
from coldprof.bench.result import BenchResult
from coldprof.bench.run import BenchOptions, bench

__all__ = [
    "BenchOptions",
    "BenchResult",
    "CostEstimate",
    "Invocation",
    "ReportLine",
    "bench",
    "billed_duration_ms",
    "estimate_cost",
    "format_init_report",
    "format_report_line",
    "invoke_once",
    "parse_reports",
]
