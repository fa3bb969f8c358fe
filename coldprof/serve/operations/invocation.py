"""Invoke: RequestResponse (200), Event (202, queued) and DryRun (204), by version or alias."""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from coldprof.bench.invocation import tail_base64
from coldprof.data import lambda_facts
from coldprof.serve.errors import ApiError, bad_content, bad_parameter, too_large
from coldprof.serve.events import QueuedEvent
from coldprof.serve.operations.common import Reply
from coldprof.serve.request import Request

if TYPE_CHECKING:
    from coldprof.serve.api import Functions

CLIENT_CONTEXT_ERROR = "Client context must be a valid Base64-encoded JSON object."


def invoke(functions: Functions, request: Request) -> Reply:
    """POST /2015-03-31/functions/{name}/invocations."""
    function, qualifier = functions.function(request.params)
    invocation_type = request.params.get("InvocationType", "RequestResponse")
    if invocation_type == "Event":
        _check_event_size(request.body)
    event = _event(request.body)
    client_context = _client_context(request.params.get("ClientContext"))
    pool = function.resolve(qualifier)
    if invocation_type == "DryRun":
        return 204, {}, b""
    if invocation_type == "Event":
        settings = functions.event_settings(function, qualifier)
        functions.events.submit(
            QueuedEvent(
                request_id=request.request_id,
                function=function.name,
                qualifier=qualifier,
                event=event,
                settings=settings,
            )
        )
        return 202, {}, b""
    context = {"invoked_function_arn": function.arn(qualifier)}
    if client_context is not None:  # Lambda passes it to synchronous invocations only
        context["client_context"] = client_context
    outcome = functions.run(function, pool, event, request.request_id, context)
    headers = {
        "Content-Type": "application/json",
        "X-Amz-Executed-Version": outcome.configuration.version,
    }
    if outcome.error is not None:
        headers["X-Amz-Function-Error"] = "Unhandled"
    if request.params.get("LogType") == "Tail":
        headers["X-Amz-Log-Result"] = tail_base64(outcome.log())
    return 200, headers, outcome.payload()


def _check_event_size(body: bytes) -> None:
    """An Event payload is limited to 1 MB (the synchronous one to 6 MB, checked on reading)."""
    limit = lambda_facts()["limits"]["payload_async_bytes"]
    if len(body) > limit:
        raise too_large(limit, "InvokeFunction")


def _event(body: bytes) -> Any:
    """The invocation payload as JSON (an empty body is `{}`)."""
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        raise bad_content(str(error)) from None


def _client_context(header: str | None) -> dict | None:
    """X-Amz-Client-Context: base64 JSON, at most 3,583 bytes, as the Invoke API takes it."""
    if header is None:
        return None
    limit = lambda_facts()["limits"]["client_context_bytes"]
    if len(header) > limit:
        raise bad_parameter(f"Client context must be at most {limit} bytes, base64 encoded.")
    try:
        value = json.loads(base64.b64decode(header, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise ApiError(400, "InvalidRequestContentException", CLIENT_CONTEXT_ERROR)
    return value


OPERATIONS = {"Invoke": invoke}
