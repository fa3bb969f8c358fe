"""The one validator of the function's settings, shared by the command line, [tool.coldprof]
and `serve --function`: each parser takes a value as TOML gives it or as text, and raises
ValueError completing "expected ..." when it is not valid."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from coldprof.analyze.runtime import ARCHES
from coldprof.data import lambda_facts
from coldprof.function.credentials import KEYS
from coldprof.sandbox.spec import LAZY_IMPORTS, RUNTIME_CLIENTS

HANDLER = re.compile(r"[A-Za-z_][\w/.]*\.[A-Za-z_]\w*")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
WHOLE = re.compile(r"\s*\d{1,9}\s*")
NUMBER = re.compile(r"\s*\d{1,9}(\.\d{1,9})?\s*")
PROFILE = re.compile(r"profile:[\w+=,.@-]{1,128}")


def text(value: Any, what: str) -> str:
    """A non-empty, printable string."""
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise ValueError(what)
    return value


def target(value: Any) -> Path:
    """The function's package: a folder or a deployment .zip."""
    return Path(text(value, "the path of the package folder or .zip"))


def handler(value: Any) -> str:
    """A Lambda handler: module.function (the module may be dotted or a path: pkg/app)."""
    if not isinstance(value, str) or HANDLER.fullmatch(value) is None:
        raise ValueError('a handler like "app.handler" (module.function)')
    return value


def layer(value: Any) -> Path:
    """One layer: a folder or a .zip in Lambda's python/ layout."""
    return Path(text(value, "layer paths (folders or .zip files)"))


def python(value: Any) -> str:
    """The path or name of a Python interpreter."""
    return text(value, "the path or name of a Python interpreter")


def runtime(value: Any) -> str:
    """One of Lambda's Python runtimes."""
    runtimes = lambda_facts()["runtimes"]
    if value not in runtimes:
        raise ValueError(f"one of Lambda's Python runtimes: {', '.join(runtimes)}")
    return value


def arch(value: Any) -> str:
    """One of Lambda's architectures."""
    if value not in ARCHES:
        raise ValueError(f"one of {', '.join(ARCHES)}")
    return value


def runtime_sdk(value: Any) -> Path:
    """The folder holding the SDK the runtime provides (boto3, botocore, ...)."""
    return Path(text(value, "the path of a folder holding boto3 and the rest of the SDK"))


def env(pair: tuple[Any, Any]) -> tuple[str, str]:
    """One environment variable (name, value): a valid name Lambda lets a function set."""
    name, value = pair
    if not isinstance(name, str) or ENV_NAME.fullmatch(name) is None:
        raise ValueError(f"NAME=VALUE with a valid variable name, not {name!r}")
    if name in (*KEYS, "AWS_ACCESS_KEY"):
        raise ValueError(
            f"a variable Lambda lets a function set; {name} is reserved (credentials reach the "
            "function only through --credentials from-environment or profile:NAME)"
        )
    if name in lambda_facts()["reserved_environment_variables"]:
        raise ValueError(f"a variable Lambda lets a function set; {name} is reserved")
    if not isinstance(value, str) or "\0" in value:
        raise ValueError(f'a string value for {name} (TOML: {name} = "...")')
    return name, value


def env_item(item: str) -> tuple[str, str]:
    """One NAME=VALUE as written on the command line."""
    name, equals, value = item.partition("=")
    if not equals:
        raise ValueError(f"NAME=VALUE, not {item!r}")
    return env((name, value))


def runtime_client(value: Any) -> str:
    """Which runtime runs the handler: coldprof's light one, or AWS's awslambdaric."""
    if value not in RUNTIME_CLIENTS:
        raise ValueError(f"one of {', '.join(RUNTIME_CLIENTS)}")
    return value


def lazy_imports(value: Any) -> str:
    """A -X lazy_imports mode (PEP 810)."""
    if value not in LAZY_IMPORTS:
        raise ValueError(" or ".join(LAZY_IMPORTS))
    return value


def credentials(value: Any) -> str:
    """Which AWS credentials the function gets: none, from-environment, or profile:NAME."""
    if value in ("none", "from-environment"):
        return value
    if isinstance(value, str) and PROFILE.fullmatch(value):
        return value
    raise ValueError("none, from-environment or profile:NAME")


def memory_mb(value: Any) -> int:
    """Lambda's memory size: whole MB from 128 to 10,240."""
    return _whole_mb(value, "memory", "a memory size")


def _whole_mb(value: Any, limit: str, noun: str) -> int:
    """Whole MB within Lambda's `{limit}_min_mb` to `{limit}_max_mb` (ValueError naming `noun`)."""
    limits = lambda_facts()["limits"]
    low, high = limits[f"{limit}_min_mb"], limits[f"{limit}_max_mb"]
    number = _number(value, WHOLE)
    if number is None or not low <= number <= high:
        raise ValueError(f"{noun} in MB, a whole number from {low} to {high}")
    return int(number)


def timeout_s(value: Any) -> float:
    """The invocation timeout in seconds: above 0, at most 900."""
    high = lambda_facts()["limits"]["timeout_max_s"]
    number = _number(value, NUMBER)
    if number is None or not 0 < number <= high:
        raise ValueError(f"a timeout in seconds, above 0 and at most {high}")
    return float(number)


def cpu_share(value: Any) -> str:
    """How much CPU the handler gets: its memory size's share, or the bare machine."""
    if value not in ("memory", "off"):
        raise ValueError('"memory" (the memory size\'s share of a vCPU) or "off" (this machine)')
    return value


def init_cpu(value: Any) -> str:
    """The CPU of the init phase: boosted (at least one vCPU) or the memory's share."""
    if value not in ("boosted", "memory"):
        raise ValueError('"boosted" (at least one vCPU) or "memory" (the memory\'s share)')
    return value


def switch(value: Any) -> bool:
    """On or off: true/false in TOML; true, false, yes, no, on, off, 1 or 0 as text."""
    if isinstance(value, bool):
        return value
    words = {"true": True, "yes": True, "on": True, "1": True}
    words |= {"false": False, "no": False, "off": False, "0": False}
    if isinstance(value, str) and value.strip().lower() in words:
        return words[value.strip().lower()]
    raise ValueError("true or false")


def ephemeral_storage_mb(value: Any) -> int:
    """Lambda's ephemeral storage (/tmp): whole MB from 512 to 10,240."""
    return _whole_mb(value, "ephemeral_storage", "a size of /tmp")


def region(value: Any) -> str:
    """An AWS region name: us-east-1, eu-west-3, ..."""
    if not isinstance(value, str) or REGION.fullmatch(value) is None:
        raise ValueError("an AWS region like us-east-1")
    return value


def _number(value: Any, pattern: re.Pattern) -> float | None:
    """The number in an int, a float or a string matching `pattern`; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):  # no more digits than the text forms take (TOML has no bound)
        return value if abs(value) < 10**9 else None
    if isinstance(value, float):
        return value if pattern is NUMBER or value.is_integer() else None
    if isinstance(value, str) and pattern.fullmatch(value):
        return float(value)
    return None
