"""The HTTP side: every request is checked (no web page, the right Host, a valid SigV4
signature), routed to its operation by botocore's model, and answered in JSON, errors included."""

from __future__ import annotations

import re
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from coldprof.data import lambda_facts
from coldprof.errors import UsageError
from coldprof.results import display_path
from coldprof.serve.api import Functions
from coldprof.serve.auth import Authorization, ReceivedRequest, Verifier
from coldprof.serve.errors import (
    ApiError,
    bad_content,
    malformed,
    service_error,
    too_large,
    unknown_operation,
)
from coldprof.serve.guard import check_browser
from coldprof.serve.operations import OPERATIONS
from coldprof.serve.request import Request, parse_request
from coldprof.serve.routes import OWN_ROUTES, Route, match, routes

OPERATION_MAX_BYTES = 64 * 1024  # any body but Invoke's
DRAIN_CHUNK_BYTES = 64 * 1024
SOCKET_TIMEOUT_S = 120.0
DRAIN_WAIT_S = 5.0  # how long stopping waits for requests in flight to be answered
LOGGED_LINE_BYTES = 200  # of a request line or path told to the observer
METHOD = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110, 5.6.2)

Reply = tuple[int, dict[str, str], bytes]
Observer = Callable[[str], None]


class LambdaServer(ThreadingHTTPServer):
    """An HTTP server that knows the functions it serves and who may call it."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        functions: Functions,
        verifier: Verifier | None,
        observer: Observer | None,
    ):
        super().__init__(address, LambdaRequestHandler)
        self.functions = functions
        self.verifier = verifier  # None: --no-auth
        self.observer = observer
        self.routes = routes(OPERATIONS)
        self._in_flight = 0
        self._idle = threading.Condition()

    @property
    def url(self) -> str:
        """The endpoint URL to give boto3 (`endpoint_url`)."""
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request that broke (a client gone, the server stopping): one line, no traceback."""
        error = sys.exc_info()[1]
        self.tell(f"request from {client_address[0]} failed: {display_path(repr(error))}")

    def tell(self, message: str) -> None:
        """Pass one line of progress to the observer, if any."""
        if self.observer is not None:
            self.observer(message)

    def busy(self, change: int) -> None:
        """Count a request starting (+1) or answered (-1)."""
        with self._idle:
            self._in_flight += change
            self._idle.notify_all()

    def wait_answered(self, timeout_s: float = DRAIN_WAIT_S) -> None:
        """Wait until every request in flight has been answered (bounded)."""
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout_s)


class LambdaRequestHandler(BaseHTTPRequestHandler):
    """One connection: each request is checked, routed and answered the way Lambda does."""

    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.1"  # an error before the version is read still has one
    timeout = SOCKET_TIMEOUT_S
    server: LambdaServer

    def setup(self) -> None:
        """Send each reply at once: no Nagle delay between its headers and its body."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._unread = 0

    def __getattr__(self, name: str) -> Any:
        """`do_<METHOD>` for every method, known or not: each gets a JSON answer."""
        if name.startswith("do_"):
            return lambda: self._dispatch(name[3:])
        raise AttributeError(name)

    def parse_request(self) -> bool:
        """A request line must be `METHOD PATH HTTP/x.y` (HTTP/0.9's two words are refused), its
        method a token: no control byte, no byte beyond ASCII."""
        if len(self.raw_requestline.split()) != 3:
            self.command, self.request_version = None, self.default_request_version
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request line")
            return False
        if not super().parse_request():
            return False
        if METHOD.fullmatch(self.command) is None:
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request method (not an HTTP token)")
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A protocol error (bad request line, header too long, ...) as a JSON error, never HTML."""
        error = malformed(message or HTTPStatus(code).phrase, int(code))
        self.close_connection = True
        self._log_refused(self.raw_requestline.decode("latin-1").rstrip("\r\n"), error)
        headers = {**error.headers(), "x-amzn-RequestId": str(uuid.uuid4()), "Connection": "close"}
        self._send(error.status, headers, error.body())

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Nothing: refused requests are told by _dispatch, invocations by the API."""

    def log_message(self, format: str, *args: Any) -> None:
        """Protocol errors go to the observer, escaped, not to stderr."""
        self.server.tell(display_path(format % args))

    def _dispatch(self, method: str) -> None:
        """Answer one request; an ApiError is the answer, anything else is a 500, never a
        dropped connection."""
        request_id = str(uuid.uuid4())
        self._unread = 0
        self.server.busy(+1)
        try:
            try:
                status, headers, body = self._answer(method, request_id)
            except Exception as caught:  # a bug must still get an answer, not a closed socket
                error = caught if isinstance(caught, ApiError) else _unexpected(caught)
                self._log_refused(f"{method} {self.path}", error)
                status, headers, body = error.status, error.headers(), error.body()
            if self._unread:
                self.close_connection = True  # refused before its body was read
            headers["x-amzn-RequestId"] = request_id
            self._send(status, headers, body)
        finally:
            self.server.busy(-1)

    def _answer(self, method: str, request_id: str) -> Reply:
        """Check, route, read, verify, then run the operation."""
        self._unread = self._content_length()
        server = self.server
        host, port = server.server_address[:2]
        check_browser(self.headers, host, port)
        verifier = server.verifier
        authorization = None if verifier is None else verifier.authorization(self.headers)
        parts = urlsplit(self.path)
        found = match(server.routes, method, parts.path)
        if found is None:
            self._drain()
            raise unknown_operation(method, display_path(parts.path))
        route, labels = found
        body = self._read_body(route)
        if authorization is not None:
            self._verify(authorization, method, parts.path, parts.query, body)
        query = parts.query
        request = (
            Request(route.operation, {}, request_id=request_id)
            if route.operation in OWN_ROUTES
            else parse_request(route.operation, labels, query, self.headers, body, request_id)
        )
        return OPERATIONS[route.operation](server.functions, request)

    def _verify(
        self, authorization: Authorization, method: str, path: str, query: str, body: bytes
    ) -> None:
        received = ReceivedRequest(method, path, query, self.headers, body)
        self.server.verifier.verify(authorization, received)

    def _log_refused(self, line: str, error: ApiError) -> None:
        shown = display_path(line[:LOGGED_LINE_BYTES])
        self.server.tell(f"{shown}: {error.status} {error.error_type}")

    def _content_length(self) -> int:
        """The body's length; chunked bodies and bad lengths are refused (connection closed)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise bad_content("send the body with a Content-Length, not chunked")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            self.close_connection = True
            raise bad_content("Content-Length is not a number") from None
        if length < 0:
            self.close_connection = True
            raise bad_content("Content-Length is negative")
        return length

    def _read_body(self, route: Route) -> bytes:
        """The request body within the operation's limit; a larger one is read and dropped, then
        refused."""
        max_bytes, name = _body_limit(route)
        if self._unread > max_bytes:
            self._drain()
            raise too_large(max_bytes, name)
        body = self.rfile.read(self._unread)
        self._unread = 0
        return body

    def _drain(self) -> None:
        """Read and drop a body not used (a signed request's), so the client gets the error."""
        while self._unread > 0:
            chunk = self.rfile.read(min(self._unread, DRAIN_CHUNK_BYTES))
            if not chunk:
                self.close_connection = True
                return
            self._unread -= len(chunk)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)


def _unexpected(error: Exception) -> ApiError:
    """A 500 for an error coldprof did not expect (a bug): its type and message, one line."""
    return service_error(f"coldprof serve failed: {type(error).__name__}: {error}")


def _body_limit(route: Route) -> tuple[int, str]:
    """How large a body the operation takes (Invoke's payload limit, 64 KB for the others), and
    the operation's name as Lambda's RequestTooLargeException words it."""
    if route.operation == "Invoke":
        return lambda_facts()["limits"]["payload_sync_bytes"], "InvokeFunction"
    return OPERATION_MAX_BYTES, route.operation


def make_server(
    host: str,
    port: int,
    functions: Functions,
    verifier: Verifier | None,
    observer: Observer | None = None,
) -> LambdaServer:
    """A server bound to host:port (port 0: any free port), not yet serving."""
    try:
        return LambdaServer((host, port), functions, verifier, observer)
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
