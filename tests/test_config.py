"""[tool.coldprof] loading: sizes, durations, growth, defaults and the errors a user reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coldprof.config import load_config, parse_duration_ms, parse_growth, parse_size
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig


def write_config(folder: Path, text: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(folder: Path, text: str) -> str:
    with pytest.raises(UsageError) as caught:
        load_config(write_config(folder, text))
    return caught.value.message


@pytest.mark.parametrize(
    ("written", "expected_bytes"),
    [
        ("50 MiB", 52_428_800),
        ("50MiB", 52_428_800),
        ("50 MB", 50_000_000),
        ("52428800", 52_428_800),
        (52_428_800, 52_428_800),
        ("250 mb", 250_000_000),
        ("1.5 KiB", 1_536),
        ("1 GiB", 1_073_741_824),
        ("2 GB", 2_000_000_000),
        ("0", 0),
        ("12 B", 12),
    ],
)
def test_sizes_in_decimal_and_binary_units(written, expected_bytes):
    assert parse_size(written) == expected_bytes


@pytest.mark.parametrize(
    "written", ["50 MiBs", "-5 MB", "fifty MB", "1.5", "0.1 B", "", True, 5.0, "5 Mb/s", [1]]
)
def test_bad_sizes_say_what_is_expected(written):
    with pytest.raises(ValueError, match='"50 MiB"'):
        parse_size(written)


@pytest.mark.parametrize(
    ("written", "expected_ms"),
    [("800 ms", 800.0), ("1.5 s", 1500.0), ("800ms", 800.0), (800, 800.0), (12.5, 12.5)],
)
def test_durations_in_ms_and_seconds(written, expected_ms):
    assert parse_duration_ms(written) == expected_ms


@pytest.mark.parametrize("written", ["800 us", "0 ms", "-1 s", "soon", 0, True, float("inf")])
def test_bad_durations_say_what_is_expected(written):
    with pytest.raises(ValueError, match='"800 ms"'):
        parse_duration_ms(written)


def test_growth_as_percentage_or_size():
    assert parse_growth("5%").fraction == pytest.approx(0.05)
    assert parse_growth("5%").growth_bytes is None
    assert parse_growth("2 MB").growth_bytes == 2_000_000
    assert parse_growth("1 MiB").growth_bytes == 1_048_576
    assert parse_growth("2 MB").fraction is None
    for bad in ("5", "5 ms", "-5%", 0.05):
        with pytest.raises(ValueError, match='"5%"'):
            parse_growth(bad)


def test_defaults_are_lambda_limits_in_exact_bytes(tmp_path):
    config = load_config(write_config(tmp_path, '[tool.coldprof]\ntarget = "build"\n'))
    assert config.function == FunctionConfig(target=tmp_path / "build")
    assert config.budget.zipped_bytes == 52_428_800
    assert config.budget.unzipped_bytes == 262_144_000
    assert config.budget.init_ms is None
    assert config.budget.forbid == ()
    assert config.budget.allow_incompatible_extensions is False
    assert config.budget.require_valid_bytecode is False
    assert config.runs == 5
    function = config.function
    assert (function.memory_mb, function.timeout_s, function.region) == (128, 3.0, "us-east-1")
    assert (function.arch, function.env, function.runtime_sdk) == ("x86_64", {}, None)


def test_every_key_read_and_paths_relative_to_the_config(tmp_path):
    text = """
[project]
name = "service"

[tool.coldprof]
target = "build/function.zip"
handler = "app.handler"
layers = ["layers/deps.zip"]
runtime = "python3.12"
arch = "arm64"
runs = 7
runtime_sdk = "sdk"
python = "python3.12"
memory = 512
timeout = "2.5"
region = "eu-west-3"
env = {STAGE = "prod", TABLE = "orders"}

[tool.coldprof.budget]
zipped = "40 MiB"
unzipped = "200 MB"
init_ms = "1.2 s"
forbid = ["boto3", "Boto_Core"]
max_distribution = "30 MiB"
require_valid_bytecode = true
allow_incompatible_extensions = true
baseline = "ci/coldprof-baseline.json"
max_growth = "5%"
"""
    config = load_config(write_config(tmp_path, text))
    budget = config.budget
    assert config.runs == 7
    assert config.function == FunctionConfig(
        target=tmp_path / "build" / "function.zip",
        handler="app.handler",
        layers=(tmp_path / "layers" / "deps.zip",),
        runtime="python3.12",
        arch="arm64",
        runtime_sdk=tmp_path / "sdk",
        python="python3.12",
        memory_mb=512,
        timeout_s=2.5,
        region="eu-west-3",
        env={"STAGE": "prod", "TABLE": "orders"},
    )
    assert budget.zipped_bytes == 41_943_040
    assert budget.unzipped_bytes == 200_000_000
    assert budget.init_ms == 1200.0
    assert budget.forbid == ("boto3", "boto-core")
    assert budget.max_distribution_bytes == 31_457_280
    assert budget.require_valid_bytecode is True
    assert budget.allow_incompatible_extensions is True
    assert budget.baseline == tmp_path / "ci" / "coldprof-baseline.json"
    assert budget.max_growth.fraction == pytest.approx(0.05)
    assert config.line_of("budget.zipped") == 20
    assert config.line_of("budget.max_growth") == 28
    assert config.line_of("target") == 6
    assert config.line_of("env") == 17


def test_typo_in_a_budget_key_suggests_the_closest(tmp_path):
    message = load_error(
        tmp_path, '[tool.coldprof]\ntarget = "b"\n\n[tool.coldprof.budget]\nzippd = "50 MiB"\n'
    )
    assert message == (
        f"{tmp_path / 'pyproject.toml'}:5: [tool.coldprof.budget] zippd: unknown key; "
        "did you mean 'zipped'?"
    )


def test_typo_in_a_top_level_key_suggests_the_closest(tmp_path):
    message = load_error(tmp_path, '[tool.coldprof]\ntarget = "b"\nhandlr = "app.handler"\n')
    assert "[tool.coldprof] handlr: unknown key; did you mean 'handler'?" in message
    message = load_error(tmp_path, '[tool.coldprof]\ntarget = "b"\nruntime-sdk = "sdk"\n')
    assert message == (
        f"{tmp_path / 'pyproject.toml'}:3: [tool.coldprof] runtime-sdk: unknown key; "
        "did you mean 'runtime_sdk'?"
    )


def test_env_as_a_sub_table_or_dotted_keys_and_its_errors_name_the_line(tmp_path):
    text = '[tool.coldprof]\ntarget = "b"\nenv.STAGE = "dev"\n\n[tool.coldprof.env]\nA_B = "1"\n'
    with pytest.raises(UsageError):  # TOML itself refuses a table defined twice
        load_config(write_config(tmp_path, text))
    text = '[tool.coldprof]\ntarget = "b"\n\n[tool.coldprof.env]\nSTAGE = "dev"\nA = "x"\n'
    assert load_config(write_config(tmp_path, text)).function.env == {"STAGE": "dev", "A": "x"}
    text = '[tool.coldprof]\ntarget = "b"\nenv.STAGE = "dev"\nenv.LAMBDA_TASK_ROOT = "/x"\n'
    message = load_error(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'pyproject.toml'}:3: [tool.coldprof] env: expected")
    assert "LAMBDA_TASK_ROOT is reserved" in message


def test_budget_key_at_the_top_level_says_where_it_belongs(tmp_path):
    message = load_error(tmp_path, '[tool.coldprof]\ntarget = "b"\nzipped = "5 MB"\n')
    assert "zipped: unknown key; it belongs in [tool.coldprof.budget]" in message


def test_unrelated_unknown_key_lists_the_known_ones(tmp_path):
    message = load_error(tmp_path, '[tool.coldprof]\ntarget = "b"\ncolour = "red"\n')
    assert "colour: unknown key; known keys: target, handler, layers" in message


def test_bad_size_names_the_key_line_and_what_is_expected(tmp_path):
    text = '[tool.coldprof]\ntarget = "b"\n[tool.coldprof.budget]\nunzipped = "250 megabytes"\n'
    message = load_error(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'pyproject.toml'}:4: [tool.coldprof.budget] unzipped")
    assert 'expected a size: whole bytes (52428800) or a string like "50 MiB" or "50 MB"' in message


@pytest.mark.parametrize(
    ("budget_line", "expected"),
    [
        (
            'init_ms = "fast"',
            'init_ms: expected a duration: milliseconds (800) or a string like "800 ms"',
        ),
        (
            'forbid = "boto3"',
            'forbid: expected a list of distribution names, like ["boto3", "botocore"]',
        ),
        ('forbid = ["-bad name-"]', "forbid: expected a list of distribution names"),
        ('require_valid_bytecode = "yes"', "require_valid_bytecode: expected true or false"),
        ('max_growth = "5"', 'max_growth: expected a growth: a percentage like "5%" or a size'),
        ('max_growth = "5%"', "max_growth needs a baseline file: set baseline too"),
    ],
)
def test_malformed_budget_values(tmp_path, budget_line, expected):
    top = '[tool.coldprof]\ntarget = "b"\nhandler = "app.handler"\n'
    text = f"{top}[tool.coldprof.budget]\n{budget_line}\n"
    assert expected in load_error(tmp_path, text)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('runtime = "python2.7"', "runtime: expected one of Lambda's Python runtimes: python3.9"),
        ('arch = "amd64"', "arch: expected one of x86_64, arm64"),
        ("runs = 0", "runs: expected a whole number of runs from 1 to 100"),
        ('handler = "app"', 'handler: expected a handler like "app.handler"'),
        ('layers = ["a", "b", "c", "d", "e", "f"]', "layers: expected a list of at most 5 layer"),
        ('budget = "tight"', "budget: expected a table"),
        ("memory = 64", "memory: expected a memory size in MB, a whole number from 128 to 10240"),
        ("memory = 128.5", "memory: expected a memory size in MB, a whole number"),
        ('timeout = "soon"', "timeout: expected a timeout in seconds, above 0 and at most 900"),
        ("timeout = 0", "timeout: expected a timeout in seconds"),
        ('region = "Mars"', "region: expected an AWS region like us-east-1"),
        ("runtime_sdk = 3", "runtime_sdk: expected the path of a folder holding boto3"),
        ('env = "STAGE=prod"', 'env: expected a table of NAME = "VALUE"'),
        ("env = {PORT = 8080}", 'env: expected a string value for PORT (TOML: PORT = "...")'),
        ('env = {AWS_REGION = "x"}', "env: expected a variable Lambda lets a function set; AWS_"),
    ],
)
def test_malformed_top_level_values(tmp_path, line, expected):
    assert expected in load_error(tmp_path, f'[tool.coldprof]\ntarget = "b"\n{line}\n')


def test_init_budget_needs_a_handler(tmp_path):
    text = '[tool.coldprof]\ntarget = "b"\n[tool.coldprof.budget]\ninit_ms = 800\n'
    assert "init_ms needs [tool.coldprof] handler" in load_error(tmp_path, text)


def test_missing_target_says_what_to_set(tmp_path):
    message = load_error(tmp_path, '[tool.coldprof]\nruntime = "python3.12"\n')
    assert "[tool.coldprof] target is missing: set it to the path of the package" in message


def test_files_that_are_not_a_config(tmp_path):
    assert "has no [tool.coldprof] table" in load_error(tmp_path, '[project]\nname = "x"\n')
    assert "is not valid TOML" in load_error(tmp_path, "[tool.coldprof\n")
    assert "[tool.coldprof] must be a table" in load_error(tmp_path, "tool.coldprof = 3\n")
    with pytest.raises(UsageError, match="not found"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(UsageError, match="is not a file"):
        load_config(tmp_path)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[tool]")
    with pytest.raises(UsageError, match="is not UTF-8 text"):
        load_config(binary)
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"#" * (1024 * 1024 + 1))
    with pytest.raises(UsageError, match="larger than 1,048,576 B"):
        load_config(huge)


def test_a_fifo_as_config_is_never_opened(tmp_path):
    fifo = tmp_path / "pyproject.toml"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match="is not a file"):
        load_config(fifo)


def test_deeply_nested_toml_is_a_usage_error(tmp_path):
    text = "x = " + "[" * 100_000 + "]" * 100_000 + '\n[tool.coldprof]\ntarget = "b"\n'
    message = load_error(tmp_path, text)
    assert "is not valid TOML" in message
