"""From the function's record to the sandbox's spec of one execution environment: the one place
an environment is configured."""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from pathlib import Path

from coldprof.data import lambda_facts
from coldprof.errors import UsageError
from coldprof.function.credentials import function_credentials
from coldprof.function.record import FunctionConfig
from coldprof.sandbox import EnvironmentSpec, materialize_all
from coldprof.sandbox.awslambdaric import runtime_folder


def prepare(stack: ExitStack, function: FunctionConfig) -> FunctionConfig:
    """The function ready to run here: its interpreter found, its target and layers folders
    (zips extracted read-only until `stack` closes)."""
    if function.handler is None:
        raise UsageError("no handler: pass --handler, or set handler in [tool.coldprof]")
    resolved = function.resolved()
    task_root, layers = materialize_all(stack, function.target, function.layers)
    return dataclasses.replace(resolved, target=task_root, layers=layers)


def init_limit_s(function: FunctionConfig) -> float:
    """Lambda's limit on an on-demand init (10 s); an init that passes it is stopped and run
    again inside the first invocation, under the function's timeout (Environment does that)."""
    return float(lambda_facts()["limits"]["init_max_s"])


def environment_spec(
    function: FunctionConfig,
    *,
    importtime: bool = False,
    pycache_prefix: Path | None = None,
    version: str = "$LATEST",
) -> EnvironmentSpec:
    """The spec of one environment of a prepared function (see prepare()), of one version."""
    interpreter = function.interpreter()
    awslambdaric = function.runtime_client == "awslambdaric"
    return EnvironmentSpec(
        task_root=function.target,
        handler=str(function.handler),
        layers=function.layers,
        interpreter=interpreter,
        runtime_sdk=function.runtime_sdk,
        env=dict(function.env),
        memory_mb=function.memory_mb,
        timeout_s=function.timeout_s,
        init_timeout_s=init_limit_s(function),
        function_name=function.function_name,
        region=function.region,
        cpu_share=function.cpu_share,
        init_cpu=function.init_cpu,
        cold_cache=function.cold_cache,
        ephemeral_storage_mb=function.ephemeral_storage_mb,
        version=version,
        importtime=importtime,
        pycache_prefix=pycache_prefix,
        runtime_client=function.runtime_client,
        runtime_dir=runtime_folder(interpreter) if awslambdaric else None,
        credentials=function_credentials(function.credentials),
        lazy_imports=function.lazy_imports,
    )
