"""The HTTP side: Lambda's Invoke and function-configuration routes on a ThreadingHTTPServer."""

from __future__ import annotations

import json
import re
import socket
import sys
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from coldprof.errors import UsageError
from coldprof.serve import api
from coldprof.serve.errors import ApiError, bad_content, route_not_found, too_large

ROUTE = re.compile(
    r"^/2015-03-31/functions/(?P<name>[^/]+)(?P<rest>/invocations|/configuration)?/?$"
)
CONFIGURATION_MAX_BYTES = 64 * 1024
DRAIN_CHUNK_BYTES = 64 * 1024
SOCKET_TIMEOUT_S = 120.0

Reply = tuple[int, dict[str, str], bytes]
Observer = Callable[[str], None]


class LambdaServer(ThreadingHTTPServer):
    """An HTTP server that knows the functions it serves."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], functions: api.Functions, observer: Observer | None
    ):
        super().__init__(address, LambdaRequestHandler)
        self.functions = functions
        self.observer = observer

    @property
    def url(self) -> str:
        """The endpoint URL to give boto3 (`endpoint_url`)."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request that broke (a client gone, the server stopping): one line, no traceback."""
        error = sys.exc_info()[1]
        self.tell(f"request from {client_address[0]} failed: {error!r}")

    def tell(self, message: str) -> None:
        """Pass one line of progress to the observer, if any."""
        if self.observer is not None:
            self.observer(message)


class LambdaRequestHandler(BaseHTTPRequestHandler):
    """One connection: routes each request, answers errors the way Lambda does."""

    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT_S
    server: LambdaServer

    def setup(self) -> None:
        """Send each reply at once: no Nagle delay between its headers and its body."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Refused requests are told to the observer; invocations are told by the API."""
        if isinstance(code, int) and code >= 400:
            self.server.tell(f"{self.command} {self.path}: {code}")

    def log_message(self, format: str, *args: Any) -> None:
        """Protocol errors go to the observer, not to stderr."""
        self.server.tell(format % args)

    def _dispatch(self, method: str) -> None:
        request_id = str(uuid.uuid4())
        try:
            status, headers, body = self._route(method, request_id)
        except ApiError as error:
            status, body = error.status, error.body()
            headers = {"Content-Type": "application/json", "X-Amzn-ErrorType": error.error_type}
        headers["x-amzn-RequestId"] = request_id
        self._send(status, headers, body)

    def _route(self, method: str, request_id: str) -> Reply:
        parts = urlsplit(self.path)
        match = ROUTE.match(parts.path)
        if match is None:
            self._skip_body()
            raise route_not_found(f"{method} {parts.path}")
        name, qualifier = api.split_name(unquote(match["name"]), _qualifier(parts.query))
        rest = match["rest"]
        functions = self.server.functions
        if method == "POST" and rest == "/invocations":
            body = self._read_body(functions.payload_max_bytes, "InvokeFunction")
            return functions.invoke(name, qualifier, body, self._invoke_headers(), request_id)
        if method == "GET" and rest in (None, "/configuration"):
            self._skip_body()
            return functions.describe(name, qualifier, wrapped=rest is None)
        if method == "PUT" and rest == "/configuration":
            body = self._read_body(CONFIGURATION_MAX_BYTES, "UpdateFunctionConfiguration")
            return functions.configure(name, qualifier, _json_object(body))
        self._skip_body()
        raise route_not_found(f"{method} {parts.path}")

    def _invoke_headers(self) -> dict[str, str]:
        return {
            "invocation_type": self.headers.get("X-Amz-Invocation-Type", "RequestResponse"),
            "log_type": self.headers.get("X-Amz-Log-Type", "None"),
        }

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

    def _read_body(self, max_bytes: int, operation: str) -> bytes:
        """The request body, at most max_bytes; a larger one is read and dropped, then refused."""
        length = self._content_length()
        if length > max_bytes:
            self._drain(length)
            raise too_large(max_bytes, operation)
        return self.rfile.read(length)

    def _skip_body(self) -> None:
        """Read and drop a body the route does not use."""
        self._drain(self._content_length())

    def _drain(self, length: int) -> None:
        """Read and drop a body too large to keep, so the client still gets the error."""
        while length > 0:
            chunk = self.rfile.read(min(length, DRAIN_CHUNK_BYTES))
            if not chunk:
                self.close_connection = True
                return
            length -= len(chunk)

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


def _qualifier(query: str) -> str | None:
    values = parse_qs(query).get("Qualifier")
    return values[0] if values else None


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except (ValueError, RecursionError) as error:
        raise bad_content(str(error)) from None
    if not isinstance(value, dict):
        raise bad_content("expected a JSON object")
    return value


def make_server(
    host: str, port: int, functions: api.Functions, observer: Observer | None = None
) -> LambdaServer:
    """A server bound to host:port (port 0: any free port), not yet serving."""
    try:
        return LambdaServer((host, port), functions, observer)
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
