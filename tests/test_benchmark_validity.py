"""benchmarks/cpu_share.py says when its ratios cannot be trusted: the 1,769 MB run must hold its
one vCPU, else a busy machine, not the share, made the figures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from coldprof.sandbox import InvokeResult

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "cpu_share.py"


@pytest.fixture(scope="module")
def cpu_share():
    spec = importlib.util.spec_from_file_location("cpu_share_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(duration_ms: float, cpu_ms: float) -> list[InvokeResult]:
    """Three warm invocations as the benchmark records them."""
    result = InvokeResult(
        ok=True,
        duration_ms=duration_ms,
        round_trip_ms=duration_ms,
        response=None,
        error=None,
        log="",
        max_rss_mb=30.0,
        environment_ended=False,
        cpu_ms=cpu_ms,
    )
    return [result] * 3


def found(full_cpu_ms: float) -> dict[str, list]:
    """One method's figures; the 1,769 MB run used `full_cpu_ms` of its 84 ms."""
    return {
        "method": ["cgroup-v1"],
        "128 MB": run(1160.0, 84.0),
        "1769 MB": run(84.0, full_cpu_ms),
        "3538 MB": run(84.0, 84.0),
        "off": run(84.0, 84.0),
        "1769 MB, 2 threads": run(168.0, 168.0),
        "3538 MB, 2 threads": run(90.0, 168.0),
    }


def test_ratios_of_a_run_that_did_not_hold_its_vcpu_are_flagged_invalid(cpu_share, capsys):
    cpu_share.report_shares("cgroup", found(full_cpu_ms=42.8))  # held 0.51 vCPU: a busy machine
    printed = capsys.readouterr().out
    assert "INVALID: the 1769 MB run held 0.510 vCPU, less than 0.95 of its one vCPU" in printed


def test_ratios_of_a_run_that_held_its_vcpu_stand(cpu_share, capsys):
    cpu_share.report_shares("cgroup", found(full_cpu_ms=83.2))  # held 0.99 vCPU
    printed = capsys.readouterr().out
    assert "INVALID" not in printed and "128 MB / 1769 MB:" in printed
