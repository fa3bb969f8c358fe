"""Real results of every kind, made by running the commands on the fixtures (once per session).

Each is the JSON document a command printed with --format json, as text, so that tests can
read it back with coldprof.results.loads and compare it byte for byte.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from click.testing import CliRunner

from coldprof.bench.driver import Measured
from coldprof.bench.run import BenchOptions, assemble
from coldprof.check.result import CheckResult, Measurements
from coldprof.cli import main
from coldprof.function import FunctionConfig
from coldprof.results import loads
from coldprof.sandbox import InterpreterInfo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEMO = FIXTURES / "demo_function"
KNOWN_TREE = FIXTURES / "imports" / "known_tree"
LAYERED = FIXTURES / "imports" / "layered"
HANDLERS = FIXTURES / "handlers"
SCRIPTED = FIXTURES / "bench" / "scripted"
SLIM = FIXTURES / "slim"
CHECK_CONFIG = """
[tool.coldprof]
target = "{target}"
layers = ["{layer}"]
handler = "app.handler"
runs = 2

[tool.coldprof.budget]
zipped = "1 KiB"
init_ms = "30 s"
forbid = ["slow-b", "boto3"]
max_distribution = "1 KiB"
require_valid_bytecode = true
baseline = "baseline.json"
max_growth = "5%"
"""


def command(*args: str, exit_codes: tuple[int, ...] = (0,)) -> str:
    """A coldprof command's stdout (its JSON document)."""
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code in exit_codes, result.output
    return result.stdout


def _check(folder: Path) -> str:
    config = folder / "pyproject.toml"
    text = CHECK_CONFIG.format(target=KNOWN_TREE, layer=LAYERED / "layer")
    config.write_text(text, encoding="utf-8")
    command("check", "--config", str(config), "--update-baseline", exit_codes=(1,))
    return command("check", "--config", str(config), exit_codes=(1,))


def documents(folder: Path) -> dict[str, str]:
    """name -> JSON document of every kind, normal and failing, from the real commands."""
    function, layer = str(LAYERED / "function"), str(LAYERED / "layer")
    failing = ["--event", '{"fail_every": 3, "crash_at": 4}']
    return {
        "analyze": command("analyze", str(DEMO)),
        "analyze-layered": command("analyze", function, "--layer", layer),
        "imports": command("imports", str(KNOWN_TREE), "--handler", "app.handler", "--repeat", "2"),
        "imports-deferred": command(
            *["imports", str(FIXTURES / "imports" / "deferred"), "--handler", "app.handler"],
            *["--repeat", "1", "--event", "{}", "--event", '{"kind": "second"}'],
        ),
        "imports-failed": command(
            *["imports", str(HANDLERS / "raises_at_import"), "--handler", "app.handler"],
            *["--repeat", "1"],
            exit_codes=(1,),
        ),
        "bench-compared": command(
            *["bench", str(HANDLERS / "trivial"), "--handler", "app.handler"],
            *["--cold", "3", "--warm", "2", "--compare", str(KNOWN_TREE)],
        ),
        "bench-failing": command(
            *["bench", str(SCRIPTED), "--handler", "app.handler", "--cold", "2", "--warm", "4"],
            *failing,
            exit_codes=(1,),
        ),
        "check": _check(folder),
        "slim": command(
            *["slim", str(SLIM / "function"), "--handler", "app.handler", "--repeat", "2"],
            *["-o", str(folder / "slim.zip"), "--event", '{"numbers": [1, 2, 3]}'],
        ),
        "slim-failed": command(
            *["slim", str(SLIM / "imports_its_tests"), "--handler", "app.handler"],
            *["--repeat", "1", "--check"],
            exit_codes=(1,),
        ),
    }


EMPTY_FUNCTION = FunctionConfig(target=Path("app"), handler="app.handler")


def empty_results(folder: Path, real: dict[str, str]) -> dict[str, object]:
    """A result of each kind with nothing in it: no files, no samples, no budgets."""
    (folder / "empty").mkdir()
    check: CheckResult = loads(real["check"], "check")
    python = InterpreterInfo("/usr/bin/python3.12", (3, 12))
    nothing = Measured((), (), interrupted=True)
    return {
        "analyze-empty": loads(command("analyze", str(folder / "empty")), "analyze"),
        "imports-empty": loads(real["imports-failed"], "imports"),
        "bench-empty": assemble("app", EMPTY_FUNCTION, BenchOptions(), python, nothing),
        "slim-empty": loads(
            command(
                *["slim", str(HANDLERS / "trivial"), "--handler", "app.handler", "--check"],
                *["--repeat", "1", "--drop", "none", "--bytecode", "none"],
            ),
            "slim",
        ),
        "check-empty": dataclasses.replace(
            check,
            budgets=(),
            ok=True,
            measurements=Measurements(
                zipped_bytes=0, zipped_exact=True, unzipped_bytes=0, init_ms=None
            ),
        ),
    }
