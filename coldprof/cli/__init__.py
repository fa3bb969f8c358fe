"""The coldprof command line: thin click commands over the library."""

from __future__ import annotations

import click

from coldprof.cli.analyze import analyze
from coldprof.cli.bench import bench_command
from coldprof.cli.bench_remote import bench_with_remote
from coldprof.cli.check import check
from coldprof.cli.imports import imports
from coldprof.cli.invoke import invoke
from coldprof.cli.report import report
from coldprof.cli.serve import serve
from coldprof.cli.slim import slim


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="coldprof")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Measure what an AWS Lambda Python package weighs and where its cold start goes.

    \b
    Exit status: 0 ok, 1 the target failed, could not be read or is over budget,
    2 usage or configuration error.
    """
    ctx.obj = {"debug": debug}


main.add_command(analyze)
main.add_command(imports)
main.add_command(invoke)
main.add_command(bench_with_remote(bench_command))
main.add_command(serve)
main.add_command(check)
main.add_command(report)
main.add_command(slim)
