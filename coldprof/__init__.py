"""coldprof: what an AWS Lambda Python package weighs and where its cold start goes.

The library API; the command line (`coldprof.cli`) is one of its users.

    from coldprof import analyze, profile_imports, bench, check
"""

from coldprof.analyze import analyze
from coldprof.bench import bench
from coldprof.check import check
from coldprof.imports import profile_imports

__all__ = ["analyze", "bench", "check", "profile_imports"]
