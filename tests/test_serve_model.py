"""Every response of every operation `coldprof serve` answers, checked against botocore's own
model of the Lambda API: status codes, member names, types, enums, patterns, required members,
and the shape of each error. The calls are made by the real boto3 client."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape
from test_serve import HANDLERS, echo, lambda_client, running_server, served

from coldprof.serve.operations import OPERATIONS
from coldprof.serve.routes import OWN_ROUTES

MODEL = botocore.session.get_session().get_service_model("lambda")
# AWS's common errors, which the Lambda model does not list: their status and body member.
COMMON_ERRORS = {
    "ValidationException": 400,
    "UnknownOperationException": 404,
    "MissingAuthenticationTokenException": 403,
    "UnrecognizedClientException": 403,
    "InvalidSignatureException": 403,
    "IncompleteSignatureException": 400,
    "AccessDeniedException": 403,
    "MalformedHttpRequestException": 400,
}
JSON_TYPES = {
    "string": str,
    "blob": str,
    "boolean": bool,
    "structure": dict,
    "map": dict,
    "list": list,
    "timestamp": (str, int, float),
    "integer": int,
    "long": int,
    "double": (int, float),
    "float": (int, float),
}


def shape_problems(shape: Shape, value: object, where: str) -> list[str]:
    """Where a JSON value breaks its shape: type, enum, pattern, members, required members."""
    kind = shape.type_name
    wrong_bool = isinstance(value, bool) and kind != "boolean"
    if wrong_bool or not isinstance(value, JSON_TYPES[kind]):
        return [f"{where}: {value!r} is not a {kind}"]
    if kind == "structure":
        return _structure_problems(shape, value, where)
    if kind == "list":
        items = enumerate(value)
        return [p for i, item in items for p in shape_problems(shape.member, item, f"{where}[{i}]")]
    if kind == "map":
        return [
            p
            for key, item in value.items()
            for p in shape_problems(shape.key, key, f"{where} key")
            + shape_problems(shape.value, item, f"{where}.{key}")
        ]
    if kind == "string":
        return _string_problems(shape, value, where)
    return []


def _structure_problems(shape: Shape, value: dict, where: str) -> list[str]:
    problems = [f"{where}.{name}: not in the model" for name in value if name not in shape.members]
    problems += [
        f"{where}.{name}: required, missing" for name in shape.required_members if name not in value
    ]
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            problems += shape_problems(member, value[name], f"{where}.{name}")
    return problems


def _string_problems(shape: Shape, value: str, where: str) -> list[str]:
    meta = shape.metadata
    if "enum" in meta and value not in meta["enum"]:
        return [f"{where}: {value!r} is not one of {meta['enum']}"]
    pattern = meta.get("pattern")
    try:
        compiled = re.compile(pattern) if pattern else None
    except re.error:  # Java-only syntax (\p{L}): not checked
        compiled = None
    if compiled is not None and not compiled.fullmatch(value):
        return [f"{where}: {value!r} does not match {pattern}"]
    return []


def response_problems(operation: OperationModel, status: int, headers: dict, body: bytes) -> list:
    """Where one HTTP response breaks the model of its operation."""
    if status >= 300:
        return error_problems(operation, status, headers, body)
    output = operation.output_shape
    members = output.members if output is not None else {}
    status_member = any(m.serialization.get("location") == "statusCode" for m in members.values())
    problems = []
    if status != operation.http.get("responseCode", 200) and not status_member:
        problems.append(f"status {status}, the model says {operation.http.get('responseCode')}")
    for name, member in members.items():
        if member.serialization.get("location") == "header":
            header = headers.get(member.serialization["name"].lower())
            if header is not None:
                typed = int(header) if member.type_name in ("integer", "long") else header
                problems += shape_problems(member, typed, f"header {name}")
    if output is None or output.serialization.get("payload"):
        return problems
    document = json.loads(body) if body else {}
    body_members = {
        name: member for name, member in members.items() if "location" not in member.serialization
    }
    problems += [f"{name}: not in the model" for name in document if name not in body_members]
    for name, member in body_members.items():
        if name in document:
            problems += shape_problems(member, document[name], name)
    return problems


def error_problems(operation: OperationModel, status: int, headers: dict, body: bytes) -> list:
    """Where an error response breaks its error shape (or AWS's common error form)."""
    code = headers.get("x-amzn-errortype", "").split(":")[0]
    document = json.loads(body)
    if code in COMMON_ERRORS:
        expected_keys = {"message"}
        problems = [] if status == COMMON_ERRORS[code] else [f"{code}: status {status}"]
        if set(document) != expected_keys or not isinstance(document["message"], str):
            problems.append(f"{code}: body {document}")
        return problems
    shapes = {shape.name: shape for shape in operation.error_shapes}
    if code not in shapes:
        return [f"{code} is not an error of {operation.name}"]
    shape = shapes[code]
    problems = []
    if status != shape.metadata["error"]["httpStatusCode"]:
        expected = shape.metadata["error"]["httpStatusCode"]
        problems.append(f"{code}: status {status}, the model says {expected}")
    body_members = {n: m for n, m in shape.members.items() if "location" not in m.serialization}
    problems += [
        f"{code}.{name}: not in the model" for name in document if name not in body_members
    ]
    message_key = "Message" if "Message" in body_members else "message"
    if not isinstance(document.get(message_key), str):
        problems.append(f"{code}: no {message_key}")
    for name, member in body_members.items():
        if name in document:
            problems += shape_problems(member, document[name], f"{code}.{name}")
    return problems


def fails(code: str, call: Callable[[], object]) -> None:
    """The call is refused with this error code."""
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == code


def invoke_calls(client) -> None:
    client.invoke(FunctionName="m-invoke", Payload=b'{"a": 1}', LogType="Tail")
    client.invoke(FunctionName="m-failing", LogType="Tail")
    client.invoke(FunctionName="m-invoke", InvocationType="Event", Payload=b"{}")
    client.invoke(FunctionName="m-invoke", InvocationType="DryRun")
    fails("ResourceNotFoundException", lambda: client.invoke(FunctionName="m-nope"))
    fails(
        "RequestTooLargeException",
        lambda: client.invoke(
            FunctionName="m-invoke", InvocationType="Event", Payload=b'"' + b"x" * 1_048_576 + b'"'
        ),
    )
    fails(
        "InvalidRequestContentException",
        lambda: client.invoke(FunctionName="m-invoke", ClientContext="not base64!"),
    )
    fails("ValidationException", lambda: client.invoke(FunctionName="m invoke"))
    client.put_function_concurrency(FunctionName="m-throttled", ReservedConcurrentExecutions=0)
    fails("TooManyRequestsException", lambda: client.invoke(FunctionName="m-throttled"))


def get_configuration_calls(client) -> None:
    client.get_function_configuration(FunctionName="m-config")
    version = client.publish_version(FunctionName="m-config")["Version"]
    client.get_function_configuration(FunctionName="m-config", Qualifier=version)
    fails(
        "ResourceNotFoundException",
        lambda: client.get_function_configuration(FunctionName="m-config", Qualifier="99"),
    )


def get_function_calls(client) -> None:
    client.put_function_concurrency(FunctionName="m-get", ReservedConcurrentExecutions=3)
    client.get_function(FunctionName="m-get")
    fails("ResourceNotFoundException", lambda: client.get_function(FunctionName="m-gone"))


def update_configuration_calls(client) -> None:
    client.update_function_configuration(
        FunctionName="m-update", MemorySize=256, Environment={"Variables": {"STAGE": "1"}}
    )
    fails(
        "ValidationException",
        lambda: client.update_function_configuration(FunctionName="m-update", MemorySize=20_000),
    )
    fails(
        "InvalidParameterValueException",
        lambda: client.update_function_configuration(
            FunctionName="m-update", Environment={"Variables": {"AWS_REGION": "x"}}
        ),
    )
    fails(
        "PreconditionFailedException",
        lambda: client.update_function_configuration(
            FunctionName="m-update", Timeout=5, RevisionId="0"
        ),
    )


def list_functions_calls(client) -> None:
    first = client.list_functions(MaxItems=1)
    client.list_functions(Marker=first["NextMarker"], FunctionVersion="ALL")
    fails("InvalidParameterValueException", lambda: client.list_functions(Marker="nonsense"))


def delete_function_calls(client) -> None:
    client.publish_version(FunctionName="m-delete")
    client.update_function_configuration(FunctionName="m-delete", Description="two")
    client.update_function_configuration(FunctionName="m-delete", MemorySize=256)
    client.publish_version(FunctionName="m-delete")
    client.create_alias(FunctionName="m-delete", Name="kept", FunctionVersion="2")
    client.delete_function(FunctionName="m-delete", Qualifier="1")
    fails(
        "ResourceConflictException",
        lambda: client.delete_function(FunctionName="m-delete", Qualifier="2"),
    )
    fails(
        "InvalidParameterValueException",
        lambda: client.delete_function(FunctionName="m-delete", Qualifier="$LATEST"),
    )
    client.delete_function(FunctionName="m-delete")
    fails("ResourceNotFoundException", lambda: client.delete_function(FunctionName="m-delete"))


def account_settings_calls(client) -> None:
    client.get_account_settings()


def publish_version_calls(client) -> None:
    client.publish_version(FunctionName="m-publish", Description="first")
    fails(
        "PreconditionFailedException",
        lambda: client.publish_version(FunctionName="m-publish", RevisionId="0"),
    )
    fails(
        "InvalidParameterValueException",
        lambda: client.publish_version(FunctionName="m-publish", CodeSha256="abc"),
    )


def list_versions_calls(client) -> None:
    client.publish_version(FunctionName="m-versions")
    client.list_versions_by_function(FunctionName="m-versions", MaxItems=1)
    fails(
        "ResourceNotFoundException", lambda: client.list_versions_by_function(FunctionName="m-none")
    )


def alias_calls(client) -> None:
    client.publish_version(FunctionName="m-alias")
    client.update_function_configuration(FunctionName="m-alias", MemorySize=256)
    client.publish_version(FunctionName="m-alias")
    client.create_alias(
        FunctionName="m-alias",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}},
    )
    fails(
        "ResourceConflictException",
        lambda: client.create_alias(FunctionName="m-alias", Name="live", FunctionVersion="1"),
    )
    fails(
        "ResourceNotFoundException",
        lambda: client.create_alias(FunctionName="m-alias", Name="other", FunctionVersion="7"),
    )
    fails(
        "InvalidParameterValueException",
        lambda: client.create_alias(
            FunctionName="m-alias",
            Name="two",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
        ),
    )
    revision = client.get_alias(FunctionName="m-alias", Name="live")["RevisionId"]
    client.update_alias(
        FunctionName="m-alias",
        Name="live",
        FunctionVersion="2",
        RoutingConfig={},
        RevisionId=revision,
    )
    fails(
        "PreconditionFailedException",
        lambda: client.update_alias(FunctionName="m-alias", Name="live", RevisionId=revision),
    )
    client.list_aliases(FunctionName="m-alias")
    fails("ResourceNotFoundException", lambda: client.list_aliases(FunctionName="m-none"))
    client.invoke(FunctionName="m-alias", Qualifier="live")
    client.delete_alias(FunctionName="m-alias", Name="live")
    fails(
        "ResourceNotFoundException", lambda: client.get_alias(FunctionName="m-alias", Name="live")
    )
    fails(
        "ResourceNotFoundException",
        lambda: client.delete_alias(FunctionName="m-alias", Name="live"),
    )


def concurrency_calls(client) -> None:
    client.get_function_concurrency(FunctionName="m-concurrency")
    client.put_function_concurrency(FunctionName="m-concurrency", ReservedConcurrentExecutions=5)
    client.get_function_concurrency(FunctionName="m-concurrency")
    fails(
        "InvalidParameterValueException",
        lambda: client.put_function_concurrency(
            FunctionName="m-concurrency", ReservedConcurrentExecutions=5000
        ),
    )
    client.delete_function_concurrency(FunctionName="m-concurrency")
    for call in (client.get_function_concurrency, client.delete_function_concurrency):
        fails("ResourceNotFoundException", lambda call=call: call(FunctionName="m-none"))


def event_config_calls(client) -> None:
    fails(
        "ResourceNotFoundException",
        lambda: client.get_function_event_invoke_config(FunctionName="m-events"),
    )
    client.put_function_event_invoke_config(FunctionName="m-events", MaximumRetryAttempts=1)
    client.update_function_event_invoke_config(
        FunctionName="m-events", MaximumEventAgeInSeconds=120
    )
    client.get_function_event_invoke_config(FunctionName="m-events")
    client.list_function_event_invoke_configs(FunctionName="m-events")
    fails(
        "ValidationException",
        lambda: client.put_function_event_invoke_config(
            FunctionName="m-events", MaximumRetryAttempts=5
        ),
    )
    client.delete_function_event_invoke_config(FunctionName="m-events")
    fails(
        "ValidationException",
        lambda: client.update_function_event_invoke_config(
            FunctionName="m-events", MaximumEventAgeInSeconds=30_000
        ),
    )
    for call in (
        client.delete_function_event_invoke_config,
        client.list_function_event_invoke_configs,
    ):
        fails("ResourceNotFoundException", lambda call=call: call(FunctionName="m-none"))


SCENARIOS = {
    "Invoke": invoke_calls,
    "GetFunctionConfiguration": get_configuration_calls,
    "GetFunction": get_function_calls,
    "UpdateFunctionConfiguration": update_configuration_calls,
    "ListFunctions": list_functions_calls,
    "DeleteFunction": delete_function_calls,
    "GetAccountSettings": account_settings_calls,
    "PublishVersion": publish_version_calls,
    "ListVersionsByFunction": list_versions_calls,
    "CreateAlias": alias_calls,
    "UpdateAlias": alias_calls,
    "GetAlias": alias_calls,
    "DeleteAlias": alias_calls,
    "ListAliases": alias_calls,
    "PutFunctionConcurrency": concurrency_calls,
    "GetFunctionConcurrency": concurrency_calls,
    "DeleteFunctionConcurrency": concurrency_calls,
    "PutFunctionEventInvokeConfig": event_config_calls,
    "UpdateFunctionEventInvokeConfig": event_config_calls,
    "GetFunctionEventInvokeConfig": event_config_calls,
    "DeleteFunctionEventInvokeConfig": event_config_calls,
    "ListFunctionEventInvokeConfigs": event_config_calls,
}
MODEL_OPERATIONS = sorted(name for name in OPERATIONS if name not in OWN_ROUTES)
NAMES = ["invoke", "throttled", "config", "get", "update", "delete", "publish", "versions",
         "alias", "concurrency", "events"]  # fmt: skip


@pytest.fixture(scope="module")
def responses() -> Iterator[dict[str, list]]:
    """Every response of every scenario, by operation, as botocore received them."""
    specs = [echo(f"m-{name}") for name in NAMES]
    specs.append(served("m-failing", HANDLERS / "raises_in_handler"))
    captured: dict[str, list] = {}

    def capture(http_response, model, **_) -> None:
        captured.setdefault(model.name, []).append(
            (http_response.status_code, dict(http_response.headers), http_response.content)
        )

    with running_server(specs, account_concurrency=1000) as (server, _):
        client = lambda_client(server.url)
        client.meta.events.register("after-call.lambda", capture)
        for scenario in dict.fromkeys(SCENARIOS.values()):
            scenario(client)
        yield captured


def test_every_operation_served_has_a_scenario():
    assert sorted(SCENARIOS) == MODEL_OPERATIONS


@pytest.mark.parametrize("operation", MODEL_OPERATIONS)
def test_every_response_matches_botocores_model(responses, operation):
    model = MODEL.operation_model(operation)
    seen = responses.get(operation, [])
    statuses = [status for status, _, _ in seen]
    assert any(status < 300 for status in statuses), statuses
    assert any(status >= 400 for status in statuses) or operation == "GetAccountSettings"
    for status, headers, body in seen:
        lowered = {key.lower(): value for key, value in headers.items()}
        assert response_problems(model, status, lowered, body) == [], (status, body[:500])
