"""How a function is configured for a local run, and the environment spec built from it."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from coldprof.data import lambda_facts
from coldprof.sandbox import EnvironmentSpec, materialize_all

DEFAULT_MEMORY_MB = 128  # Lambda's default memory size
DEFAULT_TIMEOUT_S = 3.0  # Lambda's default timeout


@dataclass(frozen=True)
class FunctionConfig:
    """The settings of a function that a local run honours: layers, interpreter, limits."""

    layers: tuple[Path, ...] = ()
    python: str | None = None  # the real executable (resolved by interpreter_info)
    runtime: str | None = None  # "python3.12"; must match the interpreter
    runtime_sdk: Path | None = None  # the SDK the runtime provides (boto3, ...)
    env: Mapping[str, str] = field(default_factory=dict)
    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_s: float = DEFAULT_TIMEOUT_S
    region: str = "us-east-1"


def environment_spec(
    target: Path, handler: str, config: FunctionConfig, stack: ExitStack
) -> EnvironmentSpec:
    """The spec of an environment for target and handler; zips stay extracted until `stack` ends."""
    task_root, layers = materialize_all(stack, target, config.layers)
    return EnvironmentSpec(
        task_root=task_root,
        handler=handler,
        layers=layers,
        python=config.python,
        runtime=config.runtime,
        runtime_sdk=config.runtime_sdk,
        env=config.env,
        memory_mb=config.memory_mb,
        timeout_s=config.timeout_s,
        init_timeout_s=max(config.timeout_s, lambda_facts()["limits"]["init_max_s"]),
        region=config.region,
    )
