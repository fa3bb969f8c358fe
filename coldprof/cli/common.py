"""What every command shares: output options, writing results, turning errors into exit codes."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from coldprof.errors import EXIT_USAGE, ColdprofError
from coldprof.render import format_for_path, render
from coldprof.report import format_for as report_format_for
from coldprof.report import write_result_report

REPORT_KEY = "coldprof.report"


def _check_output(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Fail before any work when the output file's format cannot be told from its name."""
    if value is not None:
        try:
            format_for_path(value)
        except ColdprofError as error:
            raise click.BadParameter(error.message) from None
    return value


def _remember_report(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    """Check --report's file name before any work, and keep it for emit()."""
    if value is not None:
        try:
            report_format_for(value)
        except ColdprofError as error:
            raise click.BadParameter(error.message) from None
    ctx.meta[REPORT_KEY] = value


def output_options(
    formats: list[str], output_flags: tuple[str, ...] = ("--output", "-o")
) -> Callable:
    """--format, --output and --report, the same on every command (`output_flags`: the result
    file's option, where -o names something else, as slim's package)."""

    def decorate(command: Callable) -> Callable:
        command = click.option(
            "--report",
            type=click.Path(dir_okay=False, path_type=Path),
            callback=_remember_report,
            expose_value=False,
            help="Also write a report: FILE.html (charts; needs coldprof[report]) or FILE.md.",
        )(command)
        command = click.option(
            *output_flags,
            "output",
            type=click.Path(dir_okay=False, path_type=Path),
            callback=_check_output,
            help="Also write the result to FILE, in the format its extension names "
            "(.json, .md, ...).",
        )(command)
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(formats),
            default=None,
            help=f"Format printed on stdout (default: table; with {output_flags[0]} and no "
            "--format, the table still goes to the screen).",
        )(command)

    return decorate


def emit(result: Any, fmt: str | None, output: Path | None) -> None:
    """Print the result on stdout and, with --output, write it to the file too."""
    if output is not None:
        text = render(result, format_for_path(output))
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    click.echo(render(result, fmt or "table"), nl=False)
    if output is not None:
        click.echo(f"wrote {output}", err=True)
    report = click.get_current_context().meta.get(REPORT_KEY)
    if report is not None:
        click.echo(f"wrote {write_result_report(result, report)}", err=True)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stop(signum: int, frame: object) -> None:
    """The first stop signal interrupts the command; later ones wait for its clean-up."""
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise KeyboardInterrupt


@contextlib.contextmanager
def signals_as_ctrl_c() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) and SIGHUP (a closed terminal) act as Ctrl-C does: every
    environment is ended, every temporary folder removed, and the samples so far kept."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _stop) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def handle_errors(command: Callable) -> Callable:
    """Turn a ColdprofError into one line on stderr and its exit code; --debug shows the trace.
    SIGTERM and SIGHUP are Ctrl-C while the command runs."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool((click.get_current_context().find_root().obj or {}).get("debug"))
        try:
            with signals_as_ctrl_c():
                return command(*args, **kwargs)
        except ColdprofError as error:
            if debug:
                raise
            click.echo(f"coldprof: error: {error.message}", err=True)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("coldprof: interrupted", err=True)
            sys.exit(130)
        except OSError as error:
            if debug:
                raise
            click.echo(f"coldprof: error: {error}", err=True)
            sys.exit(EXIT_USAGE if isinstance(error, FileNotFoundError) else 1)

    return wrapper
