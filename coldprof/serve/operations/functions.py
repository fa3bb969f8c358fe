"""The functions and their configuration: GetFunction, Get/UpdateFunctionConfiguration,
ListFunctions, DeleteFunction, GetAccountSettings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coldprof.serve import configuration
from coldprof.serve.errors import bad_parameter
from coldprof.serve.functions import LATEST
from coldprof.serve.operations.common import Reply, json_reply, listing, no_content
from coldprof.serve.registry import ServedFunction
from coldprof.serve.request import Request

if TYPE_CHECKING:
    from coldprof.serve.api import Functions

CODE_REPOSITORY = "Local"  # the code is on this machine: Location is its file:// URI


def get_configuration(functions: Functions, request: Request) -> Reply:
    """GET .../configuration: the configuration of $LATEST, a version or an alias's version."""
    function, qualifier = functions.function(request.params)
    return json_reply(configuration.document(_configuration_of(function, qualifier)))


def get_function(functions: Functions, request: Request) -> Reply:
    """GET /2015-03-31/functions/{name}: Configuration, Code (local), Concurrency if reserved."""
    function, qualifier = functions.function(request.params)
    config = _configuration_of(function, qualifier)
    document: dict[str, Any] = {
        "Configuration": configuration.document(config),
        "Code": {"RepositoryType": CODE_REPOSITORY, "Location": config.code.location},
    }
    reserved = functions.concurrency.reserved(function.name)
    if reserved is not None:
        document["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
    return json_reply(document)


def update_configuration(functions: Functions, request: Request) -> Reply:
    """PUT .../configuration: change $LATEST; every environment of $LATEST is retired."""
    function, qualifier = functions.function(request.params)
    if qualifier not in (None, LATEST):
        raise bad_parameter("A published version's configuration cannot be changed.")
    body = {k: v for k, v in request.params.items() if k != "FunctionName"}
    pool = function.latest
    updated = pool.update(configuration.changed(body, pool.configuration))
    functions.tell(
        f"{function.name}: configuration updated ({', '.join(sorted(body))}); next start is cold"
    )
    return json_reply(configuration.document(updated, "InProgress"))


def list_functions(functions: Functions, request: Request) -> Reply:
    """GET /2015-03-31/functions/: $LATEST of each (every version with FunctionVersion=ALL)."""
    every = request.params.get("FunctionVersion") == "ALL"
    pools = [
        pool
        for function in functions.all()
        for pool in (function.versions() if every else [function.latest])
    ]
    documents = [configuration.document(pool.configuration) for pool in pools]
    return listing("Functions", documents, request.params)


def delete_function(functions: Functions, request: Request) -> Reply:
    """DELETE /2015-03-31/functions/{name}: a version (?Qualifier=N), or the whole function."""
    function, qualifier = functions.function(request.params)
    if qualifier is None:
        functions.remove(function)
    elif qualifier == LATEST:
        raise bad_parameter("$LATEST version cannot be deleted without deleting the function.")
    elif not qualifier.isdigit():
        raise bad_parameter("Deletion of aliases is not supported: use DeleteAlias.")
    else:
        function.delete_version(qualifier)
        functions.tell(f"{function.name}: version {qualifier} deleted; its environments ended")
    return no_content()


def get_account_settings(functions: Functions, request: Request) -> Reply:
    """GET /2016-08-19/account-settings: the concurrency limits serve applies."""
    concurrency = functions.concurrency
    return json_reply(
        {
            "AccountLimit": {
                "ConcurrentExecutions": concurrency.account_limit,
                "UnreservedConcurrentExecutions": concurrency.unreserved(),
            },
            "AccountUsage": {"FunctionCount": len(functions.all())},
        }
    )


def _configuration_of(function: ServedFunction, qualifier: str | None) -> Any:
    """The configuration a qualifier names: an alias names its main version's."""
    if qualifier is not None and not qualifier.isdigit() and qualifier != LATEST:
        qualifier = function.alias(qualifier).function_version
    return function.version(qualifier or LATEST).configuration


OPERATIONS = {
    "GetFunctionConfiguration": get_configuration,
    "GetFunction": get_function,
    "UpdateFunctionConfiguration": update_configuration,
    "ListFunctions": list_functions,
    "DeleteFunction": delete_function,
    "GetAccountSettings": get_account_settings,
}
