"""`coldprof serve`: the Lambda API on 127.0.0.1, local functions in warm environments.

function = FunctionConfig(function_name="hello", target=Path("build"), handler="app.handler")
with serve([function], ServeOptions(port=0)) as server:
    server.serve_forever()   # boto3.client("lambda", endpoint_url=server.url) works against it

Requests are signed with AWS Signature Version 4 by a key the server accepts: this
environment's own AWS credentials, the ones given (ServeOptions.accept_keys), or a generated
pair (server.startup.generated_key_file).
"""

from __future__ import annotations

import csv
import lzma
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coldprof.errors import ColdprofError, TargetError, UsageError
from coldprof.function import FunctionConfig, prepare, with_settings
from coldprof.function.keys import read_key_values
from coldprof.function.record import SERVE_KEYS, SETTINGS
from coldprof.results import display_path
from coldprof.serve.api import Functions, Observer
from coldprof.serve.auth import (
    AccessKey,
    Keys,
    Verifier,
    chain_credentials,
    generate_key,
    parse_key,
)
from coldprof.serve.functions import Configuration, code_of
from coldprof.serve.options import ServeOptions
from coldprof.serve.registry import ServedFunction
from coldprof.serve.server import LambdaServer, make_server

FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
FUNCTION_FORM = "NAME=TARGET:module.handler[,key=value...]"
# What extracting a broken zip raises (encrypted members, corrupt streams, truncated archives).
EXTRACTION_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    OSError,
)

__all__ = [
    "SERVE_KEYS",
    "AccessKey",
    "LambdaServer",
    "ServeOptions",
    "Startup",
    "parse_function",
    "parse_key",
    "serve",
]


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


@dataclass(frozen=True)
class Startup:
    """What the server settled at start: who may call it, and the functions it refused."""

    key_ids: tuple[str, ...]  # the access keys accepted (ids only, never secrets)
    generated_key_file: Path | None  # where a generated key pair is, when none was found
    credentials_problem: str | None  # why this environment's credentials could not be read
    no_auth: bool  # --no-auth: requests are not authenticated
    refused: tuple[tuple[str, str], ...]  # (function name, why) for functions not served


@contextmanager
def serve(
    functions: Sequence[FunctionConfig],
    options: ServeOptions | None = None,
    observer: Observer | None = None,
) -> Iterator[LambdaServer]:
    """A bound server for the functions (its `startup` says what it settled); on exit, events
    still queued are dropped, every environment is ended and temporary files go."""
    options = options or ServeOptions()
    names = [function.function_name for function in functions]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UsageError(f"--function: the name {duplicates[0]!r} is given twice")
    with ExitStack() as stack:
        served, refused = _served(stack, functions, options)
        keys, problem, key_file = _keys(stack, options)
        registry = Functions(served, options, observer)
        stack.callback(registry.close)  # also when the port cannot be bound
        verifier = None if options.no_auth else Verifier(keys)
        server = make_server(options.host, options.port, registry, verifier, observer)
        stack.callback(server.server_close)
        stack.callback(server.wait_answered)  # requests in flight get their (error) answers
        stack.callback(registry.close)  # first: events dropped, environments ended
        server.startup = Startup(
            tuple(keys.key_ids()), key_file, problem, options.no_auth, tuple(refused)
        )
        yield server


def _served(
    stack: ExitStack, functions: Sequence[FunctionConfig], options: ServeOptions
) -> tuple[dict[str, ServedFunction], list[tuple[str, str]]]:
    """Each function ready to serve, and those refused (a zip that cannot be extracted)."""
    served, refused = {}, []
    for function in functions:
        prepared = _prepared(stack, function)
        if isinstance(prepared, str):
            refused.append((function.function_name, prepared))
            continue
        configuration = Configuration(function=prepared, code=code_of(function.target))
        served[function.function_name] = ServedFunction(configuration, options.max_environments)
    if not served:
        reasons = "; ".join(f"{name}: {why}" for name, why in refused)
        raise TargetError(f"no function can be served ({reasons})")
    return served, refused


def _prepared(stack: ExitStack, function: FunctionConfig) -> FunctionConfig | str:
    """The function prepared (zips extracted until `stack` closes), or why it cannot be."""
    own = ExitStack()
    try:
        prepared = prepare(own, function)
    except UsageError:
        own.close()
        raise
    except (ColdprofError, *EXTRACTION_ERRORS) as error:
        own.close()
        message = error.message if isinstance(error, ColdprofError) else str(error)
        message = message or type(error).__name__
        if str(function.target) in message:  # most extraction errors name the zip already
            return display_path(message)
        return display_path(f"{function.target}: {message}")
    stack.enter_context(own)
    return prepared


def _keys(stack: ExitStack, options: ServeOptions) -> tuple[Keys, str | None, Path | None]:
    """The keys accepted: --accept-key's and this environment's; a generated pair when none."""
    chain, problem = chain_credentials() if options.credential_chain else (None, None)
    keys = Keys(options.accept_keys, chain)
    if keys or options.no_auth:
        return keys, problem, None
    key, path = generate_key(stack)
    return Keys((key,)), problem, path
