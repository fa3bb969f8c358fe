"""Reserved concurrency: PutFunctionConcurrency, GetFunctionConcurrency,
DeleteFunctionConcurrency."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coldprof.serve.errors import bad_parameter
from coldprof.serve.operations.common import Reply, json_reply, no_content
from coldprof.serve.registry import ServedFunction
from coldprof.serve.request import Request

if TYPE_CHECKING:
    from coldprof.serve.api import Functions


def put_concurrency(functions: Functions, request: Request) -> Reply:
    """PUT /2017-10-31/functions/{name}/concurrency: reserve (0 stops every invocation)."""
    function = _unqualified(functions, request)
    count = request.params["ReservedConcurrentExecutions"]
    functions.concurrency.reserve(function.name, count)
    functions.tell(f"{function.name}: reserved concurrency {count}")
    return json_reply({"ReservedConcurrentExecutions": count})


def get_concurrency(functions: Functions, request: Request) -> Reply:
    """GET /2019-09-30/functions/{name}/concurrency: {} when nothing is reserved."""
    function = _unqualified(functions, request)
    reserved = functions.concurrency.reserved(function.name)
    return json_reply({} if reserved is None else {"ReservedConcurrentExecutions": reserved})


def delete_concurrency(functions: Functions, request: Request) -> Reply:
    """DELETE /2017-10-31/functions/{name}/concurrency: back to the account's unreserved pool."""
    function = _unqualified(functions, request)
    functions.concurrency.reserve(function.name, None)
    functions.tell(f"{function.name}: reserved concurrency removed")
    return no_content()


def _unqualified(functions: Functions, request: Request) -> ServedFunction:
    function, qualifier = functions.function(request.params)
    if qualifier is not None:
        raise bad_parameter("Concurrency is reserved for the function: give the unqualified name.")
    return function


OPERATIONS = {
    "PutFunctionConcurrency": put_concurrency,
    "GetFunctionConcurrency": get_concurrency,
    "DeleteFunctionConcurrency": delete_concurrency,
}
