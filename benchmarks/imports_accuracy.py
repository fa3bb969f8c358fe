"""How accurate and how cheap `coldprof imports` is, measured side by side in one run.

1. A handler sleeping 300 ms at import: the function's init against 300 ms (the runtime's
   start is timed apart, as runtime_init_ms).
2. A real package (requests + boto3): the per-distribution self times summed against the
   profiled import total.
3. The bootstrap's overhead: init of a trivial handler (runtime start + function init) against
   a plain `python -I -S -B -c "import <the runtime's modules>; import app"` in the same folder.

    .venv/bin/python benchmarks/imports_accuracy.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coldprof.function import FunctionConfig, environment_spec
from coldprof.imports.profile import profile_imports, start_once
from coldprof.sandbox import interpreter_info
from coldprof.sandbox.runtime_start import runtime_modules

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
IMPORT_APP = "import sys; {}sys.path.insert(0, ''); import app; sys.stdout.write('.')"
SDK_HANDLER = "import boto3\nimport requests\n\n\ndef handler(event, context):\n    return 1\n"


def plain_import_ms(folder: Path) -> float:
    """Spawn of a plain `python -I -S -B -c` importing the runtime's modules then app, in the
    folder -> the import done: the same work as coldprof's runtime, without its glue."""
    info = interpreter_info(None)
    runtime = "".join(f"__import__({name!r}); " for name in runtime_modules(info.version))
    code = IMPORT_APP.format(runtime)
    start = time.perf_counter_ns()
    with subprocess.Popen(
        [info.executable, "-I", "-S", "-B", "-c", code], cwd=folder, stdout=subprocess.PIPE
    ) as child:
        child.stdout.read(1)
        imported_ns = time.perf_counter_ns()
    return (imported_ns - start) / 1e6


def sleep_accuracy(repeat: int) -> None:
    function = FunctionConfig(target=FIXTURES / "sleep_300ms", handler="app.handler")
    result = profile_imports(function, repeat=repeat)
    init = result.init_ms.median
    print("1. handler sleeping 300 ms at import")
    print(
        f"   function init median {init:.1f} ms, runtime start "
        f"{result.runtime_init_ms.median:.1f} ms, bare start {result.bare_start_ms.median:.1f} ms"
    )
    print(f"   function init / 300 = {init / 300:.3f}  (goal: within 0.95..1.05)")


def rollup_accuracy(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder)
        pip = [sys.executable, "-m", "pip", "install", "-q", "--target", folder]
        subprocess.run(
            [*pip, "requests", "boto3"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        (target / "app.py").write_text(SDK_HANDLER)
        function = FunctionConfig(target=target, handler="app.handler")
        result = profile_imports(function, repeat=repeat)
    summed = sum(row.self_ms for row in result.distributions)
    total = result.import_ms.median
    print("2. requests + boto3: per-distribution self times against the profiled total")
    for row in result.distributions[:6]:
        print(f"   {row.name:<28} {row.self_ms:8.1f} ms  {row.share:6.1%} of init")
    print(f"   sum {summed:.1f} ms, import total {total:.1f} ms, init {result.init_ms.median:.1f}")
    print(f"   sum / total = {summed / total:.3f}  (goal: within 0.90..1.10)")


def bootstrap_overhead(repeat: int) -> None:
    trivial = FIXTURES / "trivial"
    spec = environment_spec(FunctionConfig(target=trivial, handler="app.handler"))
    inits, plains = [], []
    for _ in range(repeat):
        inits.append(start_once(spec).init_duration_ms)
        plains.append(plain_import_ms(trivial))
    init, plain = statistics.median(inits), statistics.median(plains)
    print("3. bootstrap overhead on a trivial handler (interleaved runs, spawn -> imported)")
    print(
        f"   coldprof runtime start + init median {init:.2f} ms, plain python importing the "
        f"runtime's modules and app {plain:.2f} ms"
    )
    print(f"   difference {init - plain:+.2f} ms  (goal: at most 5 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    bootstrap_overhead(repeat)
    sleep_accuracy(repeat)
    rollup_accuracy(repeat)


if __name__ == "__main__":
    main()
