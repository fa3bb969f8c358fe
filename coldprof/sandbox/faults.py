"""Errors the Lambda platform itself reports (timeouts, crashes, memory, oversized responses),
worded and shaped as Lambda's Invoke returns them; and the two coldprof reports where it cannot
do what Lambda does (a watched /tmp past its size, garbage in its control pipe)."""

from __future__ import annotations

import json

from coldprof.render.units import memory_mb
from coldprof.sandbox.spec import TIMED_OUT, ErrorInfo

# Lambda's platform is written in Go and names signals as Go's syscall package does.
SIGNAL_NAMES = {
    1: "hangup",
    2: "interrupt",
    3: "quit",
    4: "illegal instruction",
    5: "trace/breakpoint trap",
    6: "aborted",
    7: "bus error",
    8: "floating point exception",
    9: "killed",
    10: "user defined signal 1",
    11: "segmentation fault",
    12: "user defined signal 2",
    13: "broken pipe",
    14: "alarm clock",
    15: "terminated",
}
EXIT_ERROR = "Runtime.ExitError"
OUT_OF_MEMORY = "Runtime.OutOfMemory"
RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge"
STORAGE_EXCEEDED = "Sandbox.EphemeralStorageExceeded"
PROTOCOL_ERROR = "Sandbox.ProtocolError"


def _for_request(message: str, request_id: str) -> str:
    """An invocation's platform error names its request, as Lambda's do."""
    return f"RequestId: {request_id} Error: {message}" if request_id else message


def timed_out(limit_s: float, request_id: str = "") -> ErrorInfo:
    """Sandbox.Timedout: the invocation (or init) ran past its limit."""
    return ErrorInfo(
        TIMED_OUT, _for_request(f"Task timed out after {limit_s:.2f} seconds", request_id)
    )


def exit_reason(returncode: int) -> str:
    """`signal: segmentation fault` or `exit status 1`, as Lambda says why a runtime ended."""
    if returncode < 0:
        number = -returncode
        return f"signal: {SIGNAL_NAMES.get(number, f'signal {number}')}"
    return f"exit status {returncode}"


def exit_error(returncode: int, request_id: str = "") -> ErrorInfo:
    """Runtime.ExitError: the runtime process ended."""
    message = f"Runtime exited with error: {exit_reason(returncode)}"
    return ErrorInfo(EXIT_ERROR, _for_request(message, request_id))


def out_of_memory(request_id: str = "") -> ErrorInfo:
    """Runtime.OutOfMemory: the resident memory passed the memory size; the runtime is killed."""
    message = "Runtime exited with error: signal: killed"
    return ErrorInfo(OUT_OF_MEMORY, _for_request(message, request_id))


def storage_full(used_mb: float, size_mb: int, request_id: str = "") -> ErrorInfo:
    """The watched /tmp went past the ephemeral storage (no size-limited mount here)."""
    message = (
        f"/tmp held {memory_mb(used_mb, 1)}, more than the ephemeral storage of "
        f"{memory_mb(size_mb)} (on "
        "Lambda the write fails with ENOSPC; coldprof could not mount a size-limited /tmp "
        "here, so it watched the usage and ended the invocation)"
    )
    return ErrorInfo(STORAGE_EXCEEDED, _for_request(message, request_id))


def protocol_error(request_id: str = "") -> ErrorInfo:
    """The function wrote into coldprof's control pipe something that is not the runtime's."""
    message = (
        "Runtime exited with error: the function wrote something that is not the runtime's "
        "reply into coldprof's control pipe"
    )
    return ErrorInfo(PROTOCOL_ERROR, _for_request(message, request_id))


def response_too_large(limit_bytes: int) -> ErrorInfo:
    """Function.ResponseSizeTooLarge: the response passed Lambda's limit."""
    message = f"Response payload size exceeded maximum allowed payload size ({limit_bytes} bytes)."
    return ErrorInfo(RESPONSE_TOO_LARGE, message)


def report_error_type(error: ErrorInfo) -> str:
    """The REPORT line's Error Type: a refused response ends the runtime (Runtime.ExitError)."""
    return EXIT_ERROR if error.type == RESPONSE_TOO_LARGE else error.type


def platform_payload(error: ErrorInfo) -> bytes:
    """The Invoke payload of a platform error (compact JSON, no stack trace)."""
    body = {"errorMessage": error.message, "errorType": error.type}
    return json.dumps(body, separators=(",", ":")).encode()
