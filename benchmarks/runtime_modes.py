"""coldprof's init for a trivial and a boto3 handler, in the light runtime and in the
awslambdaric mode, side by side in one run (rounds interleaved: drift hits every case alike).

Each cold start reports the runtime's start (spawn -> runtime ready: the interpreter and the
runtime's own imports) and the function's init (runtime ready -> handler ready); their sum is
what Lambda reports as Init Duration. Medians over the rounds, min…max beside them.

Usage: python benchmarks/runtime_modes.py [--rounds 15] [--sdk FOLDER] [--python PATH]
(--sdk: a folder with boto3, as `pip install --target` makes; default: one made with pip)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from coldprof.function import FunctionConfig, environment_spec, prepare
from coldprof.sandbox import Environment, bare_start_ms, interpreter_info

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = {
    "trivial": ROOT / "fixtures" / "handlers" / "trivial",
    "boto3 client": ROOT / "fixtures" / "runtime" / "boto3_client",
}
MODES = ("coldprof", "awslambdaric")


def sdk_folder(stack: ExitStack) -> Path:
    """boto3 installed with pip into a temporary folder (removed at the end)."""
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="coldprof-sdk-")))
    command = [sys.executable, "-m", "pip", "install", "-q", "--target", str(folder), "boto3"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return folder


def cold_start(spec) -> tuple[float, float]:
    """(runtime start ms, function init ms) of one new environment."""
    with Environment(spec) as environment:
        init = environment.start()
    if not init.ok:
        raise SystemExit(f"{spec.task_root}: {init.error.type}: {init.error.message}")
    return init.runtime_init_ms, init.init_ms


def line(name: str, values: list[float]) -> str:
    return f"{name} {statistics.median(values):7.1f} ms ({min(values):.1f} … {max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--sdk", type=Path, default=None)
    parser.add_argument("--python", default=None)
    args = parser.parse_args()
    with ExitStack() as stack:
        sdk = args.sdk or sdk_folder(stack)
        specs = {}
        for handler, target in HANDLERS.items():
            for mode in MODES:
                function = FunctionConfig(
                    target=target, handler="app.handler", python=args.python,
                    runtime_sdk=sdk, runtime_client=mode, memory_mb=1769,
                )  # fmt: skip
                specs[(handler, mode)] = environment_spec(prepare(stack, function))
        for spec in specs.values():
            cold_start(spec)  # warm-up: compiled runtime, caches filled
        runs: dict = {key: ([], []) for key in specs}
        for _ in range(args.rounds):
            for key, spec in specs.items():
                runtime_ms, init_ms = cold_start(spec)
                runs[key][0].append(runtime_ms)
                runs[key][1].append(init_ms)
        bare = bare_start_ms(args.python, args.rounds)
    info = interpreter_info(args.python)
    print(f"interpreter: {info.executable} (Python {info.version[0]}.{info.version[1]})")
    print(f"rounds: {args.rounds} interleaved; medians (min … max)")
    print(line("bare start, python -I -S -B -u -c pass:", bare))
    for (handler, mode), (runtime_ms, init_ms) in runs.items():
        total = [a + b for a, b in zip(runtime_ms, init_ms, strict=True)]
        print(f"\n{handler}, --runtime-client {mode}")
        print("  " + line("runtime start (runtime_init_ms):    ", runtime_ms))
        print("  " + line("function init (init_ms):            ", init_ms))
        print("  " + line("Init Duration (runtime + function): ", total))


if __name__ == "__main__":
    main()
