"""`coldprof check`: size and cold-start budgets against the measured package."""

from coldprof.check.result import BudgetResult, CheckResult, Measurements
from coldprof.check.run import check

__all__ = ["BudgetResult", "CheckResult", "Measurements", "check"]
