"""Errors the way the Lambda API returns them: a status, an X-Amzn-ErrorType header, a JSON body
shaped as botocore's model shapes that error (`Message` or `message`, `Type`, `Reason`)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from coldprof.serve.model import error_shape

RETRY_AFTER_S = 1
INVALID_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


class ApiError(Exception):
    """An error response: boto3 raises `client.exceptions.<error_type>` (or ClientError) from it."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.fields = dict(fields or {})
        self.extra_headers = dict(headers or {})

    def body(self) -> bytes:
        """The JSON body: the modelled members of the error's shape, `message` for the others."""
        document = error_document(self.error_type, self.message, self.status, self.fields)
        return json.dumps(document).encode()

    def headers(self) -> dict[str, str]:
        """Content-Type, X-Amzn-ErrorType (what botocore reads the code from), and any extra."""
        return {
            "Content-Type": "application/json",
            "X-Amzn-ErrorType": self.error_type,
            **self.extra_headers,
        }


def error_document(error_type: str, message: str, status: int, fields: Mapping) -> dict:
    """The body of an error: Type and Message/message as its shape names them, then `fields`."""
    shape = error_shape(error_type)
    if shape is None:  # AWS's common errors (UnknownOperationException, ...): {"message": ...}
        return {"message": message, **fields}
    key = "Message" if "Message" in shape.members else "message"
    return {"Type": "User" if status < 500 else "Service", key: message, **fields}


def not_found(arn: str, kind: str = "Function") -> ApiError:
    """ResourceNotFoundException (404): no function, version or alias by that name."""
    return ApiError(404, "ResourceNotFoundException", f"{kind} not found: {arn}")


def unknown_operation(method: str, path: str) -> ApiError:
    """UnknownOperationException (404): a path or method that is no operation of the API."""
    return ApiError(404, "UnknownOperationException", f"Unknown operation: {method} {path}")


def bad_content(detail: str) -> ApiError:
    """InvalidRequestContentException (400): a body that is not the JSON expected."""
    return ApiError(
        400, "InvalidRequestContentException", f"Could not parse request body into json: {detail}"
    )


def bad_parameter(detail: str) -> ApiError:
    """InvalidParameterValueException (400): a value Lambda would refuse."""
    return ApiError(400, "InvalidParameterValueException", detail)


def validation(problems: list[str]) -> ApiError:
    """ValidationException (400): members outside the model's constraints, worded as AWS does."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    message = f"{count} validation {noun} detected: {'; '.join(problems)}"
    return ApiError(400, "ValidationException", message)


def over_quota(name: str, high: int) -> ApiError:
    """ValidationException (400): a value the model allows but Lambda's quota does not."""
    message = (
        f"'{name}' value failed to satisfy constraint: Member must have value less than or equal "
        f"to {high}"
    )
    return ApiError(400, "ValidationException", message)


def too_large(limit_bytes: int, operation: str) -> ApiError:
    """RequestTooLargeException (413): the request body is over the operation's quota."""
    message = f"Request must be smaller than {limit_bytes} bytes for the {operation} operation"
    return ApiError(413, "RequestTooLargeException", message)


def throttled(detail: str, reason: str | None = None) -> ApiError:
    """TooManyRequestsException (429) with Lambda's Reason (when Lambda would throttle) and
    Retry-After; boto3's retries wait and try again."""
    fields = {"Reason": reason} if reason else {}
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    return ApiError(429, "TooManyRequestsException", f"Rate Exceeded. {detail}", fields, headers)


def precondition_failed(revision_id: str) -> ApiError:
    """PreconditionFailedException (412): the RevisionId given is not the current one."""
    message = f"The Revision Id provided does not match the latest Revision Id: {revision_id}"
    return ApiError(412, "PreconditionFailedException", message)


def conflict(detail: str) -> ApiError:
    """ResourceConflictException (409): the resource exists already, or something uses it."""
    return ApiError(409, "ResourceConflictException", detail)


def service_error(detail: str) -> ApiError:
    """ServiceException (500): the server could not run the function at all."""
    return ApiError(500, "ServiceException", detail)


def missing_token() -> ApiError:
    """MissingAuthenticationTokenException (403): the request is not signed."""
    return ApiError(403, "MissingAuthenticationTokenException", "Missing Authentication Token")


def unrecognized_client() -> ApiError:
    """UnrecognizedClientException (403): a key id (or session token) the server does not accept."""
    message = "The security token included in the request is invalid."
    return ApiError(403, "UnrecognizedClientException", message)


def invalid_signature(detail: str = INVALID_SIGNATURE) -> ApiError:
    """InvalidSignatureException (403): the signature, its date or its scope is wrong."""
    return ApiError(403, "InvalidSignatureException", detail)


def incomplete_signature(detail: str) -> ApiError:
    """IncompleteSignatureException (400): an Authorization header that is not SigV4's form."""
    return ApiError(400, "IncompleteSignatureException", detail)


def forbidden(detail: str) -> ApiError:
    """AccessDeniedException (403): a request from a web page, or for another host name."""
    return ApiError(403, "AccessDeniedException", detail)


def malformed(detail: str, status: int = 400) -> ApiError:
    """MalformedHttpRequestException: a request line or header the server cannot parse."""
    return ApiError(status, "MalformedHttpRequestException", detail)
