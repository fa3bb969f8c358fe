"""`coldprof serve`: the Lambda Invoke API on 127.0.0.1, local functions in warm environments.

with serve([FunctionSpec("hello", Path("build"), "app.handler")], port=0) as server:
    server.serve_forever()   # boto3.client("lambda", endpoint_url=server.url) works against it
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from coldprof.errors import UsageError
from coldprof.sandbox import materialize
from coldprof.serve.api import Functions, Observer
from coldprof.serve.functions import Configuration, FunctionPool, FunctionSpec
from coldprof.serve.server import LambdaServer, make_server

FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
HANDLER = re.compile(r"[^\s.]+(\.[^\s.]+)+")

__all__ = ["FunctionSpec", "LambdaServer", "parse_function", "serve"]


def parse_function(text: str) -> FunctionSpec:
    """A FunctionSpec from `NAME=TARGET:module.handler`."""
    name, equals, rest = text.partition("=")
    target, colon, handler = rest.rpartition(":")
    if not equals or not colon or not target:
        raise UsageError(f"--function {text!r}: expected NAME=TARGET:module.handler")
    if not FUNCTION_NAME.fullmatch(name):
        raise UsageError(
            f"--function {text!r}: the name must be 1 to 64 letters, digits, '-' or '_'"
        )
    if not HANDLER.fullmatch(handler):
        raise UsageError(f"--function {text!r}: the handler must look like module.function")
    return FunctionSpec(name, Path(target), handler)


@contextmanager
def serve(
    specs: Sequence[FunctionSpec],
    *,
    host: str = "127.0.0.1",
    port: int = 9001,
    max_environments: int = 4,
    idle_timeout_s: float = 300.0,
    memory_mb: int = 128,
    timeout_s: int = 3,
    region: str = "us-east-1",
    observer: Observer | None = None,
) -> Iterator[LambdaServer]:
    """A bound server for the functions; on exit every environment is ended and temp files go."""
    names = [spec.name for spec in specs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UsageError(f"--function: the name {duplicates[0]!r} is given twice")
    with ExitStack() as stack:
        pools = {
            spec.name: FunctionPool(
                spec,
                stack.enter_context(materialize(spec.target)),
                Configuration(memory_mb=memory_mb, timeout_s=timeout_s),
                max_environments,
                region,
            )
            for spec in specs
        }
        functions = Functions(pools, idle_timeout_s, region, observer)
        stack.callback(functions.close)
        server = make_server(host, port, functions, observer)
        stack.callback(server.server_close)
        yield server
