"""Errors the way the Lambda API returns them: a status, an X-Amzn-ErrorType header, a JSON body."""

from __future__ import annotations

import json


class ApiError(Exception):
    """An error response: boto3 raises `client.exceptions.<error_type>` from it."""

    def __init__(self, status: int, error_type: str, message: str):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message

    def body(self) -> bytes:
        """The JSON body Lambda sends with this error."""
        return json.dumps({"Type": "User", "message": self.message}).encode()


def not_found(arn: str) -> ApiError:
    """ResourceNotFoundException (404): no function by that name or qualifier."""
    return ApiError(404, "ResourceNotFoundException", f"Function not found: {arn}")


def route_not_found(path: str) -> ApiError:
    """404 for a path this server does not serve."""
    return ApiError(404, "UnknownOperationException", f"coldprof serve has no route for {path}")


def bad_content(detail: str) -> ApiError:
    """InvalidRequestContentException (400): a body that is not the JSON expected."""
    return ApiError(
        400, "InvalidRequestContentException", f"Could not parse request body into json: {detail}"
    )


def bad_parameter(detail: str) -> ApiError:
    """InvalidParameterValueException (400): a value Lambda would refuse."""
    return ApiError(400, "InvalidParameterValueException", detail)


def too_large(limit_bytes: int, operation: str) -> ApiError:
    """RequestTooLargeException (413): the request body is over the operation's quota."""
    message = f"Request must be smaller than {limit_bytes} bytes for the {operation} operation"
    return ApiError(413, "RequestTooLargeException", message)


def too_many_requests(name: str, limit: int) -> ApiError:
    """TooManyRequestsException (429): every environment of the function is busy."""
    message = f"Rate Exceeded: all {limit} environments of {name} are busy (--max-environments)"
    return ApiError(429, "TooManyRequestsException", message)


def precondition_failed(revision_id: str) -> ApiError:
    """PreconditionFailedException (412): the RevisionId given is not the current one."""
    message = f"The Revision Id provided does not match the latest Revision Id: {revision_id}"
    return ApiError(412, "PreconditionFailedException", message)


def service_error(detail: str) -> ApiError:
    """ServiceException (500): the server could not run the function at all."""
    return ApiError(500, "ServiceException", detail)
