"""`coldprof bench --function-name NAME`: the benchmark of a deployed function, through boto3."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from coldprof.bench.event import load_event
from coldprof.bench.result import BenchResult
from coldprof.cli.bench import exit_status, progress_observer
from coldprof.cli.common import emit, handle_errors, output_options
from coldprof.data import lambda_facts
from coldprof.errors import EXIT_FAILED
from coldprof.render.units import memory_mb
from coldprof.render.words import word

FUNCTION_NAME_OPTION = "--function-name"


def _memory_sizes(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple:
    """`128,512,1024` as (128, 512, 1024), each a size Lambda accepts, none twice."""
    if value is None:
        return ()
    limits = lambda_facts()["limits"]
    low, high = limits["memory_min_mb"], limits["memory_max_mb"]
    try:
        sizes = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected MB sizes like 128,512,1024") from None
    bad = [size for size in sizes if not low <= size <= high]
    if bad:
        raise click.BadParameter(
            f"{memory_mb(bad[0])}: Lambda's memory sizes are {low} to {memory_mb(high)}"
        )
    if len(set(sizes)) != len(sizes):
        raise click.BadParameter(f"{value!r}: a memory size is listed twice")
    return sizes


def result_status(result: BenchResult) -> tuple[int, str]:
    """bench's exit status and why; 1 also when the configuration could not be put back."""
    remote = result.remote
    if remote is not None and not remote.configuration_restored:
        return EXIT_FAILED, f"coldprof: {word(remote.restore)}"
    return exit_status(result)


@click.command("bench")
@click.option(
    FUNCTION_NAME_OPTION,
    "function_name",
    required=True,
    help="The deployed function: its name or ARN.",
)
@click.option("--region", help="AWS region (default: the profile's or AWS_REGION).")
@click.option("--profile", help="AWS profile from ~/.aws/config (default: AWS_PROFILE).")
@click.option("--qualifier", help="A version or alias to invoke (warm invocations only).")
@click.option(
    "--endpoint-url",
    help="Another Lambda endpoint, e.g. http://127.0.0.1:9001 for `coldprof serve`.",
)
@click.option(
    "--cold",
    default=10,
    show_default=True,
    type=click.IntRange(0, 1000),
    help="Cold samples: each one after a configuration change.",
)
@click.option(
    "--warm",
    default=10,
    show_default=True,
    type=click.IntRange(0, 100_000),
    help="Warm invocations, back to back, after the cold samples.",
)
@click.option("--event", help="The event: a JSON file, inline JSON, or - for stdin.")
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Invocations at once after each configuration change: K cold starts per round.",
)
@click.option(
    "--memory",
    "memory_sizes",
    callback=_memory_sizes,
    metavar="MB[,MB...]",
    help="Memory sizes to sweep, e.g. 128,512,1024 (default: the function's own).",
)
@click.option(
    "--cold-share",
    default=0.01,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Fraction of invocations that are cold starts, for the cost per million.",
)
@click.option(
    "--max-attempts",
    default=5,
    show_default=True,
    type=click.IntRange(1, 20),
    help="Attempts per AWS call in all, the first included (botocore's standard retries, "
    "throttling included).",
)
@click.option(
    "--cold-via",
    type=click.Choice(["configuration", "publish-version"]),
    default="configuration",
    show_default=True,
    help="How each cold start is forced: a configuration change, or a new version published "
    "and invoked (the way for SnapStart functions); the versions are deleted afterwards.",
)
@output_options(["table", "json", "csv", "markdown"])
@handle_errors
def bench_remote_command(
    function_name: str,
    region: str | None,
    profile: str | None,
    qualifier: str | None,
    endpoint_url: str | None,
    cold: int,
    warm: int,
    event: str | None,
    concurrency: int,
    memory_sizes: tuple[int, ...],
    cold_share: float,
    max_attempts: int,
    cold_via: str,
    fmt: str | None,
    output: Path | None,
) -> None:
    """Cold starts against warm invocations of a function deployed on AWS Lambda.

    Each cold sample changes one environment variable (COLDPROF_COLD) of the function,
    waits until the update is done, and invokes it; only an invocation whose REPORT line
    has an Init Duration counts as cold. The function's MemorySize and environment
    variables are put back afterwards, also after an error or Ctrl-C, and the report says
    so. Needs lambda:GetFunction, GetFunctionConfiguration, UpdateFunctionConfiguration and
    InvokeFunction (docs/real-lambda.md).

    \b
    Examples:
      coldprof bench --function-name my-api --region eu-west-1 --cold 20 --warm 50
      coldprof bench --function-name my-api --memory 128,512,1024,1769 --output sweep.json
      coldprof bench --function-name my-api --concurrency 5 --cold 25 --profile staging
      coldprof bench --function-name my-snapstart-api --cold-via publish-version --cold 10
      coldprof bench --function-name hello --endpoint-url http://127.0.0.1:9001
    """
    from coldprof.bench.remote import RemoteOptions, bench_remote  # boto3: only when used

    options = RemoteOptions(
        function_name=function_name,
        region=region,
        profile=profile,
        qualifier=qualifier,
        endpoint_url=endpoint_url,
        event=load_event(event),
        cold=cold,
        warm=warm,
        concurrency=concurrency,
        memory_sizes=memory_sizes,
        cold_share=cold_share,
        max_attempts=max_attempts,
        cold_via=cold_via,
    )
    total = max(1, len(memory_sizes)) * (cold + warm)
    with progress_observer(total) as observer:
        result = bench_remote(options, observer)
    emit(result, fmt, output)
    status, why = result_status(result)
    if status:
        click.echo(why, err=True)
        sys.exit(status)


class BenchWithRemote(click.Command):
    """`bench TARGET ...` runs locally; `bench --function-name NAME ...` on a deployed function."""

    def __init__(self, local: click.Command, remote: click.Command):
        remote_help = "A deployed function: coldprof bench --function-name NAME --help"
        super().__init__(
            local.name,
            params=local.params,
            callback=local.callback,
            help=local.help,
            epilog=remote_help,
            context_settings=local.context_settings,
        )
        self.remote = remote

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """The remote command's context when --function-name is given, else the local one's."""
        if any(arg.split("=")[0] == FUNCTION_NAME_OPTION for arg in args):
            return self.remote.make_context(info_name, args, parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        """Run whichever command made the context."""
        if ctx.command is self.remote:
            return self.remote.invoke(ctx)
        return super().invoke(ctx)


def bench_with_remote(local: click.Command) -> click.Command:
    """The `bench` command to register: the local bench, or bench_remote with --function-name."""
    return BenchWithRemote(local, bench_remote_command)
