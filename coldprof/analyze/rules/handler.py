"""handler-not-at-root and handler-not-found: can the runtime import the handler at all?

Lambda's runtime imports the handler's module (`app.handler` -> `app`, `pkg/app.handler` ->
`pkg.app`) from sys.path: the package root (/var/task), then the layers' python/ folders.
With --handler, the module must be one of those (`app.py`, `app/__init__.py`, an extension
`app.*.so`), and its source must bind the function's name at module level (read with ast,
never run: a module with `from x import *` or a module `__getattr__` is given the benefit of
the doubt). Without --handler, a package whose only top-level entry is one folder holding
the code (`zip -r function.zip build/`) is reported: nothing in it is on sys.path.
"""

from __future__ import annotations

import ast

from coldprof.analyze.model import Context
from coldprof.analyze.result import Finding
from coldprof.package.model import Package

MODULE_FILES = ("{}.py", "{}/__init__.py", "{}.pyc")
EXTENSION_SUFFIXES = (".so", ".pyd")
IGNORED_TOP = frozenset({"__MACOSX", ".DS_Store"})
SOURCE_LIMIT_BYTES = 4 * 1024 * 1024


def module_path(handler: str) -> tuple[str, str]:
    """("pkg/app", "handler") for "pkg.app.handler" or "pkg/app.handler"."""
    module, _, function = handler.rpartition(".")
    return module.replace(".", "/"), function


def _module_file(package: Package, root: str, module: str, paths: set[str]) -> str | None:
    """The file that provides `module` under one import root, or None."""
    base = f"{root}/{module}" if root else module
    for pattern in MODULE_FILES:
        if pattern.format(base) in paths:
            return pattern.format(base)
    folder, _, name = base.rpartition("/")
    prefix = f"{folder}/{name}." if folder else f"{name}."
    for path in paths:
        if (
            path.startswith(prefix)
            and path.endswith(EXTENSION_SUFFIXES)
            and "/" not in path[len(prefix) :]
        ):
            return path
    return None


def find_module(context: Context, module: str) -> tuple[Package, str] | None:
    """(package, file) where the runtime finds the handler's module first, or None."""
    for package in context.packages:
        paths = {entry.path for entry in package.files}
        for root in package.import_roots:
            found = _module_file(package, root, module, paths)
            if found is not None:
                return package, found
    return None


def _elsewhere(package: Package, module: str) -> list[str]:
    """Files deeper in the package that would be the module if their folder were the root."""
    endings = tuple("/" + pattern.format(module) for pattern in MODULE_FILES[:2])
    return sorted(entry.path for entry in package.files if entry.path.endswith(endings))


def _bound_names(body: list[ast.stmt]) -> tuple[set[str], bool]:
    """Names bound at module level, and whether some binding cannot be known from the source."""
    names: set[str] = set()
    unknown = False
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            unknown |= node.name == "__getattr__"
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                unknown |= alias.name == "*"
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
            inner = [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            inner += [s for h in getattr(node, "handlers", []) for s in h.body]
            more, more_unknown = _bound_names(inner)
            names |= more
            unknown |= more_unknown
    return names, unknown


def defines(package: Package, path: str, function: str) -> bool | None:
    """Whether a module's source binds `function` at module level (None: cannot tell)."""
    if not path.endswith(".py"):
        return None
    data = package.read(path, SOURCE_LIMIT_BYTES)
    try:
        tree = ast.parse(data or b"", filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names, unknown = _bound_names(tree.body)
    return bool(function in names or unknown)


def _finding(rule: str, code: str, values: dict, paths: tuple[str, ...]) -> Finding:
    return Finding(
        rule=rule,
        severity="error",
        distribution=None,
        paths=paths,
        bytes=0,
        code=code,
        values=values,
        package="function",
    )


def _not_found(context: Context, handler: str, module: str) -> Finding:
    deeper = _elsewhere(context.packages[0], module)
    values = {"handler": handler, "module": module.replace("/", "."), "found_at": deeper[:3]}
    return _finding("handler-not-at-root", "module-not-found", values, tuple(deeper[:3]))


def handler_checks(context: Context) -> list[Finding]:
    """The handler's module and function, or the package's single top-level folder."""
    if context.handler is None:
        return _single_folder(context.packages[0])
    module, function = module_path(context.handler)
    found = find_module(context, module)
    if found is None:
        return [_not_found(context, context.handler, module)]
    package, path = found
    if defines(package, path, function) is False:
        values = {"module_file": path, "in": package.name, "function": function}
        return [_finding("handler-not-found", "function-not-defined", values, (path,))]
    return []


def _single_folder(package: Package) -> list[Finding]:
    """A package whose only top-level entry is a folder holding code, not a Python package."""
    tops = {entry.path.split("/", 1)[0] for entry in package.files} - IGNORED_TOP
    if len(tops) != 1 or not any(e.path.startswith(f"{next(iter(tops))}/") for e in package.files):
        return []
    folder = next(iter(tops))
    inside = {entry.path[len(folder) + 1 :] for entry in package.files}
    code = any("/" not in p and p.endswith(".py") for p in inside) or any(
        p.split("/", 1)[0].endswith(".dist-info") for p in inside
    )
    if "__init__.py" in inside or not code:
        return []
    return [_finding("handler-not-at-root", "single-folder", {"folder": folder}, (folder,))]
