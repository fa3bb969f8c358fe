"""FunctionConfig: the one description of the function under test."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coldprof.data import lambda_facts
from coldprof.function import parse
from coldprof.function.settings import LIST, MAP, SWITCH, Setting, setting, settings_of
from coldprof.sandbox.interpreter import InterpreterInfo, find_interpreter

DEFAULTS = lambda_facts()["defaults"]
LIMITS = lambda_facts()["limits"]


@dataclass(frozen=True, kw_only=True)
class FunctionConfig:
    """The function under test as Lambda would configure it; Lambda's defaults where unset.

    Every command that runs a handler builds its environment from this record. A field
    declared with setting(...) is also a command-line option, a [tool.coldprof] key and a
    `serve --function` key: adding one is this one declaration (defaults in data/lambda.json).
    """

    target: Path = setting(
        key="target", flag=None, parse=parse.target, path=True, help="The package: folder or .zip."
    )
    handler: str | None = setting(
        default=None,
        key="handler",
        flag="--handler",
        parse=parse.handler,
        metavar="MODULE.FUNCTION",
        help="The function's handler, e.g. app.handler.",
    )
    layers: tuple[Path, ...] = setting(
        default=(),
        key="layers",
        flag="--layer",
        parse=parse.layer,
        kind=LIST,
        most=LIMITS["layers_per_function"],
        noun="layer paths (folders or .zip files)",
        path=True,
        metavar="PATH",
        help="A layer (folder or zip, Lambda's python/ layout); repeatable, in order.",
    )
    python: str | None = setting(
        default=None,
        key="python",
        flag="--python",
        parse=parse.python,
        metavar="PYTHON",
        help="Interpreter to run the handler (default: one for --runtime, else this one).",
    )
    runtime: str | None = setting(
        default=None,
        key="runtime",
        flag="--runtime",
        parse=parse.runtime,
        metavar="python3.X",
        help="Lambda runtime, e.g. python3.12; without --python, a matching interpreter is "
        "found on PATH or among pyenv's and uv's (default: the interpreter's).",
    )
    arch: str = setting(
        default=DEFAULTS["arch"],
        key="arch",
        flag="--arch",
        parse=parse.arch,
        metavar="[x86_64|arm64]",
        help="Lambda architecture: prices and extension checks (the handler runs on this "
        "machine's).",
    )
    runtime_sdk: Path | None = setting(
        default=None,
        key="runtime_sdk",
        flag="--runtime-sdk",
        parse=parse.runtime_sdk,
        path=True,
        metavar="FOLDER",
        help="Folder with the SDK the runtime provides (boto3, ...), after the layers on sys.path.",
    )
    env: Mapping[str, str] = setting(
        default_factory=dict,
        key="env",
        flag="--env",
        parse=parse.env,
        item=parse.env_item,
        kind=MAP,
        metavar="NAME=VALUE",
        help="An environment variable for the handler (repeatable).",
    )
    memory_mb: int = setting(
        default=DEFAULTS["memory_mb"],
        key="memory",
        flag="--memory",
        parse=parse.memory_mb,
        metavar="MB",
        help="Memory size in MB: resident memory above it is Runtime.OutOfMemory.",
    )
    timeout_s: float = setting(
        default=float(DEFAULTS["timeout_s"]),
        key="timeout",
        flag="--timeout",
        parse=parse.timeout_s,
        metavar="SECONDS",
        help="Seconds an invocation may run (init: Lambda's own 10 s; an init past it runs "
        "again inside the first invocation, under this timeout).",
    )
    cpu_share: str = setting(
        default=DEFAULTS["cpu_share"],
        key="cpu_share",
        flag="--cpu-share",
        parse=parse.cpu_share,
        metavar="[memory|off]",
        help="CPU for the handler: memory, the memory size's share as on Lambda (1,769 MB is "
        "one vCPU; 128 MB about 7%); off, this machine's CPUs, unlimited.",
    )
    init_cpu: str = setting(
        default=DEFAULTS["init_cpu"],
        key="init_cpu",
        flag="--init-cpu",
        parse=parse.init_cpu,
        metavar="[boosted|memory]",
        help="CPU during init: boosted, at least one vCPU, as measured on Lambda's on-demand "
        "inits; memory, the memory's share, as provisioned concurrency gets.",
    )
    cold_cache: bool = setting(
        default=DEFAULTS["cold_cache"],
        key="cold_cache",
        flag="--cold-cache",
        parse=parse.switch,
        kind=SWITCH,
        help="Drop the package's files from the page cache before each cold start, so its "
        "code is read from disk as on Lambda (bench also measures it cached, to compare).",
    )
    ephemeral_storage_mb: int = setting(
        default=DEFAULTS["ephemeral_storage_mb"],
        key="ephemeral_storage",
        flag="--ephemeral-storage",
        parse=parse.ephemeral_storage_mb,
        metavar="MB",
        help="Size of the handler's /tmp in MB (512 to 10,240): writing past it fails with "
        "ENOSPC where coldprof can mount a size-limited /tmp, else ends the invocation.",
    )
    runtime_client: str = setting(
        default="coldprof",
        key="runtime_client",
        flag="--runtime-client",
        parse=parse.runtime_client,
        metavar="[coldprof|awslambdaric]",
        help="The runtime that loads and runs the handler: coldprof's light one (starts like "
        "Lambda's, standard library only) or AWS's own awslambdaric (exact; needs "
        'pip install "coldprof[awslambdaric]").',
    )
    lazy_imports: str | None = setting(
        default=None,
        key="lazy_imports",
        flag="--lazy-imports",
        parse=parse.lazy_imports,
        metavar="[all|normal]",
        help="PEP 810 lazy imports (Python 3.15): run with -X lazy_imports=MODE, as "
        "PYTHON_LAZY_IMPORTS=MODE does on Lambda; all: every module-level import may be "
        "deferred; normal: only `lazy import` statements (the default when not given).",
    )
    credentials: str = setting(
        default="none",
        key="credentials",
        flag="--credentials",
        parse=parse.credentials,
        metavar="[none|from-environment|profile:NAME]",
        help="AWS credentials for the function, as Lambda gives it its role's: none, the "
        "AWS_ACCESS_KEY_ID/... of coldprof's environment, or a profile's. Never printed or "
        "stored.",
    )
    region: str = setting(
        default=DEFAULTS["region"],
        key="region",
        flag="--region",
        parse=parse.region,
        metavar="REGION",
        help="AWS_REGION inside the function and in its ARN.",
    )
    function_name: str = DEFAULTS["function_name"]

    def interpreter(self) -> InterpreterInfo:
        """The interpreter that runs this function (see find_interpreter)."""
        return find_interpreter(self.python, self.runtime)

    def resolved(self) -> FunctionConfig:
        """This function with its interpreter found: `python` its real executable, `runtime` set."""
        info = self.interpreter()
        return dataclasses.replace(self, python=info.executable, runtime=info.runtime)

    def runtime_name(self) -> str:
        """The runtime: as set, else the interpreter's (probed only when `python` is set)."""
        return self.runtime or self.interpreter().runtime


SETTINGS: dict[str, Setting] = settings_of(FunctionConfig)  # field name -> Setting
KEYS: dict[str, str] = {s.key: name for name, s in SETTINGS.items()}  # "memory" -> "memory_mb"
# Keys a function served by `coldprof serve` may set (target and handler are in
# NAME=TARGET:HANDLER; the code runs on this machine's architecture, so arch is not one).
SERVE_KEYS = tuple(s.key for s in SETTINGS.values() if s.key not in ("target", "handler", "arch"))


def with_settings(function: FunctionConfig, settings: Mapping[str, Any]) -> FunctionConfig:
    """The function with `settings` (field -> value) applied; `env` is merged, theirs winning."""
    env = {**function.env, **settings.get("env", {})}
    return dataclasses.replace(function, **{**settings, "env": env})
