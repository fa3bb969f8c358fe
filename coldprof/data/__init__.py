"""Dated facts (Lambda limits, runtimes, prices, the runtime's SDK) loaded from data files."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


@functools.cache
def lambda_facts() -> dict[str, Any]:
    """The contents of lambda.json: limits, runtimes, SDK packages, prices, and when checked."""
    text = resources.files("coldprof.data").joinpath("lambda.json").read_text(encoding="utf-8")
    return json.loads(text)
