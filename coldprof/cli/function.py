"""The shared options that describe the function under test, built from its record's settings:
the same flags, parsers and help on every command that runs a handler."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import click
from click.core import ParameterSource

from coldprof.function import KEYS, SETTINGS, FunctionConfig
from coldprof.function.settings import LIST, MAP, SWITCH, Setting, collect, read_item

FIELDS = {field.name: field for field in dataclasses.fields(FunctionConfig)}
# What a command that runs the handler takes: TARGET and every setting but the architecture.
RUN_KEYS = (
    "target",
    "handler",
    "layers",
    "python",
    "runtime",
    "runtime_sdk",
    "runtime_client",
    "lazy_imports",
    "credentials",
    "env",
    "memory",
    "timeout",
    "cpu_share",
    "init_cpu",
    "cold_cache",
    "ephemeral_storage",
    "region",
)


class SettingType(click.ParamType):
    """A click type that reads one value with the setting's own parser."""

    def __init__(self, setting: Setting):
        self.setting = setting
        self.name = setting.key

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The value read by the setting's parser (click's usage error when it is not valid)."""
        if not isinstance(value, str):
            return value
        try:
            return read_item(self.setting, value)
        except ValueError as error:
            self.fail(f"expected {error}", param, ctx)


def _default(name: str) -> dict[str, Any]:
    """The record's default as an option's, for --help (a value given only by default is not
    passed on: the record has it already); nothing when the record has none to show."""
    default = FIELDS[name].default
    if default in (None, (), dataclasses.MISSING):
        return {}
    return {"default": default, "show_default": True}


def _option(name: str, required: bool, defaults: bool) -> Callable:
    setting = SETTINGS[name]
    if setting.flag is None:
        return click.argument(name, type=SettingType(setting), required=required)
    if setting.kind == SWITCH:
        return click.option(
            f"{setting.flag}/--no-{setting.flag[2:]}",
            name,
            default=FIELDS[name].default,
            help=setting.help,
        )
    return click.option(
        setting.flag,
        name,
        type=SettingType(setting),
        multiple=setting.kind in (LIST, MAP),
        required=required,
        metavar=setting.metavar or None,
        help=setting.help,
        **(_default(name) if defaults else {}),
    )


def given_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Field -> value for the settings given on the command line (repeated ones collected)."""
    ctx = click.get_current_context()
    given = {}
    for name, value in values.items():
        setting = SETTINGS[name]
        if ctx.get_parameter_source(name) is ParameterSource.DEFAULT:
            continue
        try:
            is_list = setting.kind in (LIST, MAP)
            given[name] = collect(setting, list(value)) if is_list else value
        except ValueError as error:
            raise click.BadParameter(f"expected {error}", param_hint=setting.flag) from None
    return given


def function_options(
    *keys: str,
    required: tuple[str, ...] = (),
    defaults: bool = True,
    optional_target: bool = False,
) -> Callable:
    """The options (and TARGET argument) of the settings `keys`, in that order; the command
    gets `settings`: field -> value for those the user gave. `defaults`: show Lambda's in
    --help (not where the options override a configuration file's values); `optional_target`:
    TARGET may be left out (a configuration file gives it)."""
    names = [KEYS[key] for key in keys]

    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            settings = given_settings({name: kwargs.pop(name) for name in names})
            return command(settings=settings, **kwargs)

        for name in reversed(names):
            key = SETTINGS[name].key
            needed = key in required or (key == "target" and not optional_target)
            wrapper = _option(name, needed, defaults)(wrapper)
        return wrapper

    return decorate
