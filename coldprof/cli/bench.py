"""`coldprof bench`: cold against warm, measured locally like Lambda does."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from coldprof.bench.driver import Observer, Progress
from coldprof.bench.event import load_event
from coldprof.bench.result import BenchResult
from coldprof.bench.run import BenchOptions, bench
from coldprof.cli.common import emit, handle_errors, output_options
from coldprof.cli.function import RUN_KEYS, function_options
from coldprof.cli.invoke import event_option
from coldprof.errors import EXIT_FAILED
from coldprof.function import FunctionConfig

EXIT_INTERRUPTED = 130


@contextmanager
def progress_observer(total: int) -> Iterator[Observer | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise (CI, pipes)."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=total, label="cold samples", file=sys.stderr) as bar:

        def advance(progress: Progress) -> None:
            bar.label = f"{progress.label}: cold samples"
            bar.update(1)

        yield advance


def exit_status(result: BenchResult) -> tuple[int, str]:
    """1 when a sample failed, 130 when interrupted, else 0; and a line saying why."""
    if result.failed:
        failed = sum(len(run.errors) for run in result.runs)
        return EXIT_FAILED, f"coldprof: {failed} failed phase(s) recorded; see the errors"
    if any(run.interrupted for run in result.runs):
        return EXIT_INTERRUPTED, "coldprof: interrupted; the result covers the samples measured"
    return 0, ""


@click.command("bench")
@function_options(*RUN_KEYS, "arch", required=("handler",))
@event_option
@click.option(
    "--cold",
    default=10,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Cold samples: each one a new environment.",
)
@click.option(
    "--warm",
    default=10,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help="Warm invocations in each cold sample's environment, after its first invocation.",
)
@click.option(
    "--warmup",
    default=1,
    show_default=True,
    type=click.IntRange(0, 1000),
    help="Cold samples run first and not recorded.",
)
@click.option(
    "--cold-share",
    default=0.01,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Fraction of invocations that are cold starts, for the cost per million.",
)
@click.option(
    "--compare",
    "compare_targets",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Another target to measure the same way and compare with TARGET (repeatable).",
)
@click.option(
    "--compare-handler",
    "compare_handlers",
    multiple=True,
    help="Another handler in TARGET to measure and compare (repeatable).",
)
@output_options(["table", "json", "csv", "markdown"])
@handle_errors
def bench_command(
    settings: dict[str, Any],
    event: str | None,
    cold: int,
    warm: int,
    warmup: int,
    cold_share: float,
    compare_targets: tuple[Path, ...],
    compare_handlers: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
) -> None:
    """Cold starts against warm invocations, measured locally like Lambda does.

    TARGET is the function's folder or deployment .zip; it is never modified. Each cold
    sample is a new execution environment (a fresh child interpreter): its init (spawn to
    handler ready), its first invocation, then --warm invocations in that same environment.
    A failed sample (exception, crash, timeout, out of memory) is recorded and the run goes
    on; Ctrl-C stops it and the samples so far are still printed and written.

    \b
    Examples:
      coldprof bench build/ --handler app.handler
      coldprof bench function.zip --handler app.handler --cold 30 --warm 20 --memory 512
      coldprof bench build/ --handler app.handler --event events/get.json --arch arm64
      coldprof bench old/ --handler app.handler --compare new/     # A against B
      coldprof bench build/ --handler app.handler --format csv --output samples.csv
      coldprof bench build/ --handler app.handler --output bench.json   # JSON, every sample

    Exit status 1 when any sample failed (the result is still printed and written).
    """
    options = BenchOptions(
        event=load_event(event), cold=cold, warm=warm, warmup=warmup, cold_share=cold_share
    )
    function = FunctionConfig(**settings)
    runs = 1 + len(compare_targets) + len(compare_handlers)
    with progress_observer(runs * (cold + warmup)) as observer:
        result = bench(function, options, compare_targets, compare_handlers, observer)
    emit(result, fmt, output)
    status, why = exit_status(result)
    if status:
        click.echo(why, err=True)
        sys.exit(status)
