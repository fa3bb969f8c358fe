"""coldprof: what an AWS Lambda Python package weighs and where its cold start goes.

The library API; the command line (`coldprof.cli`) is one of its users.

    from coldprof import FunctionConfig, SlimOptions, analyze, profile_imports, bench, check, slim

    function = FunctionConfig(target=Path("build"), handler="app.handler")
    profile_imports(function), bench(function)
    slim(function, SlimOptions(output=Path("dist/function.zip")))
"""

from coldprof.analyze import analyze
from coldprof.bench import bench
from coldprof.check import check
from coldprof.function import FunctionConfig
from coldprof.imports import profile_imports
from coldprof.slim import SlimOptions, slim

__all__ = ["FunctionConfig", "SlimOptions", "analyze", "bench", "check", "profile_imports", "slim"]
