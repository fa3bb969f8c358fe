"""A function's configuration as the Lambda API shows it, and the changes it accepts."""

from __future__ import annotations

import dataclasses
import platform
import re
from typing import Any

from coldprof.data import lambda_facts
from coldprof.serve.errors import bad_parameter, precondition_failed
from coldprof.serve.functions import Configuration

ACCOUNT_ID = "000000000000"
VERSION = "$LATEST"
ARCHITECTURES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
LOG_FORMATS = ("Text", "JSON")
DESCRIPTION_MAX_CHARS = 256
VARIABLES_MAX_BYTES = 4096
VARIABLE_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")  # the Lambda API's rule for a name
CHANGEABLE = ("Description", "Environment", "LoggingConfig", "MemorySize", "RevisionId", "Timeout")


def function_arn(name: str, region: str) -> str:
    """The ARN a served function answers to."""
    return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"


def document(configuration: Configuration, update_status: str) -> dict:
    """The FunctionConfiguration fields boto3 and the function_updated_v2 waiter read."""
    function = configuration.function
    name = function.function_name
    doc: dict[str, Any] = {
        "FunctionName": name,
        "FunctionArn": function_arn(name, function.region),
        "Runtime": function.runtime,
        "Role": f"arn:aws:iam::{ACCOUNT_ID}:role/coldprof-serve",
        "Handler": function.handler,
        "Description": configuration.description,
        "Timeout": _seconds(function.timeout_s),
        "MemorySize": function.memory_mb,
        "LastModified": configuration.last_modified,
        "Version": VERSION,
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
    return doc


def _seconds(timeout_s: float) -> int | float:
    """A timeout as Lambda shows it (whole seconds); a local fraction of a second stays."""
    return int(timeout_s) if timeout_s.is_integer() else timeout_s


def changed(body: dict[str, Any], current: Configuration) -> Configuration:
    """The configuration an UpdateFunctionConfiguration body asks for, validated."""
    changes = _changes(body, current)
    function_changes = {
        key: changes.pop(key) for key in ("memory_mb", "timeout_s", "env") if key in changes
    }
    function = dataclasses.replace(current.function, **function_changes)
    return dataclasses.replace(current, function=function, **changes)


def _changes(body: dict[str, Any], current: Configuration) -> dict[str, Any]:
    """The fields an UpdateFunctionConfiguration body changes, validated."""
    unknown = sorted(set(body) - set(CHANGEABLE))
    if unknown:
        allowed = ", ".join(name for name in CHANGEABLE if name != "RevisionId")
        raise bad_parameter(f"coldprof serve can change only {allowed}; not {', '.join(unknown)}")
    if "RevisionId" in body and body["RevisionId"] != current.revision_id:
        raise precondition_failed(current.revision_id)
    limits = lambda_facts()["limits"]
    changes: dict[str, Any] = {}
    if "MemorySize" in body:
        low, high = limits["memory_min_mb"], limits["memory_max_mb"]
        changes["memory_mb"] = _integer("memorySize", body["MemorySize"], low, high)
    if "Timeout" in body:
        timeout_s = _integer("timeout", body["Timeout"], 1, limits["timeout_max_s"])
        changes["timeout_s"] = float(timeout_s)
    if "Environment" in body:
        changes["env"] = _variables(body["Environment"])
    if "Description" in body:
        changes["description"] = _description(body["Description"])
    if "LoggingConfig" in body:
        changes["log_format"] = _log_format(body["LoggingConfig"], current.log_format)
    return changes


def _integer(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_parameter(f"Value '{value}' at '{name}' failed to satisfy constraint: integer")
    if not low <= value <= high:
        raise bad_parameter(
            f"Value '{value}' at '{name}' failed to satisfy constraint: "
            f"Member must have value between {low} and {high}"
        )
    return value


def _variables(environment: Any) -> dict[str, str]:
    variables = environment.get("Variables", {}) if isinstance(environment, dict) else None
    if not isinstance(variables, dict):
        raise bad_parameter("Environment must be an object with a Variables map")
    bad = [key for key, value in variables.items() if not _valid_variable(key, value)]
    if bad:
        raise bad_parameter(f"invalid environment variable names or values: {', '.join(bad)}")
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


def _valid_variable(key: Any, value: Any) -> bool:
    return isinstance(value, str) and isinstance(key, str) and bool(VARIABLE_NAME.fullmatch(key))


def _description(value: Any) -> str:
    if not isinstance(value, str) or len(value) > DESCRIPTION_MAX_CHARS:
        raise bad_parameter(
            f"Description must be a string of at most {DESCRIPTION_MAX_CHARS} characters"
        )
    return value


def _log_format(value: Any, current: str) -> str:
    log_format = value.get("LogFormat", current) if isinstance(value, dict) else None
    if log_format not in LOG_FORMATS:
        raise bad_parameter(f"LoggingConfig.LogFormat must be one of {', '.join(LOG_FORMATS)}")
    return log_format
