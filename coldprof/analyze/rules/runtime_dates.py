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


def _finding(rule: str, code: str, values: dict) -> Finding:
    return Finding(
        rule=rule,
        severity="warning",
        distribution=None,
        paths=(),
        bytes=0,
        code=code,
        values=values,
    )


def runtime_standing(context: Context) -> list[Finding]:
    """A warning for a deprecated or preview runtime (nothing for a supported one)."""
    name = context.runtime.name
    facts = lambda_facts()["runtimes"].get(name, {})
    deprecated = facts.get("deprecated")
    if deprecated and datetime.date.fromisoformat(deprecated) <= context.today:
        dates = {key: facts.get(key) for key in ("deprecated", "block_create", "block_update")}
        return [
            _finding(
                "runtime-deprecated",
                "deprecated",
                {"runtime": name, "os": facts.get("os"), **dates},
            )
        ]
    if facts.get("preview_since"):
        values = {"runtime": name, "preview_since": facts["preview_since"]}
        return [_finding("runtime-preview", "preview", values)]
    return []
