"""Lambda's Runtime API for one environment in the awslambdaric mode, on 127.0.0.1.

AWS's runtime interface client in the child asks it for invocations
(GET /2018-06-01/runtime/invocation/next) and posts their results (/response, /error) or the
init error (/init/error). It is a bridge: it reads the environment's request lines from the
control pipe and writes reply lines back in the light runtime's protocol (bootstrap.py), so the
parent's clocks, limits, freeze and kills work the same in both modes (this server runs in
coldprof's process, so freezing the environment never freezes it). Duration is measured here,
from the event handed over to the result received, as Lambda's platform measures it. Its reply
lines carry no "left" list: AWS's client runs unmodified, so the threads and asyncio tasks a
handler leaves running are not seen in this mode (the processes are: the parent finds them).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
INVOCATION = re.compile(rf"^{PREFIX}/invocation/(?P<id>[^/]+)/(?P<kind>response|error)$")
DRAIN_CHUNK_BYTES = 1024 * 1024
SOCKET_TIMEOUT_S = 900.0
TOO_LARGE = b'"errorType":"RequestEntityTooLarge"}'


class RuntimeApi:
    """The Runtime API server of one environment, bridged to its control pipes."""

    def __init__(self, request_fd: int, reply_fd: int, max_response_bytes: int, token: str):
        self.max_response_bytes = max_response_bytes
        self._token = token  # the init's, then each request's: echoed in every reply line
        self._request_fd = request_fd
        self._pending = b""  # read from the request pipe, not yet a whole line
        self._reply_fd = reply_fd
        self._lock = threading.Lock()  # held while the reply pipe is written, or closed
        self._read_lock = threading.Lock()  # held while the request pipe is read, or closed
        self._ready_sent = False
        self._started_ns = 0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.api = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        """host:port, as AWS_LAMBDA_RUNTIME_API holds it."""
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def next_invocation(self) -> dict[str, Any] | None:
        """The next request (blocks until the parent sends one); None once the pipe is closed.
        The first call tells the parent that init is done, as Lambda's Init ends at /next."""
        if not self._ready_sent:
            self._ready_sent = True
            self._reply({"ready": True})
        line = self._read_line()
        if not line:
            return None
        self._started_ns = time.perf_counter_ns()
        request = json.loads(line)
        self._token = request.pop("token")
        return request

    def response(self, body: bytes | None, content_type: str, length: int) -> int:
        """A result posted (None: over the limit): the reply line, and the HTTP status."""
        duration_ns = time.perf_counter_ns() - self._started_ns
        if body is None:
            self._reply({"ok": False, "duration_ns": duration_ns, "response_bytes": length})
            return 413
        reply: dict[str, Any] = {"ok": True, "duration_ns": duration_ns}
        reply["content_type"] = content_type
        try:
            if content_type != "application/json":
                raise UnicodeDecodeError("utf-8", body, 0, 0, "binary")
            reply["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            reply["body_latin1"] = body.decode("latin-1")
        self._reply(reply)
        return 202

    def error(self, body: bytes) -> int:
        """An invocation error posted."""
        duration_ns = time.perf_counter_ns() - self._started_ns
        text = body.decode("utf-8", "replace")
        self._reply({"ok": False, "duration_ns": duration_ns, "body": text})
        return 202

    def init_error(self, body: bytes) -> int:
        """The init error posted (the runtime exits afterwards)."""
        self._reply({"init_error": body.decode("utf-8", "replace")})
        return 202

    def close(self) -> None:
        """Stop serving and let go of the pipes (once the parent closed its end of them, so a
        read under way ends): a request thread still running never uses their numbers again
        (another environment's pipes may have them by then)."""
        self._server.shutdown()
        self._server.server_close()
        with self._read_lock:
            _close(self._request_fd)
            self._request_fd = -1
        with self._lock:
            _close(self._reply_fd)
            self._reply_fd = -1

    def _read_line(self) -> bytes:
        """One request line from the pipe (b"" once it is closed)."""
        while b"\n" not in self._pending:
            with self._read_lock:
                chunk = _read(self._request_fd)
            if not chunk:
                return b""
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line

    def _reply(self, message: dict[str, Any]) -> None:
        line = (json.dumps({**message, "token": self._token}) + "\n").encode()
        with self._lock:
            if self._reply_fd < 0:
                return  # the environment is gone
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(self._reply_fd, view) :]
            except OSError:
                return  # the environment is gone


class _Server(ThreadingHTTPServer):
    """The server of one environment; a client gone (the runtime killed) is not an error."""

    daemon_threads = True
    api: RuntimeApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Nothing to report: the runtime's connection ends with it."""


def _read(fd: int) -> bytes:
    """A chunk of the request pipe (b"" once it is closed, or closed here)."""
    if fd < 0:
        return b""
    try:
        return os.read(fd, DRAIN_CHUNK_BYTES)
    except OSError:
        return b""


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        return


def _headers(request: dict[str, Any]) -> dict[str, str]:
    """The Lambda-Runtime-* headers of an invocation."""
    headers = {
        "Lambda-Runtime-Aws-Request-Id": request["id"],
        "Lambda-Runtime-Deadline-Ms": str(request["deadline_ms"]),
        "Lambda-Runtime-Invoked-Function-Arn": request["arn"],
        "Lambda-Runtime-Trace-Id": request["trace_id"],
        "Content-Type": "application/json",
    }
    if request.get("client_context") is not None:
        headers["Lambda-Runtime-Client-Context"] = json.dumps(request["client_context"])
    return headers


class _Handler(BaseHTTPRequestHandler):
    """One connection of the runtime client."""

    server: _Server

    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT_S

    def setup(self) -> None:
        """Send each answer at once: no Nagle delay between its headers and its body."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        if self.path != f"{PREFIX}/invocation/next":
            self._send(404, b'{"errorMessage":"not found","errorType":"InvalidRequest"}')
            return
        request = self.server.api.next_invocation()
        if request is None:
            self.close_connection = True
            return
        body = json.dumps(request["event"]).encode()
        self._send(200, body, _headers(request))

    def do_POST(self) -> None:
        api = self.server.api
        length = int(self.headers.get("Content-Length") or 0)
        body = self._body(length, api.max_response_bytes)
        match = INVOCATION.match(self.path)
        if self.path == f"{PREFIX}/init/error":
            status = api.init_error(body or b"")
        elif match and match["kind"] == "error":
            status = api.error(body or b"")
        elif match:
            content_type = self.headers.get("Content-Type", "application/json")
            status = api.response(body, content_type, length)
        else:
            status = 404
        self._send(status, b'{"status":"OK"}' if status == 202 else _refusal(status))

    def _body(self, length: int, max_bytes: int) -> bytes | None:
        """The request body; None (read and dropped) when it is larger than max_bytes."""
        if length <= max_bytes:
            return self.rfile.read(length)
        while length > 0:
            chunk = self.rfile.read(min(length, DRAIN_CHUNK_BYTES))
            if not chunk:
                break
            length -= len(chunk)
        return None

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {"Content-Type": "application/json"}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """The runtime client's requests are not logged."""


def _refusal(status: int) -> bytes:
    """Lambda's answer to a refused post."""
    if status == 413:
        return b'{"errorMessage":"Exceeded maximum allowed payload size.",' + TOO_LARGE
    return b'{"errorMessage":"not found","errorType":"InvalidRequest"}'
