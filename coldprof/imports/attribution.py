"""Which distribution and category each imported module belongs to, found by its file location.

A dotted name is resolved as the child's import system would: a package folder's `__init__.py`,
a `.py` module or an extension module, under the task root, then each layer's import roots,
then the runtime SDK folder; the file's owner comes from analyze's owner map. A submodule no file
provides (`six.moves`, a failed optional import inside a package) belongs to its closest parent
package. A name found in none of them is built-in or standard library when the child interpreter
says so, else "not found": mostly optional imports that failed (`try: import brotli`), whose
search still costs time.
"""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from coldprof.analyze import scan
from coldprof.analyze.model import FUNCTION_CODE, Context, Runtime
from coldprof.analyze.owners import find_distributions, owner_map
from coldprof.analyze.runtime import runtime_named
from coldprof.errors import UsageError
from coldprof.package import open_package
from coldprof.package.model import Package

FUNCTION_CODE_CATEGORY = "function code"
DEPENDENCY = "dependency"
LAYER = "layer"
RUNTIME_SDK = "runtime SDK"
STANDARD_LIBRARY = "standard library"
BUILT_IN = "built-in"
NOT_FOUND = "not found"

SDK_PACKAGE = "runtime SDK"
NAMES_TIMEOUT_S = 30
NAMES_SCRIPT = """
import json, pkgutil, sys, sysconfig
names = getattr(sys, "stdlib_module_names", None)
if names is None:
    stdlib = sysconfig.get_paths()["stdlib"]
    names = [m.name for m in pkgutil.iter_modules([stdlib, stdlib + "/lib-dynload"])]
print(json.dumps({"stdlib": sorted(names), "builtin": sorted(sys.builtin_module_names)}))
"""


@dataclass(frozen=True)
class ModuleNames:
    """The top-level module names an interpreter provides itself."""

    stdlib: frozenset[str]
    builtin: frozenset[str]


@dataclass(frozen=True)
class Origin:
    """Where an imported module comes from."""

    distribution: str  # distribution name, or "(function code)", "(standard library)", ...
    category: str  # FUNCTION_CODE_CATEGORY, DEPENDENCY, LAYER, RUNTIME_SDK, ...
    package: str | None  # the package holding its file: "function", "layer 1", "runtime SDK"
    owner_key: str | None  # the owning distribution's key in that package, None when unowned


@dataclass(frozen=True)
class Located:
    """A module's file (or, for a namespace package, a file under its folder) in a package."""

    package: Package
    path: str
    context: Context


@functools.cache
def interpreter_module_names(executable: str) -> ModuleNames:
    """Ask the child interpreter (once) for its standard library and built-in module names."""
    try:
        completed = subprocess.run(
            [executable, "-I", "-S", "-B", "-c", NAMES_SCRIPT],
            capture_output=True,
            text=True,
            timeout=NAMES_TIMEOUT_S,
            env={},
            check=True,
        )
        names = json.loads(completed.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        raise UsageError(f"cannot ask {executable} for its module names: {error}") from None
    return ModuleNames(frozenset(names["stdlib"]), frozenset(names["builtin"]))


def module_name(relative: str) -> str | None:
    """The dotted module name a file provides, relative to an import root (None if none)."""
    *folders, filename = relative.split("/")
    if filename.endswith((".py", ".pyc")):
        stem = filename.rsplit(".", 1)[0]
    elif filename.endswith(".so"):
        stem = filename.split(".", 1)[0]
    else:
        return None
    parts = folders if stem == "__init__" else [*folders, stem]
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts)


def import_roots(package: Package) -> list[str]:
    """A package's import roots in sys.path order (a layer's site-packages before python/)."""
    return sorted(package.import_roots, key=len, reverse=True)


def package_index(package: Package) -> dict[str, str]:
    """Dotted module name -> file path for every module a package provides.

    A folder without `__init__.py` (a namespace package) maps to the first file under it.
    """
    index: dict[str, str] = {}
    folders: dict[str, str] = {}
    paths = sorted(e.path for e in package.files if "/__pycache__/" not in f"/{e.path}")
    for root in import_roots(package):
        prefix = f"{root}/" if root else ""
        for path in paths:
            if not path.startswith(prefix):
                continue
            relative = path[len(prefix) :]
            name = module_name(relative)
            if name is not None:
                index.setdefault(name, path)
            parts = relative.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                folders.setdefault(".".join(parts[:depth]), path)
    for folder, path in folders.items():
        index.setdefault(folder, path)
    return index


@dataclass(frozen=True)
class Attributor:
    """Looks modules up in the function, its layers and the runtime SDK, in sys.path order."""

    indexes: tuple[tuple[Package, Context, dict[str, str]], ...]
    names: ModuleNames

    def locate(self, module: str) -> Located | None:
        """The file that provides a module, or else its closest parent package, in path order."""
        parts = module.split(".")
        for length in range(len(parts), 0, -1):
            name = ".".join(parts[:length])
            for package, context, index in self.indexes:
                if name in index:
                    return Located(package, index[name], context)
        return None

    def origin(self, module: str) -> Origin:
        """The distribution and category of an imported module."""
        top_level = module.split(".", 1)[0]
        if top_level in self.names.builtin:
            return Origin("(built-in)", BUILT_IN, None, None)
        located = self.locate(module)
        if located is not None:
            return located_origin(located)
        if top_level in self.names.stdlib:
            return Origin("(standard library)", STANDARD_LIBRARY, None, None)
        return Origin("(not found)", NOT_FOUND, None, None)


def located_origin(located: Located) -> Origin:
    """The origin of a module whose file is in a package."""
    package = located.package
    key = located.context.owner(package, located.path)
    if key is None:
        label = FUNCTION_CODE if package.name == "function" else f"({package.name} code)"
        category = {"function": FUNCTION_CODE_CATEGORY, SDK_PACKAGE: RUNTIME_SDK}.get(
            package.name, LAYER
        )
        return Origin(label, category, package.name, None)
    name = distribution_name(located.context, package, key)
    category = {"function": DEPENDENCY, SDK_PACKAGE: RUNTIME_SDK}.get(package.name, LAYER)
    return Origin(name, category, package.name, key)


def distribution_name(context: Context, package: Package, key: str) -> str:
    """A distribution's name as its METADATA spells it (the key when not found)."""
    for distribution in context.distributions:
        if distribution.key == key and distribution.package == package.name:
            return distribution.name
    return key


def build_attributor(contexts: Sequence[Context], names: ModuleNames) -> Attributor:
    """An Attributor over the packages of the contexts, in order (function, layers, SDK)."""
    indexes = tuple(
        (package, context, package_index(package))
        for context in contexts
        for package in context.packages
    )
    return Attributor(indexes, names)


def package_sizes(contexts: Iterable[Context]) -> dict[tuple[str, str | None], tuple[int, int]]:
    """(package name, owner key or None for unowned files) -> (unzipped, zipped) bytes."""
    sizes: dict[tuple[str, str | None], tuple[int, int]] = {}
    for context in contexts:
        for package, entry in context.entries():
            key = (package.name, context.owner(package, entry.path))
            unzipped, zipped = sizes.get(key, (0, 0))
            sizes[key] = (unzipped + entry.unzipped_bytes, zipped + entry.zipped_bytes)
    return sizes


def sdk_context(folder: Path, runtime: Runtime) -> Context:
    """The runtime SDK folder (--runtime-sdk) read as a package of its own."""
    if not folder.is_dir():
        raise UsageError(f"--runtime-sdk {folder}: not a folder")
    package = open_package(folder, SDK_PACKAGE, ("",))
    distributions = find_distributions(package, runtime, "x86_64")
    owners = owner_map([package], distributions)
    return Context(
        packages=(package,),
        distributions=tuple(distributions),
        owners=owners,
        runtime=runtime,
        arch="x86_64",
    )


def package_contexts(
    target: Path, layers: Sequence[Path], runtime_sdk: Path | None, version: tuple[int, int]
) -> list[Context]:
    """The function with its layers, then the runtime SDK folder if any, read for attribution."""
    runtime = runtime_named(f"python{version[0]}.{version[1]}")
    contexts = [scan(target, layers, runtime)]
    if runtime_sdk is not None:
        contexts.append(sdk_context(runtime_sdk, runtime))
    return contexts
