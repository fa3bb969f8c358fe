"""`coldprof serve`: the Lambda Invoke API on 127.0.0.1, local functions in warm environments.

function = FunctionConfig(function_name="hello", target=Path("build"), handler="app.handler")
with serve([function], port=0) as server:
    server.serve_forever()   # boto3.client("lambda", endpoint_url=server.url) works against it
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from coldprof.data import lambda_facts
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig, prepare, with_settings
from coldprof.function.keys import read_key_values
from coldprof.function.record import SETTINGS
from coldprof.serve.api import Functions, Observer
from coldprof.serve.functions import Configuration, FunctionPool
from coldprof.serve.server import LambdaServer, make_server

FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
FUNCTION_FORM = "NAME=TARGET:module.handler[,key=value...]"
# Keys a served function may set (target and handler are in NAME=TARGET:HANDLER; the code runs
# on this machine's architecture, so arch is not one).
SERVE_KEYS = tuple(s.key for s in SETTINGS.values() if s.key not in ("target", "handler", "arch"))

__all__ = ["SERVE_KEYS", "LambdaServer", "parse_function", "serve"]


def parse_function(text: str, shared: Mapping[str, Any] | None = None) -> FunctionConfig:
    """A function from `NAME=TARGET:module.handler[,key=value...]` (CSV, as docker's --mount),
    its own settings applied over the `shared` ones (field -> value)."""
    fields = _fields(text)
    name, target, handler = _head(text, fields[0])
    try:
        own = read_key_values(fields[1:], SERVE_KEYS)
    except ValueError as error:
        raise UsageError(f"--function {text!r}: {error}") from None
    function = FunctionConfig(function_name=name, target=Path(target), handler=handler)
    return with_settings(with_settings(function, shared or {}), own)


def _fields(text: str) -> list[str]:
    """The comma-separated fields of a --function value ("..." quotes a field with a comma)."""
    try:
        fields = next(csv.reader([text]), [])
    except csv.Error as error:
        raise UsageError(f"--function {text!r}: {error}") from None
    if not fields:
        raise UsageError(f"--function {text!r}: expected {FUNCTION_FORM}")
    return fields


def _head(text: str, head: str) -> tuple[str, str, str]:
    """NAME, TARGET and HANDLER from NAME=TARGET:module.handler."""
    name, equals, rest = head.partition("=")
    target, colon, handler = rest.rpartition(":")
    if not equals or not colon or not target:
        raise UsageError(f"--function {text!r}: expected {FUNCTION_FORM}")
    if not FUNCTION_NAME.fullmatch(name):
        raise UsageError(
            f"--function {text!r}: the name must be 1 to 64 letters, digits, '-' or '_'"
        )
    try:
        return name, target, SETTINGS["handler"].parse(handler)
    except ValueError as error:
        raise UsageError(f"--function {text!r}: handler: expected {error}") from None


@contextmanager
def serve(
    functions: Sequence[FunctionConfig],
    *,
    host: str = "127.0.0.1",
    port: int = 9001,
    max_environments: int = 4,
    idle_timeout_s: float = 300.0,
    region: str | None = None,
    observer: Observer | None = None,
) -> Iterator[LambdaServer]:
    """A bound server for the functions; on exit every environment is ended and temp files go."""
    names = [function.function_name for function in functions]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UsageError(f"--function: the name {duplicates[0]!r} is given twice")
    with ExitStack() as stack:
        pools = {
            function.function_name: FunctionPool(
                Configuration(function=prepare(stack, function)), max_environments
            )
            for function in functions
        }
        region = region or lambda_facts()["defaults"]["region"]
        served = Functions(pools, idle_timeout_s, region, observer)
        stack.callback(served.close)
        server = make_server(host, port, served, observer)
        stack.callback(server.server_close)
        yield server
