"""A function version's configuration as the Lambda API shows it, and the changes it accepts."""

from __future__ import annotations

import dataclasses
import math
import platform
from typing import Any

from coldprof.data import lambda_facts
from coldprof.serve.errors import bad_parameter, over_quota, precondition_failed
from coldprof.serve.functions import LATEST, Configuration

ACCOUNT_ID = "000000000000"
ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
VARIABLES_MAX_BYTES = 4096
CHANGEABLE = ("Description", "Environment", "LoggingConfig", "MemorySize", "RevisionId", "Timeout")


def function_arn(name: str, region: str, qualifier: str | None = None) -> str:
    """The ARN a served function (or one of its versions or aliases) answers to."""
    arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"
    return arn if qualifier is None else f"{arn}:{qualifier}"


def version_arn(configuration: Configuration) -> str:
    """The ARN of a version: unqualified for $LATEST, as Lambda shows it."""
    function = configuration.function
    qualifier = None if configuration.version == LATEST else configuration.version
    return function_arn(function.function_name, function.region, qualifier)


def document(configuration: Configuration, update_status: str = "Successful") -> dict:
    """The FunctionConfiguration of a version: what boto3, the waiters and deploy scripts read."""
    function = configuration.function
    name = function.function_name
    doc: dict[str, Any] = {
        "FunctionName": name,
        "FunctionArn": version_arn(configuration),
        "Runtime": function.runtime,
        "Role": f"arn:aws:iam::{ACCOUNT_ID}:role/coldprof-serve",
        "Handler": function.handler,
        "Description": configuration.description,
        "Timeout": math.ceil(function.timeout_s),
        "MemorySize": function.memory_mb,
        "LastModified": configuration.last_modified,
        "Version": configuration.version,
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": configuration.revision_id,
        "State": "Active",
        "LastUpdateStatus": update_status,
        "PackageType": "Zip",
        "Architectures": [ARCHITECTURES.get(platform.machine().lower(), platform.machine())],
        "EphemeralStorage": {"Size": lambda_facts()["defaults"]["ephemeral_storage_mb"]},
        "LoggingConfig": {"LogFormat": configuration.log_format, "LogGroup": f"/aws/lambda/{name}"},
    }
    if function.env:
        doc["Environment"] = {"Variables": dict(function.env)}
    code = configuration.code
    if code.sha256 is not None:
        doc.update(CodeSha256=code.sha256, CodeSize=code.size_bytes)
    return doc


def changed(body: dict[str, Any], current: Configuration) -> Configuration:
    """The configuration an UpdateFunctionConfiguration body asks for, validated."""
    changes = _changes(body, current)
    function_changes = {
        key: changes.pop(key) for key in ("memory_mb", "timeout_s", "env") if key in changes
    }
    function = dataclasses.replace(current.function, **function_changes)
    return dataclasses.replace(current, function=function, **changes)


def _changes(body: dict[str, Any], current: Configuration) -> dict[str, Any]:
    """The fields an UpdateFunctionConfiguration body changes (the model's checks already done)."""
    unknown = sorted(set(body) - set(CHANGEABLE))
    if unknown:
        allowed = ", ".join(name for name in CHANGEABLE if name != "RevisionId")
        raise bad_parameter(f"coldprof serve can change only {allowed}; not {', '.join(unknown)}")
    if "RevisionId" in body and body["RevisionId"] != current.revision_id:
        raise precondition_failed(current.revision_id)
    limits = lambda_facts()["limits"]
    changes: dict[str, Any] = {}
    if "MemorySize" in body:
        changes["memory_mb"] = _at_most("MemorySize", body["MemorySize"], limits["memory_max_mb"])
    if "Timeout" in body:
        changes["timeout_s"] = float(_at_most("Timeout", body["Timeout"], limits["timeout_max_s"]))
    if "Environment" in body:
        changes["env"] = _variables(body["Environment"].get("Variables", {}))
    if "Description" in body:
        changes["description"] = body["Description"]
    if "LoggingConfig" in body:
        changes["log_format"] = body["LoggingConfig"].get("LogFormat", current.log_format)
    return changes


def _at_most(name: str, value: int, high: int) -> int:
    """A value within Lambda's quota for on-demand functions (the model allows more)."""
    if value > high:
        raise over_quota(name, high)
    return value


def _variables(variables: dict[str, str]) -> dict[str, str]:
    reserved = sorted(set(variables) & set(lambda_facts()["reserved_environment_variables"]))
    if reserved:
        raise bad_parameter(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            f"for modification. Reserved keys used in this request: {', '.join(reserved)}"
        )
    if sum(len(k.encode()) + len(v.encode()) for k, v in variables.items()) > VARIABLES_MAX_BYTES:
        raise bad_parameter(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided exceeded the 4KB limit."
        )
    return dict(variables)
