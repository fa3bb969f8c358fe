"""Aliases: CreateAlias, UpdateAlias (with RoutingConfig weights), GetAlias, DeleteAlias,
ListAliases."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from coldprof.serve.errors import bad_parameter, precondition_failed
from coldprof.serve.functions import LATEST
from coldprof.serve.operations.common import Reply, json_reply, listing, no_content
from coldprof.serve.registry import Alias, ServedFunction
from coldprof.serve.request import Request

if TYPE_CHECKING:
    from coldprof.serve.api import Functions


def alias_document(function: ServedFunction, alias: Alias) -> dict[str, Any]:
    """An AliasConfiguration."""
    document: dict[str, Any] = {
        "AliasArn": function.arn(alias.name),
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.weights:
        document["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.weights)}
    return document


def create_alias(functions: Functions, request: Request) -> Reply:
    """POST .../aliases."""
    function = _unqualified(functions, request)
    params = request.params
    alias = Alias(
        name=params["Name"],
        function_version=params["FunctionVersion"],
        description=params.get("Description", ""),
        weights=_weights(params.get("RoutingConfig"), params["FunctionVersion"]),
    )
    function.put_alias(alias, create=True)
    return json_reply(alias_document(function, alias), 201)


def update_alias(functions: Functions, request: Request) -> Reply:
    """PUT .../aliases/{Name}: what is given changes; RevisionId checked when given."""
    function = _unqualified(functions, request)
    params = request.params
    current = function.alias(params["Name"])
    if params.get("RevisionId") not in (None, current.revision_id):
        raise precondition_failed(current.revision_id)
    version = params.get("FunctionVersion", current.function_version)
    weights = (
        _weights(params["RoutingConfig"], version)
        if "RoutingConfig" in params
        else _weights({"AdditionalVersionWeights": current.weights}, version)
    )
    alias = dataclasses.replace(
        current,
        function_version=version,
        description=params.get("Description", current.description),
        weights=weights,
        revision_id=str(uuid.uuid4()),
    )
    function.put_alias(alias, create=False)
    return json_reply(alias_document(function, alias))


def get_alias(functions: Functions, request: Request) -> Reply:
    """GET .../aliases/{Name}."""
    function = _unqualified(functions, request)
    return json_reply(alias_document(function, function.alias(request.params["Name"])))


def delete_alias(functions: Functions, request: Request) -> Reply:
    """DELETE .../aliases/{Name}."""
    function = _unqualified(functions, request)
    function.delete_alias(request.params["Name"])
    return no_content()


def list_aliases(functions: Functions, request: Request) -> Reply:
    """GET .../aliases (only those of FunctionVersion, when given)."""
    function = _unqualified(functions, request)
    version = request.params.get("FunctionVersion")
    aliases = [a for a in function.aliases() if version in (None, a.function_version)]
    documents = [alias_document(function, alias) for alias in aliases]
    return listing("Aliases", documents, request.params)


def _unqualified(functions: Functions, request: Request) -> ServedFunction:
    function, qualifier = functions.function(request.params)
    if qualifier is not None:
        raise bad_parameter("Aliases belong to the function: give the unqualified name.")
    return function


def _weights(routing: Mapping[str, Any] | None, version: str) -> dict[str, float]:
    """AdditionalVersionWeights, checked as Lambda does: one other published version at most."""
    weights = dict((routing or {}).get("AdditionalVersionWeights") or {})
    if not weights:
        return {}
    if len(weights) > 1:
        raise bad_parameter("Number of items in AdditionalVersionWeights cannot be greater than 1")
    if version == LATEST:
        raise bad_parameter("$LATEST is not supported for an alias pointing to more than 1 version")
    if version in weights:
        raise bad_parameter(
            f"Invalid function version {version}. Function version {version} is already "
            "included in routing configuration."
        )
    return {key: float(value) for key, value in weights.items()}


OPERATIONS = {
    "CreateAlias": create_alias,
    "UpdateAlias": update_alias,
    "GetAlias": get_alias,
    "DeleteAlias": delete_alias,
    "ListAliases": list_aliases,
}
