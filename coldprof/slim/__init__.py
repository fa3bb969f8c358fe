"""`coldprof slim`: act on analyze's findings, write a smaller package, and prove it is better."""

from coldprof.slim.result import SlimResult
from coldprof.slim.run import SlimOptions, slim
from coldprof.slim.steps import SAFE_STEPS, STEP_RULES, parse_steps

__all__ = ["SAFE_STEPS", "STEP_RULES", "SlimOptions", "SlimResult", "parse_steps", "slim"]
