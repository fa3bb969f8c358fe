"""Issue 18's gain, measured by slim itself side by side in one run per configuration.

Builds a realistic package with pip (boto3, requests, numpy and pandas, installed with
--target --no-compile as many build scripts do, so tests folders are in and no bytecode is;
cached in benchmarks/.cache/), adds a handler that imports them all, then runs `slim --check`
three times: bytecode only (--drop none); the safe set with debug symbols stripped; and that
with the runtime's SDK left out (boto3 installed alone stands for the runtime's copy). Each
run measures both packages in interleaved fresh environments and prints their before/after
ratios. Expect init to fall by about half or more from bytecode alone.

    python benchmarks/slim_gain.py [--repeat 10] [--memory 1024]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from coldprof import FunctionConfig
from coldprof.render.slim import headline, response_line
from coldprof.slim import SlimOptions, slim
from coldprof.slim.result import SlimResult

CACHE = Path(__file__).resolve().parent / ".cache" / "slim-stack"
SDK = Path(__file__).resolve().parent / ".cache" / "runtime-sdk-compiled"  # the runtime's boto3
REQUIREMENTS = ["boto3", "requests", "numpy", "pandas"]
SAFE = ("tests", "docs", "examples", "c-sources", "type-stubs", "clutter")
HANDLER = """import boto3
import numpy as np
import pandas as pd
import requests


def handler(event, context):
    frame = pd.DataFrame({"x": np.arange(event.get("n", 10))})
    return {"sum": int(frame["x"].sum()), "boto3": boto3.__version__,
            "requests": requests.__version__}
"""
RUNS = {
    "bytecode only (--drop none)": (),
    "safe set + debug-symbols (--drop safe,debug-symbols)": (*SAFE, "debug-symbols"),
    "and the runtime's SDK (--drop safe,debug-symbols,runtime-sdk)": (
        *SAFE, "debug-symbols", "runtime-sdk",
    ),
}  # fmt: skip


def build_package() -> Path:
    """pip install --target --no-compile the stack once, and boto3 alone as the runtime's SDK
    (with pip's bytecode, so that leaving the SDK out is not a bytecode change too)."""
    command = [sys.executable, "-m", "pip", "install", "-q", "--target"]
    if not (CACHE / "pandas").is_dir():
        subprocess.run([*command, str(CACHE), "--no-compile", *REQUIREMENTS], check=True)
    if not (SDK / "boto3").is_dir():
        subprocess.run([*command, str(SDK), "boto3"], check=True)
    (CACHE / "app.py").write_text(HANDLER, encoding="utf-8")
    return CACHE


def ratios(name: str, result: SlimResult) -> None:
    """One run's figures: sizes and init, before and after, and their ratios."""
    before, after = result.before, result.after
    print(f"\n{name}")
    print(f"  {headline(result)}")
    print(f"  {response_line(result)}")
    print(
        f"  zipped   {before.zipped_bytes:>13,} B -> {after.zipped_bytes:>13,} B  "
        f"ratio {after.zipped_bytes / before.zipped_bytes:.3f}"
    )
    print(
        f"  unzipped {before.unzipped_bytes:>13,} B -> {after.unzipped_bytes:>13,} B  "
        f"ratio {after.unzipped_bytes / before.unzipped_bytes:.3f}"
    )
    print(f"  files    {before.files:>13,}   -> {after.files:>13,}")
    if before.init_ms and after.init_ms:
        ratio = after.init_ms.median / before.init_ms.median
        print(
            f"  init median {before.init_ms.median:,.1f} ms -> {after.init_ms.median:,.1f} ms  "
            f"ratio {ratio:.3f} (n={after.init_ms.n} a side)"
        )
    print(f"  .pyc compiled {result.bytecode.compiled:,}; steps: " + ", ".join(
        f"{s.step} {s.files:,} files {s.unzipped_bytes:,} B" for s in result.steps
    ))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--memory", type=int, default=1024)
    args = parser.parse_args()
    package = build_package()
    function = FunctionConfig(
        target=package, handler="app.handler", memory_mb=args.memory, runtime_sdk=SDK
    )
    print(f"package: {package} ({', '.join(REQUIREMENTS)}), {args.repeat} cold starts a side")
    for name, drop in RUNS.items():
        options = SlimOptions(drop=drop, event={"n": 100}, repeat=args.repeat, check=True)
        ratios(name, slim(function, options))


if __name__ == "__main__":
    main()
