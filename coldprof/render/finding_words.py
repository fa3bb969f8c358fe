"""The words for analyze's findings: what was found, what to do, and what it risks.

A finding holds its rule, a code for the case and the values of that case (numbers, names,
versions, codes); every output words it here, so the table, Markdown and the report say the
same thing. A rule or code this coldprof does not know, or values that do not fit (a
hand-edited or newer document), show as the code and its values rather than being refused;
a finding an older schema version stored as sentences (code `text`) shows them as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coldprof.analyze.result import Finding
from coldprof.render.units import count, exact_bytes, ms
from coldprof.results import LEGACY_TEXT, display_path

Words = Callable[[Finding], str]
SAME_CODE = "none: bytecode compiled from the same sources runs the same code"
COMPILE = "python{version} -m compileall -q --invalidation-mode unchecked-hash ."


@dataclass(frozen=True)
class RuleWords:
    """How one rule's findings read: per code what was found, then the advice and the risk."""

    found: dict[str, Words]
    advice: Words
    risk: Words


def _fixed(text: str) -> Words:
    return lambda f: text


def _in(f: Finding) -> str:
    """Where a finding's paths are, for a sentence: " in layer 1", nothing for the function."""
    return "" if f.package in (None, "function") else f" in {f.package}"


def _python(runtime: str) -> str:
    """'3.12' for 'python3.12'."""
    return runtime.removeprefix("python")


def _listed(items: list[str], more: int = 0) -> str:
    return ", ".join(items) + (f" and {more:,} more" if more > 0 else "")


# missing-dependency


def _requirement(item: dict[str, Any]) -> str:
    runtime = item.get("runtime_version")
    return item["requirement"] + (f" (the runtime has {runtime})" if runtime else "")


def _unmet(f: Finding) -> str:
    v = f.values
    missing = [_requirement(m) for m in v["missing"]]
    them = "it" if len(missing) == 1 else "them"
    return (
        f"{v['name']} {v['version']} ({f.package}) requires {', '.join(missing)}: nothing on "
        f"Lambda's sys.path provides {them} (function, layers, {v['runtime']} runtime), so "
        "importing it fails"
    )


def _unmet_sometimes(f: Finding) -> str:
    v = f.values
    parts = [
        f"{m['requirement']} (its marker holds on {_listed(m['holds_on'])})" for m in v["missing"]
    ]
    return (
        f"{v['name']} {v['version']} ({f.package}) requires {'; '.join(parts)} on some "
        f"{_python(v['runtime'])} patch releases only, and nothing on Lambda's sys.path "
        "provides it there: whether importing it fails depends on the runtime's patch release, "
        "which Lambda does not fix"
    )


# handler-not-at-root, handler-not-found


def _module_not_found(f: Finding) -> str:
    v = f.values
    found = (
        f"found at {', '.join(v['found_at'])}" if v["found_at"] else "found nowhere in the package"
    )
    return (
        f"the handler {v['handler']}'s module {v['module']} ({v['module'].replace('.', '/')}.py) "
        f"is not at the package root nor in a layer's python/ folder ({found}): Lambda fails "
        "with Runtime.ImportModuleError"
    )


def _single_folder(f: Finding) -> str:
    folder = f.values["folder"]
    return (
        f"every file sits under {folder}/: the package root holds only that folder, so nothing "
        f"in it is on Lambda's sys.path (a handler module {folder}/app.py is not `app`); pass "
        "--handler to check the handler"
    )


def _no_function(f: Finding) -> str:
    v = f.values
    place = "" if v["in"] == "function" else f" ({v['in']})"
    return (
        f"{v['module_file']}{place} defines no {v['function']!r} at module level: Lambda fails "
        "with Runtime.HandlerNotFound"
    )


# layer-path-not-on-sys-path


def _place(place: dict[str, Any], runtime: str) -> str:
    if place.get("python"):
        return f"{place['place']}/ is for python{place['python']}, not {runtime}"
    return f"{place['place']} is at the layer root, not under python/"


def _stray(f: Finding) -> str:
    v = f.values
    places = "; ".join(_place(p, v["runtime"]) for p in v["places"])
    where = (
        f"only /opt/python and /opt/python/lib/python{_python(v['runtime'])}/site-packages are "
        "on sys.path"
    )
    text = (
        f"{v['files']:,} Python file(s) in {f.package} sit where {v['runtime']} never looks "
        f"({places}): {where}"
    )
    if f.code == "partly-imported":
        text += "; the layer's code where it looks is imported, these copies are not"
    return text


# unreadable-by-lambda


def _unreadable(f: Finding) -> str:
    v = f.values
    return (
        f"{v['files']:,} file(s) without read permission for others and {v['folders']:,} "
        f"folder(s) without r-x for others{_in(f)} (modes {', '.join(v['modes'])}): the "
        "function's user gets Permission denied (Runtime.ImportModuleError on import)"
    )


# runtime-deprecated, runtime-preview


def _deprecated(f: Finding) -> str:
    v = f.values
    blocked = [
        f"{what} blocked from {v[key]}"
        for key, what in (("block_create", "creating functions"), ("block_update", "updating"))
        if v.get(key)
    ]
    more = f"; {', '.join(blocked)}" if blocked else ""
    return (
        f"{v['runtime']} was deprecated on {v['deprecated']} ({v['os']}): no more security "
        f"patches{more}"
    )


# runtime-sdk

SDK_RISK = (
    "the runtime's copy is another version (it changes with region and date); code that needs a "
    "newer boto3/botocore API than the runtime's breaks: keep the SDK then, all of it"
)
SDK_ADVICE = (
    "leave the runtime's SDK out of the package (pip install --target ... then remove boto3, "
    "botocore, s3transfer and what only they need); keep what a bundled distribution needs"
)


def _sdk(what: Callable[[dict[str, Any]], str]) -> Words:
    return lambda f: f"{f.values['name']} {f.values['version']}{_in(f)}: {what(f.values)}"


def _sdk_need(need: dict[str, str]) -> str:
    return (
        f"{need['requirer']} {need['requirer_version']} requires {need['requirement']}, the "
        f"runtime has {need['runtime_version']}"
    )


SDK_FOUND = {
    "leave-out": _sdk(lambda v: f"the {v['runtime']} runtime ships it: leave it out"),
    "bundling-needed": _sdk(
        lambda v: f"bundling it is needed: {'; '.join(map(_sdk_need, v['needs']))}"
    ),
    "needed": _sdk(
        lambda v: f"{', '.join(v['needed_by'])} need(s) it: keep it (the runtime ships it too)"
    ),
    "only-the-sdk-needs-it": _sdk(
        lambda v: f"only the SDK needs it: leave it out with {', '.join(v['sdk'])}"
    ),
    "unneeded": _sdk(
        lambda v: f"the {v['runtime']} runtime ships it as an SDK dependency; nothing here needs it"
    ),
}

# the folder and file rules


def _counted(what: str, key: str) -> Words:
    return lambda f: f"{f.values[key]:,} {what}{_in(f)}"


FOLDERS = {
    "folders": lambda f: (
        f"{f.values['folders']:,} {f.rule.removesuffix('-folder')} folder(s){_in(f)}"
    )
}

# bytecode


def _owners(v: dict[str, Any]) -> str:
    shown = [f"{o['name']} {o['modules']:,}" for o in v["owners"]]
    return _listed(shown, v["more_owners"])


def _cost(f: Finding) -> str:
    if f.ms is None:
        return ""
    v = f.values
    timed = v.get("timed_modules")
    how = "all of them" if timed == v["modules"] else f"{count(timed, 'of them')}, scaled"
    return f"; compiling them takes {ms(f.ms)} per cold start here (timed {how})"


STALE_WHY: dict[str, Callable[[dict[str, Any]], str]] = {
    "python": lambda r: "compiled by another Python",
    "header": lambda r: "not a readable .pyc",
    "size": lambda r: "source size differs from the one compiled",
    "sam-1980": lambda r: "zip entries dated 1980-01-01 (as SAM writes them)",
    "two-second": lambda r: (
        "odd-second source mtimes, rounded down by the zip's 2-second DOS dates"
    ),
    "zone": lambda r: f"dates written in local time (UTC{r['zone']}), which Lambda reads as UTC",
    "mtime": lambda r: "source mtime differs from the one compiled",
}


def _missing(f: Finding) -> str:
    v = f.values
    return (
        f"{v['modules']:,} module(s){_in(f)} have no .pyc for {v['runtime']} ({_owners(v)}): "
        "Lambda's read-only file system makes Python compile them at every cold start" + _cost(f)
    )


def _stale(f: Finding) -> str:
    v = f.values
    whys = "; ".join(f"{r['modules']:,}: {STALE_WHY[r['reason']](r)}" for r in v["reasons"])
    return (
        f"{v['modules']:,} module(s){_in(f)} have a .pyc that {v['runtime']} will reject "
        f"({_owners(v)}), so they are compiled at every cold start: {whys}" + _cost(f)
    )


def _timestamp(f: Finding) -> str:
    v = f.values
    if f.code == "in-zip":
        fragile = "they match the dates this zip gives their sources, until it is rebuilt"
    else:
        fragile = (
            f"zipped with 1980-01-01 dates (as SAM writes them) all {v['stale_in_sam_zip']:,} "
            f"would be stale, zipped by Python's zipfile (no extended timestamps) the "
            f"{v['stale_in_zipfile_zip']:,} whose sources have odd-second mtimes; zip -r keeps "
            "them valid"
        )
    return (
        f"{v['modules']:,} module(s){_in(f)} have timestamp-based .pyc ({_owners(v)}), valid "
        f"only while each source keeps the mtime recorded in them: {fragile}"
    )


def _compile_hint(f: Finding) -> str:
    runtime = f.values["runtime"]
    return f"precompile with `{COMPILE.format(version=_python(runtime))}` using {runtime}"


BYTECODE = {
    "bytecode-missing": RuleWords({"missing": _missing}, _compile_hint, _fixed(SAME_CODE)),
    "bytecode-stale": RuleWords({"stale": _stale}, _compile_hint, _fixed(SAME_CODE)),
    "bytecode-timestamp": RuleWords(
        {"in-zip": _timestamp, "in-folder": _timestamp},
        lambda f: f"keep bytecode, but {_compile_hint(f)}",
        _fixed(SAME_CODE),
    ),
    "bytecode-wrong-version": RuleWords(
        {
            "wrong-version": lambda f: (
                f"{f.values['modules']:,} .pyc file(s){_in(f)} for another Python or for -O: "
                f"{f.values['runtime']} never reads them ({_owners(f.values)})"
            )
        },
        _fixed("delete them"),
        lambda f: (
            f"none on {f.values['runtime']}; they only matter if the function moves to that Python"
        ),
    ),
    "bytecode-orphan": RuleWords(
        {
            "orphan": lambda f: (
                f"{f.values['modules']:,} __pycache__ file(s){_in(f)} without their source: "
                f"Python never reads them ({_owners(f.values)})"
            )
        },
        _fixed("delete them"),
        _fixed("none: a __pycache__ file is only ever read next to its source"),
    ),
    "bytecode-valid": RuleWords(
        {
            "valid": lambda f: (
                f"{f.values['modules']:,} module(s){_in(f)} have hash-based .pyc valid for "
                f"{f.values['runtime']} ({_owners(f.values)})"
            )
        },
        _fixed(
            "keep them: deleting bytecode to save space roughly doubles import time at cold start"
        ),
        _fixed("deleting them makes every cold start compile these modules again"),
    ),
}

# incompatible-extension, incompatible-wheel

PROBLEM_WORDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "pypy": lambda p: "built for PyPy",
    "abi3-floor": lambda p: f"stable ABI from CPython {p['version']} up",
    "cpython": lambda p: f"built for CPython {p['version']}",
    "free-threaded": lambda p: "built for free-threaded CPython",
    "debug": lambda p: "built for a debug CPython",
    "mach-o": lambda p: "a macOS (Mach-O) build",
    "pe": lambda p: "a Windows (PE) build",
    "machine": lambda p: (
        f"built for {p['machine']}" + (f" ({p['bits']}-bit)" if "bits" in p else "")
    ),
    "glibc-symbol": lambda p: f"needs GLIBC_{p['needs']}",
    "glibc": lambda p: f"needs glibc {p['needs']}",
    "platform": lambda p: f"built for {p['platform']}",
    "musl": lambda p: "built for musl libc (Alpine), not glibc",
    "interpreter": lambda p: f"built for {p['interpreter']}-{p['abi']}",
}
EXTENSION_ADVICE: dict[str, Words] = {
    "python": lambda f: (
        "reinstall it for the runtime's Python (pip install --python-version "
        f"{_python(f.values['runtime'])} --only-binary=:all: --platform {f.values['platform']})"
    ),
    "os": lambda f: (
        "build the package on Linux (sam build --use-container, or pip install --platform "
        f"{f.values['platform']} --only-binary=:all:)"
    ),
    "arch": lambda f: (
        f"reinstall it for the function's architecture (pip install --platform "
        f"{f.values['platform']} --only-binary=:all:), or deploy the function with the other "
        "architecture"
    ),
    "glibc": _fixed(
        "use a wheel built for an older glibc (manylinux2014 needs 2.17), or a runtime with a "
        "newer glibc (python3.12+ has 2.34)"
    ),
}


def _problems(v: dict[str, Any]) -> str:
    return "; ".join(PROBLEM_WORDS[p["code"]](p) for p in v["problems"])


def _extension(f: Finding) -> str:
    v = f.values
    return (
        f"{v['files']:,} native file(s){_in(f)} cannot load on {v['runtime']} {v['arch']} "
        f"(glibc {v['glibc']}): {_problems(v)}"
    )


def _wheel(f: Finding) -> str:
    v = f.values
    return (
        f"{v['name']} {v['version']} comes from a wheel tagged "
        f"{_listed(v['tags'], v['more_tags'])} ({_problems(v)}): pip would refuse it for "
        f"{v['runtime']} {v['arch']}"
    )


def _wheel_advice(f: Finding) -> str:
    v = f.values
    return (
        f"install it for the target: pip install --python-version {_python(v['runtime'])} "
        f"--platform {v['platform']} --only-binary=:all:"
    )


# duplicates


def _who(d: dict[str, str]) -> str:
    return f"{d['name']} {d['version']} ({d['package']})"


def _shadowed(f: Finding) -> str:
    v = f.values
    loser = v["shadowed"]
    return (
        f"`{v['import_name']}` is provided by {', '.join(map(_who, v['providers']))}: "
        f"{_who(v['winner'])} comes first on sys.path and is imported; {v['files']:,} file(s) "
        f"of {loser['name']} {loser['version']} in {loser['package']} are never used"
    )


def _overwritten(f: Finding) -> str:
    v = f.values
    return (
        f"`{v['import_name']}` is provided by {', '.join(map(_who, v['providers']))}: in "
        f"{v['package']} they were installed into one folder, so the one installed last "
        "overwrote the other's files"
    )


def _vendored(f: Finding) -> str:
    v = f.values
    return (
        f"{v['name']} is vendored {v['copies']} times with identical bytes{_in(f)}: "
        f"{', '.join(v['folders'])}; the paths are the copies beside {v['kept']}"
    )


# unowned-files, pth-file

UNOWNED = {
    "litter": ("editor and tool files", "none: nothing on Lambda reads them"),
    "scheme": (
        "pip's scripts, data and header folders (bin/, share/, include/) nobody imports",
        "a function that runs one of these scripts as a program (rare) would lose it",
    ),
    "egg-link": (
        "*.egg-link files pointing at a folder of the build machine",
        "none: the folder they point to does not exist on Lambda",
    ),
}


def _unowned(f: Finding) -> str:
    return f"{f.values['files']:,} file(s) no distribution owns: {UNOWNED[f.code][0]}"


def _pth(f: Finding) -> str:
    v = f.values
    parts = [f"runs `{line}`" for line in v["runs"]]
    parts += [f"adds {', '.join(v['adds'])} to sys.path"] if v["adds"] else []
    parts += [f"names {', '.join(v['absent'])}, absent on Lambda (ignored)"] if v["absent"] else []
    does = "; ".join(parts) or "holds no path and no import (does nothing)"
    return f"{v['path']}{_in(f)} is processed at every cold start: {does}"


def _leftover(what: str, advice: str, risk: str) -> RuleWords:
    return RuleWords({"files": _counted(what, "files")}, _fixed(advice), _fixed(risk))


LEFTOVERS = {
    "secret-file": _leftover(
        "file(s) that look like secrets (content not shown)",
        "remove them from the package and rotate what they hold: anyone who can read the "
        "package (lambda:GetFunction) can read them; pass secrets as environment variables or "
        "from a secrets store",
        "code that reads configuration from such a file at run time needs it from the "
        "environment instead",
    ),
    "macos-metadata": _leftover(
        "macOS metadata file(s) (__MACOSX/, ._*, .DS_Store)",
        "zip without them: zip -r -X function.zip . -x '*.DS_Store' '__MACOSX/*' '._*'",
        "none: nothing on Lambda reads them",
    ),
    "vcs-folder": _leftover(
        "version-control file(s) (.git/, .hg/, .svn/)",
        "build the package from a clean folder or exclude them when zipping",
        "none: nothing on Lambda reads them",
    ),
    "node-modules": _leftover(
        "file(s) under node_modules/",
        "leave Node.js dependencies out of a Python function's package",
        "none for Python code; a program the function runs with node would lose them",
    ),
    "infra-template": _leftover(
        "deployment template and tool file(s) (SAM, CloudFormation, CDK, Terraform, Serverless)",
        "keep infrastructure code out of the function's folder (SAM: CodeUri on a subfolder)",
        "none: the function never reads its own templates (Terraform state can hold secrets)",
    ),
    "own-tests": _leftover(
        "file(s) of the function's own tests",
        "package only the function's code: keep tests beside it, not inside what is zipped",
        "none, unless the handler imports a module from its tests folder",
    ),
}

ROOT_ADVICE = (
    "zip the folder's contents, not the folder (cd build && zip -r ../function.zip .), or put "
    "the module in a layer's python/ folder"
)
ROOT_RISK = "none: the function cannot start as it is"

RULES: dict[str, RuleWords] = {
    "missing-dependency": RuleWords(
        {"unmet": _unmet, "unmet-on-some-patches": _unmet_sometimes},
        _fixed(
            "install the distributions with their dependencies (pip install --target, without "
            "--no-deps, for the target: --python-version and --platform) or add them to a layer"
        ),
        _fixed("none: it adds what the distribution declares it needs"),
    ),
    "handler-not-at-root": RuleWords(
        {"module-not-found": _module_not_found, "single-folder": _single_folder},
        _fixed(ROOT_ADVICE),
        _fixed(ROOT_RISK),
    ),
    "handler-not-found": RuleWords(
        {"function-not-defined": _no_function},
        _fixed("name the function the module defines, or define it at module level"),
        _fixed(ROOT_RISK),
    ),
    "layer-path-not-on-sys-path": RuleWords(
        {"never-imported": _stray, "partly-imported": _stray},
        _fixed(
            "rebuild the layer with pip install --target python/ (any Python) or into "
            "python/lib/python3.X/site-packages for the function's runtime, and zip from the "
            "folder that holds python/"
        ),
        _fixed("none: Lambda never imports the code where it is"),
    ),
    "unreadable-by-lambda": RuleWords(
        {"not-readable": _unreadable},
        _fixed(
            "make files readable and folders listable by everyone before zipping: find . -type "
            "f -exec chmod 644 {} + && find . -type d -exec chmod 755 {} + (755 for executables)"
        ),
        _fixed("none: the files are only read; nothing else changes"),
    ),
    "runtime-deprecated": RuleWords(
        {"deprecated": _deprecated},
        _fixed(
            "move the function to a supported runtime (python3.12 or newer runs on Amazon "
            "Linux 2023)"
        ),
        _fixed("a new Python version can change behaviour: test the function on it first"),
    ),
    "runtime-preview": RuleWords(
        {
            "preview": lambda f: (
                f"{f.values['runtime']} is in public preview since {f.values['preview_since']}: "
                "not for production"
            )
        },
        _fixed("use a generally available runtime for production"),
        _fixed("none for testing; a preview runtime may change before it is generally available"),
    ),
    "runtime-sdk": RuleWords(SDK_FOUND, _fixed(SDK_ADVICE), _fixed(SDK_RISK)),
    "tests-folder": RuleWords(
        FOLDERS,
        _fixed("test suites are not run on Lambda; exclude them when building the package"),
        _fixed("rarely, a library imports a helper from its own tests package at run time"),
    ),
    "testing-folder": RuleWords(
        FOLDERS,
        _fixed("test helpers; remove only after checking nothing imports them"),
        _fixed(
            "often a public module that code imports (numpy.testing, tornado.testing): removing "
            "it breaks those imports"
        ),
    ),
    "docs-folder": RuleWords(
        FOLDERS,
        _fixed("documentation is not needed at run time; exclude it when building the package"),
        _fixed("a library that reads its own docs at run time (rare) would fail"),
    ),
    "examples-folder": RuleWords(
        FOLDERS,
        _fixed("examples are not needed at run time; exclude them when building the package"),
        _fixed("a library that imports or reads its own examples at run time (rare) would fail"),
    ),
    "c-sources": RuleWords(
        {"files": _counted("C/C++/Cython source and header file(s)", "files")},
        _fixed("C/C++/Cython sources and headers are only needed to compile; exclude them"),
        _fixed("building other extensions against this package (never done on Lambda) needs them"),
    ),
    "type-stubs": RuleWords(
        {"files": _counted("type stub(s) (.pyi)", "files")},
        _fixed("type stubs are read by type checkers, never at run time; exclude them"),
        _fixed("none at run time; a type checker run inside the package would lose the types"),
    ),
    **BYTECODE,
    "incompatible-extension": RuleWords(
        dict.fromkeys(EXTENSION_ADVICE, _extension),
        lambda f: EXTENSION_ADVICE[f.code](f),
        _fixed("none: the file cannot load as it is; a rebuilt wheel may be a different release"),
    ),
    "incompatible-wheel": RuleWords(
        {"no-tag-fits": _wheel},
        _wheel_advice,
        _fixed(
            "none: the files this wheel installed may not load; a wheel built for the target "
            "replaces them"
        ),
    ),
    "debug-symbols": RuleWords(
        {
            "not-stripped": lambda f: (
                f"{f.values['files']:,} shared object(s){_in(f)} carry "
                f"{exact_bytes(f.values['debug_bytes'])} of debug sections and "
                f"{exact_bytes(f.values['symtab_bytes'])} of static symbols"
            )
        },
        _fixed(
            "strip --strip-unneeded removes both and keeps what loading needs (strip "
            "--strip-debug removes only the debug sections)"
        ),
        _fixed(
            "native stack traces and profilers lose function names and line numbers; the code "
            "runs the same"
        ),
    ),
    "duplicate-top-level": RuleWords(
        {"shadowed": _shadowed, "overwritten": _overwritten},
        _fixed("keep one copy: remove the one that is never imported (or the one you do not need)"),
        _fixed(
            "code written against the shadowed copy's version gets the other one already; "
            "removing the imported copy instead would switch every import to the other version"
        ),
    ),
    "duplicate-libs": RuleWords(
        {"identical-copies": _vendored},
        _fixed("keep one copy and replace the others with symbolic links to it"),
        _fixed(
            "each extension loads its own copy through its RPATH ($ORIGIN/../name.libs): "
            "deleting one breaks that import; replace it with a symbolic link instead"
        ),
    ),
    "unowned-files": RuleWords(
        dict.fromkeys(UNOWNED, _unowned),
        _fixed("leave them out of the package"),
        lambda f: UNOWNED[f.code][1],
    ),
    "pth-file": RuleWords(
        {"processed": _pth, "does-nothing": _pth},
        _fixed(
            "keep a .pth whose paths and imports the function needs; one that adds a missing "
            "path does nothing, and an import line costs init time at every cold start"
        ),
        _fixed(
            "deleting a .pth stops what it does: a path it adds or a module it imports at start-up"
        ),
    ),
    **LEFTOVERS,
}
WORD_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def _raw(f: Finding) -> str:
    """A finding this coldprof cannot word: its rule, code and values as they are."""
    values = "; ".join(f"{key} {value}" for key, value in f.values.items())
    return f"{f.rule} {f.code}" + (f" ({values})" if values else "")


def _worded(f: Finding, part: str) -> str:
    if f.code == LEGACY_TEXT:
        return display_path(str(f.values.get({"found": "text"}.get(part, part), "")))
    try:
        words = RULES[f.rule]
        text = words.found[f.code](f) if part == "found" else getattr(words, part)(f)
    except WORD_ERRORS:
        text = _raw(f) if part == "found" else ""
    return display_path(text)


def found(f: Finding) -> str:
    """What a finding found, in one printable line."""
    return _worded(f, "found")


def advice(f: Finding) -> str:
    """What to do about it ("" when this coldprof has no words for the rule)."""
    return _worded(f, "advice")


def risk(f: Finding) -> str:
    """What acting on the advice can break ("" when unknown)."""
    return _worded(f, "risk")
