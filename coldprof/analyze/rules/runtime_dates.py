"""runtime-deprecated and runtime-preview: the target runtime's standing, from the data file.

A runtime past its deprecation date gets no security patches, and AWS then blocks creating
and updating functions on it (dates in lambda.json); one that is only in preview is not
for production. Checked against the date of the analysis.
"""

from __future__ import annotations

import datetime

from coldprof.analyze.model import Context
from coldprof.analyze.result import Finding
from coldprof.data import lambda_facts

ADVICE = "move the function to a supported runtime (python3.12 or newer runs on Amazon Linux 2023)"
RISK = "a new Python version can change behaviour: test the function on it first"
PREVIEW_ADVICE = "use a generally available runtime for production"
PREVIEW_RISK = "none for testing; a preview runtime may change before it is generally available"


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def _blocked(facts: dict) -> str:
    parts = [
        f"{what} blocked from {facts[key]}"
        for key, what in (("block_create", "creating functions"), ("block_update", "updating"))
        if facts.get(key)
    ]
    return f"; {', '.join(parts)}" if parts else ""


def _finding(rule: str, message: str, advice: str, risk: str) -> Finding:
    return Finding(
        rule=rule,
        severity="warning",
        distribution=None,
        paths=(),
        bytes=0,
        message=message,
        risk=risk,
        advice=advice,
    )


def runtime_standing(context: Context) -> list[Finding]:
    """A warning for a deprecated or preview runtime (nothing for a supported one)."""
    name = context.runtime.name
    facts = lambda_facts()["runtimes"].get(name, {})
    deprecated = _date(facts.get("deprecated"))
    if deprecated is not None and deprecated <= context.today:
        message = (
            f"{name} was deprecated on {deprecated.isoformat()} ({facts.get('os')}): no more "
            f"security patches{_blocked(facts)}"
        )
        return [_finding("runtime-deprecated", message, ADVICE, RISK)]
    if facts.get("preview_since"):
        message = f"{name} is in public preview since {facts['preview_since']}: not for production"
        return [_finding("runtime-preview", message, PREVIEW_ADVICE, PREVIEW_RISK)]
    return []
