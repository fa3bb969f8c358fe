"""coldprof's child bootstrap: import a Lambda handler, then serve invocations over pipes.

Runs in the child interpreter (`python -I -S -B -u -c LOADER ...`: compiled once by that
interpreter, its code object is sent down the request pipe), standard library only,
on CPython 3.9 and later. Before the handler module is imported it loads nothing that an
interpreter started with `-I -S` has not already loaded (sys, time, posix), so the handler's
own imports show up in `-X importtime` as they would on their own. Afterwards it loads only
`_json`, the C half of the json package (0.5 ms, where `import json` costs ~10 ms through
`re` and `enum`), so a cold sample does not pay for coldprof's own protocol.

argv: REQUEST_FD REPLY_FD CODE_BYTES HANDLER MAX_RESPONSE_BYTES GUARD_BYTECODE PATH...
Protocol, one JSON line each way:
  child -> parent after init: {"ready": true} or {"error": {...}} (then the child exits)
  parent -> child:            {"id", "event", "deadline_ms", "context": {...}}
                              (context may hold "client_context": the caller's decoded JSON)
  child -> parent:            {"ok": true, "duration_ns": N, "response": ..., "left": [...]}
                              or {"ok": false, "duration_ns": N, "error": {...}, "left": [...]}
  ("left": the threads and asyncio tasks still running when the handler returned)
Errors are shaped like the Lambda Python runtime's (awslambdaric): errorType, errorMessage,
stackTrace (the user's frames only).
"""

import posix
import sys
import time

THIS_FILE = sys._getframe().f_code.co_filename
MAX_MESSAGE_CHARS = 65536
MAX_FRAMES = 100


class Fault(Exception):
    """An error the runtime itself reports (Runtime.*), with Lambda's type and message."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error = make_error(error_type, message, trace or [])


def make_error(error_type, message, trace):
    """Lambda's error payload."""
    return {
        "errorType": error_type,
        "errorMessage": message[:MAX_MESSAGE_CHARS],
        "stackTrace": trace[-MAX_FRAMES:],
    }


def write_all(fd, data):
    """Write every byte to a raw file descriptor."""
    view = memoryview(data)
    while view:
        view = view[posix.write(fd, view) :]


def user_trace(tb):
    """The traceback's frames without this bootstrap's and importlib's, formatted."""
    import traceback

    frames = [
        frame
        for frame in traceback.extract_tb(tb)
        if frame.filename != THIS_FILE and not frame.filename.startswith("<frozen importlib")
    ]
    return traceback.format_list(frames)


def exception_error(error):
    """The payload for an exception raised by user code."""
    try:
        message = str(error)
    except Exception:
        message = "<exception str() failed>"
    return make_error(type(error).__name__, message, user_trace(error.__traceback__))


def import_handler_module(module_name):
    """Import the handler's module, turning failures into Lambda's Runtime.* faults."""
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    dotted = module_name.replace("/", ".")
    try:
        __import__(dotted)
    except ImportError as error:
        message = f"Unable to import module '{module_name}': {error}"
        raise Fault("Runtime.ImportModuleError", message) from None
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        message = f"Syntax error in module '{module_name}': {error}"
        raise Fault("Runtime.UserCodeSyntaxError", message, trace) from None
    return sys.modules[dotted]


def load_handler(handler):
    """The handler function named 'module.function', as the Lambda runtime finds it."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}") from None
    module = import_handler_module(module_name)
    try:
        return getattr(module, function_name)
    except AttributeError:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        raise Fault("Runtime.HandlerNotFound", message) from None


def guard_bytecode():
    """Never write bytecode, even if user code sets sys.dont_write_bytecode = False."""
    loader = sys.modules["_frozen_importlib_external"].SourceFileLoader
    loader._cache_bytecode = lambda *args, **kwargs: None


class JsonCodec:
    """JSON through the C accelerator `_json` alone, as json.dumps and json.loads use it."""

    strict = True  # the attributes _json.make_scanner reads from its context
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": -float("inf")}.get

    def __init__(self):
        import _json

        self._json = _json
        self._scan = _json.make_scanner(self)

    def loads(self, text):
        """Decode one JSON document."""
        return self._scan(text, 0)[0]

    def dumps(self, value):
        """Encode a value as compact ASCII JSON (decimal.Decimal as a number)."""
        ascii_string = self._json.encode_basestring_ascii
        # markers (circular check), default, string encoder, indent, separators, sort_keys,
        # skipkeys, allow_nan: what json.dumps passes for its defaults, compact separators
        encode = self._json.make_encoder(
            {}, encode_decimal, ascii_string, None, ":", ",", False, False, True
        )
        return "".join(encode(value, 0))


def encode_decimal(value):
    """Encode a decimal.Decimal as a number, as the Lambda runtime's marshaller does."""
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class LambdaContext:
    """The context object Lambda passes to a handler."""

    def __init__(self, request):
        fields = request["context"]
        self.aws_request_id = request["id"]
        self.invoked_function_arn = fields["invoked_function_arn"]
        self.function_name = fields["function_name"]
        self.function_version = fields["function_version"]
        self.memory_limit_in_mb = fields["memory_limit_in_mb"]
        self.log_group_name = fields["log_group_name"]
        self.log_stream_name = fields["log_stream_name"]
        self.identity = None
        self.client_context = make_client_context(fields.get("client_context"))
        self._deadline_ms = request["deadline_ms"]

    def get_remaining_time_in_millis(self):
        """Milliseconds left before the invocation times out."""
        return max(0, self._deadline_ms - int(time.time() * 1000))


class ClientContext:
    """context.client_context, as the Lambda runtime builds it from the caller's ClientContext."""

    __slots__ = ("client", "custom", "env")


class Client:
    """context.client_context.client: the calling mobile app, as the runtime builds it."""

    __slots__ = (
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    )


def make_client_context(fields):
    """The runtime's ClientContext object from the decoded JSON (None when none was sent)."""
    if fields is None:
        return None
    context = from_fields(ClientContext, fields)
    if context.client is not None:
        context.client = from_fields(Client, context.client)
    return context


def from_fields(cls, fields):
    """An object of `cls` with each of its slots set from `fields` (None where absent)."""
    made = cls()
    for name in cls.__slots__:
        setattr(made, name, fields.get(name))
    return made


def init(handler_name, reply_fd):
    """Import the handler, then the JSON codec; report ready or the init error."""
    try:
        handler = load_handler(handler_name)
    except Fault as fault:
        report_init_error(reply_fd, fault.error)
    except Exception as error:
        report_init_error(reply_fd, exception_error(error))
    codec = JsonCodec()
    write_all(reply_fd, b'{"ready":true}\n')
    return handler, codec


def report_init_error(reply_fd, error):
    """Send the init error and exit, as the Lambda runtime does."""
    line = JsonCodec().dumps({"error": error}) + "\n"
    write_all(reply_fd, line.encode())
    sys.exit(1)


def invoke(handler, request, codec, max_response_bytes):
    """Run the handler on one event and encode the reply line."""
    event = request["event"]
    start_ns = time.perf_counter_ns()
    try:  # as in the runtime, a client context it cannot build is the invocation's error
        result = handler(event, LambdaContext(request))
    except Exception as error:
        duration_ns = time.perf_counter_ns() - start_ns
        return error_line(duration_ns, exception_error(error), codec)
    duration_ns = time.perf_counter_ns() - start_ns
    try:
        payload = codec.dumps(result)
    except Exception as error:
        message = f"Unable to marshal response: {error}"
        return error_line(duration_ns, make_error("Runtime.MarshalError", message, []), codec)
    if len(payload) > max_response_bytes:
        message = (
            f"Response payload size ({len(payload)} bytes) exceeded maximum allowed "
            f"payload size ({max_response_bytes} bytes)."
        )
        error = make_error("Function.ResponseSizeTooLarge", message, [])
        return error_line(duration_ns, error, codec)
    return f'{{"ok":true,"duration_ns":{duration_ns},"response":{payload}}}\n'


def error_line(duration_ns, error, codec):
    """The reply line for a failed invocation."""
    return codec.dumps({"ok": False, "duration_ns": duration_ns, "error": error}) + "\n"


def still_running(limit=50):
    """The threads (but this one) and pending asyncio tasks left when the handler returned:
    kind, id, name, and where each is (its innermost frame outside the standard library)."""
    stdlib = sys.modules["codecs"].__file__.rpartition("/")[0] + "/"

    def where(frame):
        """file:line in function of the innermost frame outside the standard library."""
        innermost = frame
        while frame is not None and frame.f_code.co_filename.startswith((stdlib, "<")):
            frame = frame.f_back
        frame = frame or innermost
        return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"

    threading, asyncio = sys.modules.get("threading"), sys.modules.get("asyncio")
    names = {t.ident: t.name for t in threading.enumerate()} if threading else {}
    found = []
    for ident, frame in sys._current_frames().items():
        if frame is sys._getframe():
            continue
        found.append({"kind": "thread", "id": ident, "name": names.get(ident, str(ident))})
        found[-1]["where"] = where(frame)
    try:
        loop = asyncio.events._event_loop_policy._local._loop
        for task in list(asyncio.all_tasks(loop))[:limit]:
            frame = task.get_coro().cr_frame
            item = {"kind": "task", "id": id(task), "name": task.get_name()}
            found.append({**item, "where": where(frame) if frame else "finished"})
    except Exception:
        pass  # no asyncio, or no event loop set
    return found[:limit]


def serve(handler, codec, request_fd, reply_fd, max_response_bytes):
    """Answer invocation requests until the parent closes the pipe."""
    with open(request_fd, "rb") as requests:
        for line in requests:
            request = codec.loads(line.decode())
            reply = invoke(handler, request, codec, max_response_bytes)
            left = codec.dumps(still_running())
            write_all(reply_fd, f'{reply[:-2]},"left":{left}}}\n'.encode())


def main():
    """Run the bootstrap: set up, init, then the invocation loop."""
    request_fd, reply_fd = int(sys.argv[1]), int(sys.argv[2])
    handler_name, max_response_bytes = sys.argv[4], int(sys.argv[5])
    if sys.argv[6] == "1":
        guard_bytecode()
    sys.path[:0] = sys.argv[7:]
    del sys.argv[1:]
    posix.set_inheritable(request_fd, False)
    posix.set_inheritable(reply_fd, False)
    handler, codec = init(handler_name, reply_fd)
    serve(handler, codec, request_fd, reply_fd, max_response_bytes)


if __name__ == "__main__":
    main()
