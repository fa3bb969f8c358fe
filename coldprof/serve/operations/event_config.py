"""Asynchronous invocation settings: Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s), and
coldprof's own status of the event queue (GET /_coldprof/events)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from coldprof.serve.api import EventConfig, default_event_settings
from coldprof.serve.errors import ApiError, bad_parameter
from coldprof.serve.events import EventSettings
from coldprof.serve.functions import LATEST
from coldprof.serve.operations.common import Reply, json_reply, listing, no_content
from coldprof.serve.registry import ServedFunction
from coldprof.serve.request import Request
from coldprof.serve.routes import EVENTS_STATUS

if TYPE_CHECKING:
    from coldprof.serve.api import Functions


def put_config(functions: Functions, request: Request) -> Reply:
    """PUT .../event-invoke-config: replace the settings (what is not given is Lambda's default)."""
    return _store(functions, request, replace=True)


def update_config(functions: Functions, request: Request) -> Reply:
    """POST .../event-invoke-config: change what is given, keep the rest."""
    return _store(functions, request, replace=False)


def get_config(functions: Functions, request: Request) -> Reply:
    """GET .../event-invoke-config."""
    function, key = _target(functions, request)
    config = functions.event_configs.get((function.name, key))
    if config is None:
        arn = function.arn(_shown(key))
        message = f"The function {arn} doesn't have an EventInvokeConfig"
        raise ApiError(404, "ResourceNotFoundException", message)
    return json_reply(_document(function, key, config))


def delete_config(functions: Functions, request: Request) -> Reply:
    """DELETE .../event-invoke-config."""
    function, key = _target(functions, request)
    functions.event_configs.pop((function.name, key), None)
    return no_content()


def list_configs(functions: Functions, request: Request) -> Reply:
    """GET .../event-invoke-config/list: the function's, its versions' and its aliases'."""
    function, qualifier = functions.function(request.params)
    if qualifier is not None:
        raise bad_parameter("List the event invoke configs of the unqualified function.")
    configs = functions.event_configs.items()
    found = sorted((key, config) for (name, key), config in configs if name == function.name)
    documents = [_document(function, key, config) for key, config in found]
    return listing("FunctionEventInvokeConfigs", documents, request.params)


def event_status(functions: Functions, request: Request) -> Reply:
    """GET /_coldprof/events: what happened to each recent Event invocation."""
    return json_reply(functions.events.status())


def _store(functions: Functions, request: Request, replace: bool) -> Reply:
    function, key = _target(functions, request)
    params = request.params
    if params.get("DestinationConfig"):
        raise bad_parameter("coldprof serve does not deliver events to destinations.")
    current = default_event_settings() if replace else functions.event_settings(function, key)
    settings = EventSettings(
        params.get("MaximumRetryAttempts", current.maximum_retry_attempts),
        params.get("MaximumEventAgeInSeconds", current.maximum_event_age_s),
    )
    config = EventConfig(settings, time.time())
    functions.event_configs[(function.name, key)] = config
    return json_reply(_document(function, key, config))


def _target(functions: Functions, request: Request) -> tuple[ServedFunction, str]:
    """The function and the key of its settings: the qualifier, $LATEST when unqualified."""
    function, qualifier = functions.function(request.params)
    if qualifier is not None and (qualifier.isdigit() or qualifier == LATEST):
        function.version(qualifier)
    elif qualifier is not None:
        function.alias(qualifier)
    return function, qualifier or LATEST


def _shown(key: str) -> str | None:
    return None if key == LATEST else key


def _document(function: ServedFunction, key: str, config: EventConfig) -> dict[str, Any]:
    return {
        "LastModified": config.last_modified_s,
        "FunctionArn": function.arn(_shown(key)),
        "MaximumRetryAttempts": config.settings.maximum_retry_attempts,
        "MaximumEventAgeInSeconds": config.settings.maximum_event_age_s,
        "DestinationConfig": {},
    }


OPERATIONS = {
    "PutFunctionEventInvokeConfig": put_config,
    "UpdateFunctionEventInvokeConfig": update_config,
    "GetFunctionEventInvokeConfig": get_config,
    "DeleteFunctionEventInvokeConfig": delete_config,
    "ListFunctionEventInvokeConfigs": list_configs,
    EVENTS_STATUS: event_status,
}
