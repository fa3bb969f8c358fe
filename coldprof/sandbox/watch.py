"""The usage watch: what the invocations use of the function's init, and which package files
are loaded. It runs in the child of a usage run only, a run apart that is never timed: its hooks
slow init and the invocations alike. Standard library only, CPython 3.9 and later.

The light runtime (bootstrap.py) receives this file's code in its CONFIG ("watch_code") for such
runs alone, runs it in a namespace of its own, calls watch_files() before the function's .pth
files and handler are loaded, then watch_invocations() once init is done; every other run carries
none of it.
"""

import posix
import sys


def watch_files(roots):
    """Every file under the package's roots (the task root, then each layer) that the function
    opens from now on, seen by an audit hook; the modules already loaded (the runtime's)."""
    import os

    opened = set()
    prefixes = tuple(root + "/" for root in roots)

    def hook(event, args):
        if event != "open" or isinstance(args[0], int):
            return
        try:
            path = os.path.realpath(os.fsdecode(args[0]))
        except Exception:
            return  # never an error in the function's own open()
        if path.startswith(prefixes):
            opened.add(path)

    sys.addaudithook(hook)
    return {
        "opened": opened,
        "roots": roots,
        "runtime_modules": set(sys.modules),
        "watch_invocations": watch_invocations,
    }


def watch_invocations(watch, handler, limit=20000):
    """From the end of init, which modules init imported the invocations use (their code runs,
    or their attributes are read), and the files loaded so far. Returns the handler to call
    instead (it marks when the function runs) and the reply's "usage" maker."""
    import gc

    init_modules = set(sys.modules) - watch["runtime_modules"]
    used, used_ever, sent, active = set(), set(), set(), [False]
    watch_attributes(init_modules, used, active)
    method = watch_code(used, active)
    lazy_init = [lazy_bindings(gc, limit)]

    def watched(event, context):
        active[0] = True
        try:
            return handler(event, context)
        finally:
            active[0] = False

    def report(reply):
        """The reply's "usage"; none when the function broke what it reads (the parent then
        says the usage is incomplete), never an exception out of the runtime."""
        try:
            used_ever.update(used & init_modules)
            files = loaded_files(watch, sent)[:limit]
            sent.update(files)
            usage = {"method": method, "used": sorted(used & init_modules)[:limit]}
            usage["files"] = [relative(watch["roots"], path) for path in files]
            usage["refs"] = referrers(gc, init_modules - used_ever, used_ever)
            usage["lazy"] = lazy_bindings(gc, limit)
            if lazy_init:
                usage["lazy_init"] = lazy_init.pop()
            reply["usage"] = usage
        except Exception:
            reply.pop("usage", None)
        used.clear()
        if method == "sys.monitoring":
            sys.monitoring.restart_events()

    return watched, report


def watch_attributes(names, used, active):
    """Record a read of any attribute of these modules while the function runs (a module used
    only for its data runs none of its code): each plain module gets a subclass that records."""
    module_type = type(sys)

    class Watched(module_type):
        def __getattribute__(self, name):
            if active[0]:
                used.add(module_type.__getattribute__(self, "__name__"))
            return module_type.__getattribute__(self, name)

    for name in names:
        module = sys.modules.get(name)
        if type(module) is module_type:
            try:
                module.__class__ = Watched
            except TypeError:
                continue


def watch_code(used, active):
    """Record the module of each Python function, and of each C function, that runs while the
    function runs: sys.monitoring where there is one (3.12+), else a profiling hook."""
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None and monitor_code(monitoring, used, active):
        return "sys.monitoring"
    import threading

    def profile(frame, event, arg):
        if active[0] and event == "call":
            used.add(frame.f_globals.get("__name__"))
        elif active[0] and event == "c_call":
            used.add(c_module(arg))

    sys.setprofile(profile)
    threading.setprofile(profile)
    return "setprofile"


def monitor_code(monitoring, used, active):
    """sys.monitoring: a Python function's start is recorded once per place (DISABLE), a call
    of anything else at every call (one place may call several). False when every tool id is
    taken (the function's own tools)."""
    import types

    python_code = (types.FunctionType, types.MethodType)
    tool = next((tool for tool in range(6) if monitoring.get_tool(tool) is None), None)
    if tool is None:
        return False
    monitoring.use_tool_id(tool, "coldprof")

    def started(code, offset):
        if not active[0]:
            return None
        used.add(sys._getframe(1).f_globals.get("__name__"))
        return monitoring.DISABLE

    def called(code, offset, callable_, arg0):
        if not active[0]:
            return None
        if isinstance(callable_, python_code):
            return monitoring.DISABLE  # its start is seen as a Python function's
        used.add(c_module(callable_))
        return None

    events = monitoring.events
    monitoring.register_callback(tool, events.PY_START, started)
    monitoring.register_callback(tool, events.PY_RESUME, started)
    monitoring.register_callback(tool, events.CALL, called)
    monitoring.set_events(tool, events.PY_START | events.PY_RESUME | events.CALL)
    return True


def c_module(callable_):
    """The module a called object comes from (a C function's, its instance's, or its type's)."""
    try:
        name = getattr(callable_, "__module__", None)
        if not isinstance(name, str):
            owner = getattr(callable_, "__self__", None)
            name = owner.__name__ if isinstance(owner, type(sys)) else type(owner).__module__
        return name if isinstance(name, str) else None
    except Exception:
        return None


def loaded_files(watch, sent):
    """Package files loaded so far and not yet sent: opened, imported (a module's file), or
    mapped into memory (a shared library the dynamic loader opened for an extension module)."""
    prefixes = tuple(root + "/" for root in watch["roots"])
    found = set(watch["opened"])
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) if isinstance(module, type(sys)) else None
        if isinstance(path, str) and path.startswith(prefixes):
            found.add(path)
    try:
        with open("/proc/self/maps", "rb") as maps:
            for line in maps:
                parts = line.decode("utf-8", "replace").rstrip("\n").split(None, 5)
                if len(parts) == 6 and parts[5].startswith(prefixes):
                    found.add(parts[5])
    except OSError:
        pass
    return sorted(path for path in found - sent if posix_isfile(path))


def posix_isfile(path):
    """True for a file that exists (an open the import system tried and failed is no load)."""
    try:
        return posix.stat(path).st_mode & 0o170000 == 0o100000
    except OSError:
        return False


def relative(roots, path):
    """[index of the root holding path, path relative to it]."""
    for index, root in enumerate(roots):
        if path.startswith(root + "/"):
            return [index, path[len(root) + 1 :]]
    return [0, path]


def namespace(gc, module):
    """A module's own dict, read without resolving its lazy imports (module.__dict__ would)."""
    try:
        name = type(sys).__getattribute__(module, "__name__")
    except AttributeError:
        return {}
    for referent in gc.get_referents(module):
        if type(referent) is dict and referent.get("__name__") == name:
            return referent
    return {}


def referrers(gc, unused, used):
    """For each module not used so far, the used modules holding it, or a function or class of
    it, in their globals: they import it too, so it is imported whatever one importer does."""
    import types

    found = {}
    module_type = type(sys)
    for holder in sorted(used):
        module = sys.modules.get(holder)
        if not isinstance(module, module_type):
            continue
        for value in list(namespace(gc, module).values()):
            if isinstance(value, module_type):
                target = module_type.__getattribute__(value, "__name__")
            elif isinstance(value, (type, types.FunctionType)):
                target = getattr(value, "__module__", None)
            else:
                continue
            if target in unused and target != holder and len(found.get(target, ())) < 20:
                found.setdefault(target, []).append(holder)
    return found


def lazy_bindings(gc, limit):
    """The lazy imports (PEP 810) not resolved yet: [module, global name, what it imports]."""
    found = []
    for name, module in list(sys.modules.items()):
        if not isinstance(module, type(sys)):
            continue
        for key, value in list(namespace(gc, module).items()):
            if type(value).__name__ == "lazy_import" and len(found) < limit:
                target = next((r for r in gc.get_referents(value) if type(r) is str), "")
                found.append([name, str(key), target])
    return found
