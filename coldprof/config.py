"""[tool.coldprof] in pyproject.toml: loading, validation, and size, duration and growth parsing.

The function's keys (target, handler, layers, runtime, memory, env, ...) are the settings of
coldprof.function.FunctionConfig, read by the same parsers as the command line's options.
Sizes: a whole number of bytes (52428800 or "52428800") or a number and a unit: B, KB, MB, GB
(powers of 10: 1 MB = 1,000,000 bytes) or KiB, MiB, GiB (powers of 2: 1 MiB = 1,048,576 bytes).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from packaging.utils import InvalidName, canonicalize_name

from coldprof.data import lambda_facts
from coldprof.errors import UsageError
from coldprof.function import SETTINGS, FunctionConfig
from coldprof.function.settings import Setting, read_value, unknown_key
from coldprof.render.units import exact_bytes

MAX_CONFIG_BYTES = 1024 * 1024
DEFAULT_RUNS = 5
MAX_RUNS = 100
SIZE_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
}
DURATION_UNITS_MS = {"ms": Decimal(1), "s": Decimal(1000)}
SIZE_EXPECTED = 'a size: whole bytes (52428800) or a string like "50 MiB" or "50 MB"'
DURATION_EXPECTED = 'a duration: milliseconds (800) or a string like "800 ms" or "1.5 s"'
TARGET_EXPECTED = "the path of the package folder or .zip to check"
FUNCTION_KEYS = tuple(setting.key for setting in SETTINGS.values())
GROWTH_EXPECTED = 'a growth: a percentage like "5%" or a size like "2 MB"'
NUMBER_AND_UNIT = re.compile(r"\s*(\d{1,20}(?:\.\d{1,20})?)\s*([A-Za-z%]*)\s*")
TOP_KEYS = (*FUNCTION_KEYS, "runs", "budget")
BUDGET_KEYS = (
    "zipped",
    "unzipped",
    "init_ms",
    "forbid",
    "max_distribution",
    "require_valid_bytecode",
    "allow_incompatible_extensions",
    "allow_errors",
    "baseline",
    "max_growth",
)
TOP_TABLE = "tool.coldprof"
BUDGET_TABLE = "tool.coldprof.budget"
ENV_TABLE = "tool.coldprof.env"


@dataclass(frozen=True)
class Growth:
    """How much the package or the init time may grow against the baseline."""

    text: str  # as written: "5%" or "2 MB"
    fraction: float | None  # 0.05 for "5%"; None for a size
    growth_bytes: int | None  # 2,000,000 for "2 MB"; None for a percentage


@dataclass(frozen=True, kw_only=True)
class Budget:
    """The limits of [tool.coldprof.budget], defaults filled in."""

    zipped_bytes: int
    unzipped_bytes: int
    init_ms: float | None
    forbid: tuple[str, ...]  # normalized distribution names
    max_distribution_bytes: int | None
    require_valid_bytecode: bool
    allow_incompatible_extensions: bool
    baseline: Path | None
    max_growth: Growth | None
    allow_errors: bool = False  # analyze's error findings (other than extensions) pass


@dataclass(frozen=True, kw_only=True)
class Config:
    """A validated [tool.coldprof] table; paths are relative to the config file's folder."""

    path: Path
    function: FunctionConfig  # the function under test: target, handler, runtime, limits, ...
    runs: int
    budget: Budget
    key_lines: Mapping[str, int] = field(default_factory=dict)  # "budget.zipped" -> line number

    def line_of(self, key: str) -> int | None:
        """The line of a key ("target", "budget.zipped") in the config file, if written there."""
        return self.key_lines.get(key)


def _number_and_unit(value: str) -> tuple[Decimal, str] | None:
    match = NUMBER_AND_UNIT.fullmatch(value)
    return None if match is None else (Decimal(match[1]), match[2].lower())


def parse_size(value: object) -> int:
    """Bytes from 52428800, "52428800", "50 MiB" or "50 MB" (ValueError saying what is expected)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    parsed = _number_and_unit(value) if isinstance(value, str) else None
    multiplier = {"": 1, **SIZE_UNITS}.get(parsed[1]) if parsed else None
    if parsed is None or multiplier is None:
        raise ValueError(SIZE_EXPECTED)
    size = parsed[0] * multiplier
    if size != size.to_integral_value():
        raise ValueError(f"{SIZE_EXPECTED}, a whole number of bytes")
    return int(size)


def parse_duration_ms(value: object) -> float:
    """Milliseconds from 800, 1.5, "800 ms" or "1.5 s" (ValueError saying what is expected)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 10**9:
        return float(value)
    parsed = _number_and_unit(value) if isinstance(value, str) else None
    if parsed is None or parsed[1] not in DURATION_UNITS_MS or parsed[0] <= 0:
        raise ValueError(DURATION_EXPECTED + ", above zero")
    return float(parsed[0] * DURATION_UNITS_MS[parsed[1]])


def parse_growth(value: object) -> Growth:
    """A Growth from "5%" or "2 MB" (ValueError saying what is expected)."""
    parsed = _number_and_unit(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError(GROWTH_EXPECTED)
    number, unit = parsed
    if unit == "%":
        return Growth(value.strip(), float(number / 100), None)
    if unit not in SIZE_UNITS:
        raise ValueError(GROWTH_EXPECTED)
    try:
        return Growth(value.strip(), None, parse_size(value))
    except ValueError:
        raise ValueError(GROWTH_EXPECTED) from None


def _read_text(path: Path) -> str:
    """The config file's text, refusing what cannot be a config file."""
    if not path.is_file():
        what = "is not a file" if path.exists() else "not found"
        raise UsageError(f"config file {path} {what} (pass --config FILE)")
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise UsageError(f"cannot read config file {path}: {error.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise UsageError(
            f"{path} is larger than {exact_bytes(MAX_CONFIG_BYTES)}: not a config file"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{path} is not UTF-8 text (byte {error.start})") from None


def _parse_toml(path: Path, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path} is not valid TOML: {error}") from None
    except RecursionError:
        raise UsageError(f"{path} is not valid TOML: nested too deeply") from None


def key_lines(text: str) -> dict[str, int]:
    """The line of each key of [tool.coldprof] and its budget table: "budget.zipped" -> 12; a
    dotted key or a sub-table (`env.STAGE = ...`, [tool.coldprof.env]) also gives its parent's."""
    prefixes = {TOP_TABLE: "", BUDGET_TABLE: "budget.", ENV_TABLE: "env."}
    lines: dict[str, int] = {}
    prefix: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        header = re.fullmatch(r"\s*\[+\s*([^\]]+?)\s*\]+\s*(#.*)?", line)
        if header:
            prefix = prefixes.get(header[1].replace('"', ""))
            if prefix == "env.":
                lines.setdefault("env", number)
            continue
        key = re.match(r"\s*\"?([\w.-]+?)\"?\s*=", line)
        if key and prefix is not None:
            lines.setdefault(prefix + key[1], number)
            lines.setdefault(prefix + key[1].split(".")[0], number)
    return lines


class _Reader:
    """Reads values from one table, each error naming the file, line, table and key."""

    def __init__(self, path: Path, table: str, values: dict[str, Any], lines: dict[str, int]):
        self.path = path
        self.table = table
        self.values = values
        self.lines = lines
        self.prefix = "budget." if table == BUDGET_TABLE else ""

    def where(self, key: str) -> str:
        line = self.lines.get(self.prefix + key)
        location = f"{self.path}:{line}" if line else str(self.path)
        return f"{location}: [{self.table}] {key}"

    def reject_unknown(self, known: tuple[str, ...], elsewhere: tuple[str, ...]) -> None:
        for key in self.values:
            if key in elsewhere:
                raise UsageError(f"{self.where(key)}: unknown key; it belongs in [{BUDGET_TABLE}]")
            if key not in known:
                raise UsageError(f"{self.where(key)}: {unknown_key(key, known)}")

    def get(self, key: str, parse: Callable[[Any], Any], default: Any = None) -> Any:
        if key not in self.values:
            return default
        try:
            return parse(self.values[key])
        except ValueError as error:
            raise UsageError(f"{self.where(key)}: expected {error}") from None

    def require(self, key: str, parse: Callable[[Any], Any], what: str) -> Any:
        if key not in self.values:
            raise UsageError(f"{self.where(key)} is missing: set it to {what}")
        return self.get(key, parse)


def _text(what: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or not value.strip() or not value.isprintable():
            raise ValueError(what)
        return value

    return parse


def _runs(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RUNS:
        raise ValueError(f"a whole number of runs from 1 to {MAX_RUNS}")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _forbid(value: Any) -> tuple[str, ...]:
    expected = 'a list of distribution names, like ["boto3", "botocore"]'
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(expected)
    try:
        return tuple(dict.fromkeys(canonicalize_name(v, validate=True) for v in value))
    except InvalidName:
        raise ValueError(expected) from None


def _budget(reader: _Reader, base: Path, has_handler: bool) -> Budget:
    reader.reject_unknown(BUDGET_KEYS, ())
    limits = lambda_facts()["limits"]
    baseline = reader.get("baseline", _text("a path to the baseline JSON file"))
    budget = Budget(
        zipped_bytes=reader.get("zipped", parse_size, limits["zipped_direct_upload_bytes"]),
        unzipped_bytes=reader.get("unzipped", parse_size, limits["unzipped_with_layers_bytes"]),
        init_ms=reader.get("init_ms", parse_duration_ms),
        forbid=reader.get("forbid", _forbid, ()),
        max_distribution_bytes=reader.get("max_distribution", parse_size),
        require_valid_bytecode=reader.get("require_valid_bytecode", _flag, False),
        allow_incompatible_extensions=reader.get("allow_incompatible_extensions", _flag, False),
        allow_errors=reader.get("allow_errors", _flag, False),
        baseline=base / baseline if baseline else None,
        max_growth=reader.get("max_growth", parse_growth),
    )
    if budget.max_growth is not None and budget.baseline is None:
        raise UsageError(f"{reader.where('max_growth')} needs a baseline file: set baseline too")
    if budget.init_ms is not None and not has_handler:
        raise UsageError(f"{reader.where('init_ms')} needs [{TOP_TABLE}] handler to measure init")
    return budget


def _coldprof_table(path: Path, document: dict[str, Any]) -> dict[str, Any]:
    tool = document.get("tool")
    table = tool.get("coldprof") if isinstance(tool, dict) else None
    if table is None:
        raise UsageError(f"{path} has no [{TOP_TABLE}] table (see docs/check.md)")
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [{TOP_TABLE}] must be a table")
    return table


def _function(reader: _Reader, base: Path) -> FunctionConfig:
    """The function the table describes: its keys read by the shared settings' parsers."""
    reader.require("target", _text(TARGET_EXPECTED), TARGET_EXPECTED)
    values = {
        name: _relative(base, setting, reader.get(setting.key, partial(read_value, setting)))
        for name, setting in SETTINGS.items()
        if setting.key in reader.values
    }
    return FunctionConfig(**values)


def _relative(base: Path, setting: Setting, value: Any) -> Any:
    """A path setting's value relative to the config file's folder."""
    if not setting.path:
        return value
    if isinstance(value, tuple):
        return tuple(base / path for path in value)
    return base / value


def load_config(path: Path) -> Config:
    """The validated [tool.coldprof] table of a pyproject.toml (UsageError naming the bad key)."""
    text = _read_text(path)
    table = _coldprof_table(path, _parse_toml(path, text))
    lines = key_lines(text)
    reader = _Reader(path, TOP_TABLE, table, lines)
    reader.reject_unknown(TOP_KEYS, BUDGET_KEYS)
    budget_values = table.get("budget", {})
    if not isinstance(budget_values, dict):
        raise UsageError(f"{reader.where('budget')}: expected a table")
    base = path.parent
    function = _function(reader, base)
    has_handler = function.handler is not None
    budget = _budget(_Reader(path, BUDGET_TABLE, budget_values, lines), base, has_handler)
    return Config(
        path=path,
        function=function,
        runs=reader.get("runs", _runs, DEFAULT_RUNS),
        budget=budget,
        key_lines=lines,
    )
