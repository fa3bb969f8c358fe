"""coldprof's light runtime: starts as Lambda's Python runtime does, then serves invocations.

Runs in the child interpreter (`python -I -S -B -u -c LOADER ...`: compiled once by that
interpreter, its code object and a marshalled CONFIG dict are sent down the request pipe),
standard library only, on CPython 3.9 and later. It does what Lambda's Python runtime (its
/var/runtime/bootstrap.py and awslambdaric) does before and around the handler:

1. Runtime start: imports the standard-library modules Lambda's runtime has loaded before the
   handler (measured per Python version: coldprof/data/runtime_start/), then tells the parent
   ("runtime" line), which times that part as runtime_init_ms.
2. sys.path as Lambda sets it, then site.addsitedir() on the task root and on the layers'
   folders, so .pth files add paths and run their import lines, timed as the function's init.
3. Lambda's root logging handler, then the handler module imported as awslambdaric imports it
   (importlib.import_module, its error types, messages and stack traces, `[ERROR]` log lines).
4. Each invocation: Lambda's context object, _X_AMZN_TRACE_ID, the response marshalled as the
   runtime marshals it (Decimal digits kept, bytes raw, UTF-8 from python3.12).

Protocol, one JSON line each way:
  child -> parent: {"runtime": true, "at_ns": N, "read_only": MODE}, then {"ready": true, "token"}
                   or {"init_error": BODY, "token"} (then the child exits); token: CONFIG's
  parent -> child: {"id", "deadline_ms", "arn", "client_context", "trace_id", "token", "event"}
                   (client_context: the caller's decoded ClientContext JSON, or null)
  child -> parent: {"ok": true, "duration_ns": N, "content_type": T, "body": TEXT, "left": [...]}
                   or {"ok": false, "duration_ns": N, "body": ERROR_JSON, "left": [...]}
                   or {"ok": false, "duration_ns": N, "response_bytes": N, "left": [...]} (then
                   exit, as the real runtime does when the Runtime API refuses a response over
                   the limit), each with the request's "token"
Each token is random and new: a line the handler writes into the reply pipe itself, however
well formed, is not taken for the runtime's (the parent ends the environment).
A binary (bytes) body is sent as "body_latin1" so that no module is imported for it. "left": the
threads and asyncio tasks still running when the handler returned (still_running()).

Two measurements add to a reply, and only when the parent asks (never in runs that time init):
  "import_ns" (config import_clock): the time the invocation spent importing modules not yet
      loaded (install_import_clock());
  "usage" (config watch_code, usage runs apart): what of the function's init the invocation
      used, and the package files loaded so far (coldprof/sandbox/watch.py, whose code only
      those runs receive).
"""

import posix
import sys
import time

THIS_FILE = sys._getframe().f_code.co_filename  # ends with /bootstrap.py, as awslambdaric's
OWN_FOLDER = THIS_FILE.rpartition("/")[0] + "/"  # coldprof/sandbox/: no user code lives there
UTF8_RUNTIMES = ("python3.12", "python3.13", "python3.14", "python3.15")
ERROR_LOG_IDENT = "\u00a0"
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function "
    "code. However, in rare cases, a Lambda runtime update can cause unexpected function "
    "behavior. For functions using managed runtimes, runtime updates can be triggered by a "
    "function change, or can be applied automatically. To determine if the runtime has been "
    "updated, check the runtime version in the INIT_START log entry. If this error correlates "
    "with a change in the runtime version, you may be able to mitigate this error by "
    "temporarily rolling back to the previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)
WRITE_EVENTS = frozenset(
    (
        "os.mkdir", "os.rmdir", "os.remove", "os.rename", "os.symlink", "os.link",
        "os.truncate", "os.chmod", "os.chown", "os.utime", "os.setxattr", "os.removexattr",
    )
)  # fmt: skip
WRITE_FLAGS = posix.O_WRONLY | posix.O_RDWR | posix.O_CREAT | posix.O_TRUNC | posix.O_APPEND
W3C_FIELDS = ("traceparent", "tracestate", "baggage")
REQUEST = {"id": None, "tenant_id": None}  # the invocation in progress, for the log filter
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x1, 0x20, 0x1000, 0x4000, 0x40000
KEPT_FLAGS = 0x2 | 0x4 | 0x8  # nosuid, nodev, noexec: a read-only remount must keep them


class Fault(Exception):
    """An error the runtime itself reports (Runtime.*), as awslambdaric's FaultException."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def write_all(fd, data):
    """Write every byte to a raw file descriptor."""
    view = memoryview(data)
    while view:
        view = view[posix.write(fd, view) :]


def report_runtime_ready(fd, read_only):
    """Tell the parent the runtime has started, with this clock's reading (CLOCK_MONOTONIC, the
    parent's perf_counter_ns clock too, in case both lines reach it in one read) and how the
    package is kept read-only."""
    at_ns = time.perf_counter_ns()
    line = f'{{"runtime":true,"at_ns":{at_ns},"read_only":"{read_only}"}}\n'
    write_all(fd, line.encode())


def start_runtime(modules):
    """Import what Lambda's runtime has imported before the handler, in its order."""
    for name in modules:
        try:
            __import__(name)
        except ImportError:
            continue  # a module this build of Python lacks


def make_error(message, error_type, trace, request_id=None):
    """Lambda's error payload, keys in awslambdaric's order."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": trace or [],
    }


def user_frames(tb):
    """The traceback's frames from the first one outside this bootstrap, formatted (a frame of
    coldprof's own further in, such as the import clock's or the watch's, is left out too)."""
    import traceback

    # plain tuples, as awslambdaric formats them: no column markers (^^^) under the lines
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for index, frame in enumerate(frames):
        if "/bootstrap.py" not in frame[0]:
            frames = [f for f in frames[index:] if not f[0].startswith(OWN_FOLDER)]
            break
    return traceback.format_list(frames)


def exception_error(error, request_id=None):
    """The payload for an exception raised by user code."""
    return make_error(
        str(error), type(error).__name__, user_frames(error.__traceback__), request_id
    )


def indent(line):
    """Leading spaces as no-break spaces, as awslambdaric logs a stack trace."""
    stripped = line.lstrip(" ")
    return ERROR_LOG_IDENT * (len(line) - len(stripped)) + stripped


def log_error(error):
    """The `[ERROR] Type: message` log record awslambdaric writes (lines joined by CR)."""
    description = "[ERROR]"
    if error["errorType"]:
        description += " " + error["errorType"]
    if error["errorMessage"]:
        description += (":" if error["errorType"] else "") + " " + error["errorMessage"]
    lines = [description, "Traceback (most recent call last):"]
    for element in error["stackTrace"]:
        lines += [""] if element == "" else [indent(line) for line in element.splitlines()]
    sys.stdout.write("\r".join(lines) + "\n")


def setup_logging():
    """Lambda's root logging handler: its text format, to stdout, with the request id."""
    import logging
    import os

    class LambdaLoggerHandler(logging.Handler):
        def emit(self, record):
            sys.stdout.write(self.format(record))

    class LambdaLoggerFilter(logging.Filter):
        def filter(self, record):
            record.aws_request_id = REQUEST["id"] or ""
            record.tenant_id = REQUEST["tenant_id"]
            return True

    logging.Formatter.converter = time.gmtime
    handler = LambdaLoggerHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(LambdaLoggerFilter())
    level = (os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "").upper().replace("TRACE", "DEBUG")
    if level in logging._nameToLevel:
        logging.getLogger().setLevel(level)
    logging.getLogger().addHandler(handler)


def set_paths(config):
    """sys.path and site directories as Lambda's runtime bootstrap sets them."""
    import os
    import site

    sys.path[:0] = config["sys_path"]
    for folder in config["site_dirs"]:
        site.addsitedir(folder)
    os.environ["PYTHONPATH"] = os.environ["LAMBDA_RUNTIME_DIR"]


def libc_functions():
    """unshare(2) and mount(2) through _ctypes alone (0.5 ms; `import ctypes` would cost more
    and load modules the handler's own profile should pay for); _ctypes is then forgotten."""
    import _ctypes

    class Int(_ctypes._SimpleCData):
        _type_ = "i"

    class Function(_ctypes.CFuncPtr):
        _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
        _restype_ = Int

    class Libc:
        _handle = _ctypes.dlopen(None, 0)

    def call(name):
        function = Function((name, Libc))

        def checked(*args):
            if function(*args) != 0:
                number = _ctypes.get_errno()
                raise OSError(number, f"{name}: {posix.strerror(number)}")

        return checked

    found = call("unshare"), call("mount")
    del sys.modules["_ctypes"]
    return found


def write_file(path, text):
    fd = posix.open(path, posix.O_WRONLY)
    try:
        posix.write(fd, text.encode())
    finally:
        posix.close(fd)


def mount_read_only(folders, tmp_dir="", kept=()):
    """This process in its own mount namespace (through a user namespace when not root), the
    environment's own folder on /tmp (when given), each folder bind-mounted read-only in it,
    and the working directory entered again through it."""
    unshare, mount = libc_functions()
    uid, gid = posix.getuid(), posix.getgid()
    if uid == 0:
        unshare(CLONE_NEWNS)
    else:
        unshare(CLONE_NEWUSER | CLONE_NEWNS)
        write_file("/proc/self/setgroups", "deny")
        write_file("/proc/self/uid_map", f"{uid} {uid} 1")
        write_file("/proc/self/gid_map", f"{gid} {gid} 1")
    mount(None, b"/", None, MS_REC | MS_PRIVATE, None)
    if tmp_dir:
        bind_tmp(mount, tmp_dir, [*folders, *kept, posix.getcwd()])
    for folder in folders:
        flags = posix.statvfs(folder).f_flag & KEPT_FLAGS
        mount(folder.encode(), folder.encode(), None, MS_BIND | MS_REC, None)
        mount(None, folder.encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags, None)
    posix.chdir(posix.getcwd())


TMP_COVERED = []  # the folder mounted on /tmp, once it is


def bind_tmp(mount, tmp_dir, needed):
    """The environment's folder on /tmp, so that the literal path is as bounded as Lambda's /tmp;
    the needed folders that were under /tmp (the package, a layer, the interpreter) bound back
    at their paths in it, through descriptors opened before /tmp was covered."""
    held = [(path, posix.open(path, posix.O_RDONLY)) for path in under_tmp(needed)]
    mount(tmp_dir.encode(), b"/tmp", None, MS_BIND | MS_REC, None)
    TMP_COVERED.append(tmp_dir)  # from here a failure cannot fall back: /tmp is not the machine's
    for path, fd in held:
        make_folders(path)
        mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND | MS_REC, None)
        posix.close(fd)
    for name in (b"TMPDIR", b"HOME"):
        posix.environ[name] = b"/tmp"
        posix.putenv(name, b"/tmp")


def under_tmp(paths):
    """The existing folders under /tmp holding paths (a folder itself; a file, its folder), none
    inside another."""
    folders = {p if is_folder(p) else p.rpartition("/")[0] for p in paths if p}
    found = []
    for path in sorted({p.rstrip("/") for p in folders if p.startswith("/tmp/")}):
        if not any(path.startswith(outer + "/") for outer in found) and is_folder(path):
            found.append(path)
    return found


def is_folder(path):
    try:
        return posix.stat(path).st_mode & 0o170000 == 0o040000
    except OSError:
        return False


def make_folders(path):
    """mkdir -p (os is not imported yet)."""
    parts = path.split("/")
    for end in range(2, len(parts) + 1):
        if not is_folder("/".join(parts[:end])):
            posix.mkdir("/".join(parts[:end]), 0o755)


def protect(asked, folders, tmp_dir="", kept=()):
    """Keep the package read-only: a mount namespace where one can be made ("auto"), else the
    audit hook; which one is used. In the namespace, /tmp is the environment's own folder."""
    if asked == "audit-hook" or not folders:
        return "audit-hook"
    try:
        mount_read_only(folders, tmp_dir, kept)
    except OSError:
        if asked == "mount-namespace" or TMP_COVERED:
            raise
        return "audit-hook"
    return "mount-namespace"


def guard_bytecode():
    """Never write bytecode, even if user code sets sys.dont_write_bytecode = False."""
    loader = sys.modules["_frozen_importlib_external"].SourceFileLoader
    loader._cache_bytecode = lambda *args, **kwargs: None


def read_only_hook(roots):
    """An audit hook refusing writes under the package and layers: EROFS, as on Lambda."""
    import os

    def writes(event, args):
        if event == "open":
            mode, flags = args[1], args[2]
            return (mode is not None and any(c in mode for c in "wax+")) or (
                mode is None and flags & WRITE_FLAGS
            )
        return event in WRITE_EVENTS

    def inside(path):
        if not isinstance(path, (str, bytes)):
            return False
        real = os.path.realpath(os.fsdecode(path))
        return any(real == root or real.startswith(root + "/") for root in roots)

    def hook(event, args):
        if (event == "open" or event in WRITE_EVENTS) and writes(event, args):
            paths = args[:2] if event in ("os.rename", "os.link", "os.symlink") else args[:1]
            if any(inside(path) for path in paths):
                names = [os.fsdecode(p) if isinstance(p, (str, bytes)) else p for p in paths]
                if len(names) == 2:
                    raise OSError(30, "Read-only file system", names[0], None, names[1])
                raise OSError(30, "Read-only file system", names[0])

    sys.addaudithook(hook)


def import_module(name, importtime):
    """The module, imported as awslambdaric imports it (importlib.import_module); under
    -X importtime through the import statement's path, the only one that writes the module's
    own row (importlib.import_module writes rows for what the module imports, not for it)."""
    import importlib

    if importtime:
        __import__(name)
        return sys.modules[name]
    return importlib.import_module(name)


def get_handler(handler, importtime=False):
    """The handler function, found as awslambdaric's _get_handler finds it."""

    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}") from None
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise Fault(
                "Runtime.BuiltInModuleConflict",
                f"Cannot use built-in module {module_name} as a handler module",
            )
        module = import_module(module_name.replace("/", "."), importtime)
    except ImportError as error:
        message = f"Unable to import module '{module_name}': {error}"
        raise Fault("Runtime.ImportModuleError", message) from None
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        message = f"Syntax error in module '{module_name}': {error}"
        raise Fault("Runtime.UserCodeSyntaxError", message, trace) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        raise Fault("Runtime.HandlerNotFound", message) from None


class Marshaller:
    """JSON as awslambdaric's marshaller writes it (simplejson's encoder with its defaults):
    Decimal digits kept, NaN allowed, UTF-8 text from python3.12 (ASCII escapes before), bytes
    returned as they are; inside a value, bytes decoded as UTF-8 and an object with _asdict()
    (a namedtuple) written as a JSON object."""

    def __init__(self, utf8):
        import json
        import re

        self.decimal = sys.modules.get("decimal")
        self.token = f"coldprof-decimal-{id(self):x}:"
        self.marks = re.compile('"\\\\u0000' + self.token + '([^"\\\\]*)"')
        self.encoder = json.JSONEncoder(ensure_ascii=not utf8, default=self.default)
        self.used = False

    def default(self, value):
        decimal = self.decimal
        if decimal is not None and isinstance(value, decimal.Decimal):
            if value.is_nan():
                return float("nan")
            self.used = True
            return "\0" + self.token + str(value)
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    def to_json(self, value):
        """The JSON text of a value."""
        self.used = False
        text = self.encoder.encode(plain(value, set()))
        return self.marks.sub(r"\1", text) if self.used else text

    def response(self, value):
        """(body, content type) of a handler's return value; Fault when it is not JSON."""
        if isinstance(value, bytes):
            return value, "application/unknown"
        try:
            return self.to_json(value), "application/json"
        except Exception as error:
            raise Fault("Runtime.MarshalError", f"Unable to marshal response: {error}") from None


def plain(value, path):
    """The value as the json module writes what simplejson writes, checked in simplejson's order:
    text and numbers as they are; bytes decoded as UTF-8; anything with a callable _asdict()
    (a namedtuple, even a dict) as the dict it returns; lists and tuples as arrays; dicts with
    bytes keys decoded; anything else for the encoder's default(). `path`: the ids of the
    containers being walked (a cycle is simplejson's ValueError)."""
    if isinstance(value, (str, int, float)) or value is None:
        return value
    if isinstance(value, bytes):
        return str(value, "utf-8")
    found = as_dict(value)
    if found is None and not isinstance(value, (list, tuple, dict)):
        return value
    marker = id(value)
    if marker in path:
        raise ValueError("Circular reference detected")
    path.add(marker)
    if found is not None:
        written = {key(k): plain(v, path) for k, v in found.items()}
    elif isinstance(value, dict):
        written = {key(k): plain(v, path) for k, v in value.items()}
    else:
        written = [plain(item, path) for item in value]
    path.discard(marker)
    return written


def as_dict(value):
    """What simplejson's namedtuple_as_object writes for a value: its _asdict(), or None."""
    method = getattr(value, "_asdict", None)
    if not callable(method):
        return None
    try:
        found = method()
    except TypeError:
        return None
    if not isinstance(found, dict):
        raise TypeError(f"_asdict() must return a dict, not {type(found).__name__}")
    return found


def key(name):
    """A dict key as simplejson takes it (bytes decoded; its error for the others)."""
    if isinstance(name, (str, int, float)) or name is None:
        return name
    if isinstance(name, bytes):
        return str(name, "utf-8")
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(name).__name__}")


class CognitoIdentity:
    """context.identity: its fields None unless the caller sent a Cognito identity."""

    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __init__(self):
        self.cognito_identity_id = None
        self.cognito_identity_pool_id = None

    def __repr__(self):
        return (
            f"CognitoIdentity([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class LambdaContext:
    """The context object Lambda passes to a handler (awslambdaric's LambdaContext)."""

    def __init__(self, request):
        import os

        self.aws_request_id = request["id"]
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = request["arn"]
        self.tenant_id = None
        self.client_context, self._w3c = make_client_context(request.get("client_context"))
        self.identity = CognitoIdentity()
        self._epoch_deadline_time_in_ms = request["deadline_ms"]

    def get_remaining_time_in_millis(self):
        """Milliseconds left before the invocation times out."""
        delta_ms = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return delta_ms if delta_ms > 0 else 0

    def w3c(self):
        """The W3C trace context the caller sent in its client context."""
        return dict(self._w3c)

    def log(self, msg):
        """Write to the function's log."""
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},identity={self.identity},"
            f"tenant_id={self.tenant_id}])"
        )


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
    """The runtime's ClientContext object from the decoded JSON (None when none was sent),
    and its W3C trace fields, which awslambdaric takes out of it for context.w3c()."""
    if fields is None:
        return None, {}
    w3c = fields.pop("w3c", None) if isinstance(fields, dict) else None
    kept = {}
    if isinstance(w3c, dict):
        kept = {k: w3c[k] for k in W3C_FIELDS if isinstance(w3c.get(k), str)}
    context = from_fields(ClientContext, fields)
    if context.client is not None:
        context.client = from_fields(Client, context.client)
    return context, kept


def from_fields(cls, fields):
    """An object of `cls` with each of its slots set from `fields` (None where absent)."""
    made = cls()
    for name in cls.__slots__:
        setattr(made, name, fields.get(name))
    return made


def init(config, marshaller, token):
    """Lambda's logging, then the handler; report ready, or the init error and exit (each line
    with the init's token)."""
    import json

    try:
        setup_logging()
        handler = get_handler(config["handler"], config["importtime"])
    except Fault as fault:
        error = make_error(fault.message, fault.error_type, fault.trace)
    except Exception:
        value = sys.exc_info()[1]
        error = make_error(str(value), type(value).__name__, user_frames(value.__traceback__))
    else:
        write_all(config["reply_fd"], json.dumps({"ready": True, "token": token}).encode() + b"\n")
        return handler
    import logging

    logging.warning(UNHANDLED_WARNING)
    log_error(error)
    line = json.dumps({"init_error": marshaller.to_json(error), "token": token}) + "\n"
    write_all(config["reply_fd"], line.encode())
    sys.exit(1)


def invoke(handler, request, marshaller, max_response_bytes):
    """Run the handler on one event; the reply line."""
    import os

    REQUEST["id"] = request["id"]
    os.environ["_X_AMZN_TRACE_ID"] = request["trace_id"]
    start_ns = time.perf_counter_ns()
    try:  # as in the runtime, a client context it cannot build is the invocation's error
        context = LambdaContext(request)
        body, content_type = marshaller.response(handler(request["event"], context))
    except Fault as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, request["id"])
    except Exception as value:
        error = exception_error(value, request["id"])
    else:
        duration_ns = time.perf_counter_ns() - start_ns
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        if len(data) > max_response_bytes:
            return {"ok": False, "duration_ns": duration_ns, "response_bytes": len(data)}
        reply = {"ok": True, "duration_ns": duration_ns, "content_type": content_type}
        if isinstance(body, str):
            reply["body"] = body
        else:
            reply["body_latin1"] = data.decode("latin-1")
        return reply
    duration_ns = time.perf_counter_ns() - start_ns
    log_error(error)
    return {"ok": False, "duration_ns": duration_ns, "body": marshaller.to_json(error)}


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


def serve(handler, marshaller, config, extras=()):
    """Answer invocation requests until the parent closes the pipe; each of `extras` adds its
    measurement to the reply."""
    import json

    with open(config["request_fd"], "rb") as requests:
        for line in requests:
            request = json.loads(line)
            reply = invoke(handler, request, marshaller, config["max_response_bytes"])
            reply["left"] = still_running()
            for extra in extras:
                extra(reply)
            reply["token"] = request["token"]
            write_all(config["reply_fd"], (json.dumps(reply) + "\n").encode())
            if "response_bytes" in reply:
                sys.exit(1)


def install_import_clock():
    """Time each import that loads a module in the main thread: importlib's _find_and_load, which
    the import system looks up and calls for every module not yet in sys.modules (what
    -X importtime times, a lazy import's resolution included); a nested one is in its importer's
    time. Installed after init: the reply's "import_ns" is what the invocation spent importing."""
    import _thread

    importlib_bootstrap = sys.modules["_frozen_importlib"]
    original = importlib_bootstrap._find_and_load
    main, clock, state = _thread.get_ident(), time.perf_counter_ns, [False, 0]

    def _find_and_load(name, import_):
        if state[0] or _thread.get_ident() != main:
            return original(name, import_)
        state[0], start_ns = True, clock()
        try:
            return original(name, import_)
        finally:
            state[0], state[1] = False, state[1] + clock() - start_ns

    def report(reply):
        reply["import_ns"], state[1] = state[1], 0

    importlib_bootstrap._find_and_load = _find_and_load
    return report


def start_watch(code, roots):
    """A usage run only (never timed): the watch's code (coldprof/sandbox/watch.py), sent in
    CONFIG for such runs alone, run in a namespace of its own; it starts watching the files the
    function opens. None in every other run."""
    if not code:
        return None
    namespace = {"__name__": "coldprof_watch"}
    exec(sys.modules["marshal"].loads(code), namespace)
    return namespace["watch_files"](roots)


def run_light(config):
    """coldprof's light runtime: start, paths, init, then the invocation loop."""
    start_runtime(config["runtime_modules"])
    marshaller = Marshaller(config["runtime"] in UTF8_RUNTIMES)  # as the runtime's, at its start
    report_runtime_ready(config["reply_fd"], config["read_only_used"])
    if config["read_only_used"] == "audit-hook":
        read_only_hook(config["read_only_roots"])
    watch = start_watch(config["watch_code"], config["package_roots"])
    set_paths(config)
    handler = init(config, marshaller, config.pop("token"))
    extras = []
    if watch is not None:
        handler, report = watch["watch_invocations"](watch, handler)
        extras.append(report)
    if config["import_clock"]:
        extras.append(install_import_clock())
    serve(handler, marshaller, config, extras)


def run_awslambdaric(config):
    """Lambda's /var/runtime/bootstrap.py: the interpreter's own start (site's modules), the
    bootstrap's imports, then AWS's runtime interface client, which talks to coldprof's
    Runtime API (AWS_LAMBDA_RUNTIME_API) for everything after its start."""
    modules = config["runtime_modules"]
    start_runtime(modules[: modules.index("site") + 1] if "site" in modules else [])
    sys.path.insert(0, config["runtime_dir"])
    posix.close(config["request_fd"])
    import json, logging, os, site, traceback, warnings  # noqa: E401, F401, I001 (Lambda's own)
    import awslambdaric.__main__ as awslambdaricmain

    report_runtime_ready(config["reply_fd"], config["read_only_used"])
    posix.close(config["reply_fd"])
    if config["read_only_used"] == "audit-hook":
        read_only_hook(config["read_only_roots"])
    set_paths(config)
    if config["importtime"]:
        profile_handler_import(config["handler"])
    awslambdaricmain.main([os.environ["LAMBDA_TASK_ROOT"], os.environ["_HANDLER"]])


def profile_handler_import(handler):
    """Under -X importtime, have awslambdaric's importlib.import_module of the handler module
    go through the import statement's path, which writes the module's own row."""
    import importlib

    module_name = handler.rsplit(".", 1)[0].replace("/", ".")
    original = importlib.import_module

    def import_module(name, package=None):
        return (
            globals()["import_module"](name, True)
            if name == module_name
            else original(name, package)
        )

    importlib.import_module = import_module


def main(config):
    """Run the runtime the parent asked for."""
    del sys.argv[1:]
    posix.set_inheritable(config["request_fd"], False)
    posix.set_inheritable(config["reply_fd"], False)
    kept = [*config["sys_path"], *config["site_dirs"], *sys.path, sys.prefix, sys.base_prefix]
    kept += [sys.exec_prefix, sys.pycache_prefix or ""]
    config["read_only_used"] = protect(
        config["read_only"], config["read_only_roots"], config["tmp_dir"], kept
    )
    if config["guard_bytecode"]:
        guard_bytecode()
    if config["runtime_client"] == "awslambdaric":
        run_awslambdaric(config)
    else:
        run_light(config)


if __name__ == "__main__":
    main(globals()["CONFIG"])
