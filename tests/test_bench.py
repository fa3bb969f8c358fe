"""`coldprof bench` as a library: real child processes running the handlers in fixtures/."""

from __future__ import annotations

import dataclasses
import math
import shutil
import statistics
import zipfile
from pathlib import Path

import pytest

from coldprof.bench import BenchOptions, BenchResult, bench
from coldprof.bench.driver import Plan, Progress, bounded, measure
from coldprof.bench.result import SampleError
from coldprof.bench.run import assemble
from coldprof.errors import UsageError
from coldprof.function import FunctionConfig
from coldprof.render.bench import warning_lines
from coldprof.render.words import verdict
from coldprof.results import Note
from helpers import sandbox_spec, tree_snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HANDLERS = FIXTURES / "handlers"
SCRIPTED = FIXTURES / "bench" / "scripted"


def options(cold: int = 2, warm: int = 2, warmup: int = 0, event=None, **settings) -> tuple:
    """The function's settings (timeout 5 s unless given) and the bench options."""
    chosen = BenchOptions(event=event or {}, cold=cold, warm=warm, warmup=warmup)
    return {"timeout_s": 5.0, **settings}, chosen


def bench_of(target: Path, handler: str, chosen: tuple, **more) -> BenchResult:
    """bench() of the handler in target, with options() and compare or observer arguments."""
    settings, bench_options = chosen
    function = FunctionConfig(target=target, handler=handler, **settings)
    return bench(function, bench_options, **more)


def test_a_trivial_handler_gives_plausible_cold_and_warm_figures():
    result = bench_of(HANDLERS / "trivial", "app.handler", options(cold=3, warm=4, warmup=1))
    assert result.errors == () and not result.failed and not result.interrupted
    assert [len(s.invoke_ms) for s in result.samples] == [4, 4, 4]
    assert (result.cold.total_ms.n, result.warm.invoke_ms.n) == (3, 12)
    assert 0 < result.cold.init_ms.min <= result.cold.init_ms.median <= result.cold.init_ms.max
    assert result.cold.total_ms.median >= result.cold.init_ms.median
    assert result.warm.invoke_ms.median < 1 < result.cold.init_ms.median  # sub-ms against ms
    assert result.warm.round_trip_ms.median >= result.warm.invoke_ms.median
    assert 1 < result.max_memory_used_mb < 128
    billed = [ms for sample in result.samples for ms in sample.warm_billed_ms]
    durations = [ms for sample in result.samples for ms in sample.invoke_ms]
    assert billed == [max(1, math.ceil(ms)) for ms in durations]  # rounded up to 1 ms
    assert result.cost.warm_billed_ms == statistics.fmean(billed)  # 1 on a quiet machine
    assert result.cost.cold_billed_ms >= result.cold.total_ms.min
    assert result.cost.per_million_usd > 0.20  # the request price alone is $0.20 per million
    assert result.python_version.startswith("3.")


def test_the_first_invocations_deferred_imports_are_shown_apart_from_the_rest():
    result = bench_of(FIXTURES / "imports" / "deferred", "app.handler", options(warm=1))
    cold = result.cold
    assert cold.first_invoke_import_ms.n == cold.first_invoke_other_ms.n == 2
    assert cold.first_invoke_import_ms.min >= 40  # late_module's 40 ms sleep, and difflib
    assert cold.first_invoke_other_ms.max < cold.first_invoke_import_ms.min
    for sample in result.samples:
        assert 0 < sample.first_invoke_import_ms <= sample.first_invoke_ms
    assert result.emulation.imports_seen
    trivial = bench_of(HANDLERS / "trivial", "app.handler", options(cold=1, warm=0))
    assert trivial.cold.first_invoke_import_ms.max == 0  # a handler that imports nothing


def test_awslambdaric_says_the_deferred_imports_are_not_timed():
    settings = {"runtime_client": "awslambdaric"}
    chosen = options(cold=1, warm=0, **settings)
    result = bench_of(FIXTURES / "imports" / "deferred", "app.handler", chosen)
    assert result.cold.first_invoke_import_ms is None and result.cold.first_invoke_ms.n == 1
    assert not result.emulation.imports_seen


def test_init_sleep_and_first_invocation_sleep_land_in_their_phases():
    slow_init = bench_of(HANDLERS / "sleep_init_300ms", "app.handler", options(warm=1))
    assert slow_init.cold.init_ms.min >= 300
    assert slow_init.cold.first_invoke_ms.max < 50
    first_slow = bench_of(HANDLERS / "first_invoke_200ms", "app.handler", options(warm=2))
    assert first_slow.cold.first_invoke_ms.min >= 200
    assert first_slow.warm.invoke_ms.max < 50
    assert first_slow.cold.total_ms.min >= 200 + first_slow.cold.init_ms.min


def test_compare_names_the_faster_target_with_a_ratio_and_interval():
    result = bench_of(
        HANDLERS / "sleep_init_300ms",
        "app.handler",
        options(cold=3, warm=1),
        compare_targets=(HANDLERS / "trivial",),
    )
    assert [run.label for run in result.runs] == [
        str(HANDLERS / "sleep_init_300ms"),
        str(HANDLERS / "trivial"),
    ]
    cold = next(c for c in result.comparisons if c.phase == "cold start")
    assert cold.faster == str(HANDLERS / "trivial")
    assert cold.times > 3 and cold.significant
    assert cold.ci_low <= cold.times <= cold.ci_high
    assert cold.verdict == "faster" and cold.difference_ms > 250
    assert verdict(cold).startswith(f"{HANDLERS / 'trivial'}'s cold start is {cold.times:.2f} ± ")


def test_compare_handler_labels_runs_by_handler():
    result = bench_of(
        SCRIPTED, "app.handler", options(cold=2, warm=1), compare_handlers=("app.missing",)
    )
    assert [run.label for run in result.runs] == ["app.handler", "app.missing"]
    assert result.compared[0].errors[0].type == "Runtime.HandlerNotFound"
    assert result.failed
    assert result.comparisons == ()  # nothing to compare against a run without samples


def test_a_handler_exception_keeps_the_environment_and_every_invocation_is_recorded():
    result = bench_of(HANDLERS / "raises_in_handler", "app.handler", options(cold=2, warm=2))
    assert len(result.errors) == 2 * 3
    assert {(e.type, e.message, e.environment_ended) for e in result.errors} == {
        ("KeyError", "'order_id'", False)
    }
    assert [(e.sample, e.phase, e.invocation) for e in result.errors[:3]] == [
        (0, "first_invoke", 0),
        (0, "warm_invoke", 1),
        (0, "warm_invoke", 2),
    ]
    assert any("validate" in line for line in result.errors[0].stack_trace)
    assert result.cold.init_ms.n == 2  # init itself succeeded
    assert result.cold.total_ms is None and result.warm.invoke_ms is None


def test_failures_inside_a_run_never_lose_the_other_samples():
    event = {"fail_every": 3, "crash_at": 5}
    result = bench_of(SCRIPTED, "app.handler", options(cold=2, warm=5, event=event))
    for sample in result.samples:
        assert sample.first_invoke_ms is not None
        assert len(sample.invoke_ms) == 2  # warm 1 and 3 succeed; 2 fails; 4 crashes
    kinds = [(e.sample, e.invocation, e.type, e.environment_ended) for e in result.errors]
    assert kinds == [
        (0, 2, "ValueError", False),
        (0, 4, "Runtime.ExitError", True),
        (1, 2, "ValueError", False),
        (1, 4, "Runtime.ExitError", True),
    ]
    crash = "Runtime exited with error: signal: segmentation fault"
    assert result.errors[1].message.endswith(crash)
    assert Note("warm-not-run", {"invocations": 2}) in result.warnings
    assert "2 warm invocation(s) not run: their environment ended (see errors)" in (
        warning_lines(result)
    )


def test_a_crash_at_init_is_recorded_per_sample():
    result = bench_of(HANDLERS / "segfault", "app.handler", options(cold=2, warm=3))
    assert [(e.sample, e.phase, e.type) for e in result.errors] == [
        (0, "init", "Runtime.ExitError"),
        (1, "init", "Runtime.ExitError"),
    ]
    assert result.errors[0].message == "Runtime exited with error: signal: segmentation fault"
    assert [s.init_ms for s in result.samples] == [None, None]
    assert result.errors[0].duration_ms > 0


def test_a_timeout_ends_the_environment_like_lambda():
    result = bench_of(
        HANDLERS / "hangs_in_handler", "app.handler", options(cold=1, warm=3, timeout_s=0.3)
    )
    (error,) = result.errors
    assert (error.phase, error.type) == ("first_invoke", "Sandbox.Timedout")
    sample = result.samples[0]
    assert error.message.endswith("Error: Task timed out after 0.30 seconds")  # "RequestId: ..."
    assert error.environment_ended
    assert error.duration_ms == 300  # Lambda's Duration of a timed-out invocation: the timeout
    assert sample.billed_ms >= 300  # billed: the timeout plus the init
    assert result.cost.cold_invocation_usd is not None
    assert Note("warm-not-run", {"invocations": 3}) in result.warnings


def test_memory_beyond_the_memory_size_is_an_out_of_memory_error():
    result = bench_of(
        HANDLERS / "eats_memory", "app.handler", options(cold=1, warm=0, event={"mb": 400})
    )
    (error,) = result.errors
    assert error.type == "Runtime.OutOfMemory"
    assert error.message.endswith("Error: Runtime exited with error: signal: killed")
    assert result.samples[0].max_memory_used_mb > 128


def test_a_flood_of_output_is_measured_without_failing():
    result = bench_of(HANDLERS / "floods_output", "app.handler", options(cold=1, warm=1))
    assert result.errors == ()
    assert result.warm.invoke_ms.n == 1


def test_ctrl_c_keeps_every_sample_measured_so_far():
    seen: list[Progress] = []

    def interrupt_after_two(progress: Progress) -> None:
        seen.append(progress)
        if progress.done == 3:  # one warm-up sample, then two cold samples
            raise KeyboardInterrupt

    result = bench_of(
        HANDLERS / "trivial",
        "app.handler",
        options(cold=10, warm=1, warmup=1),
        compare_targets=(SCRIPTED,),
        observer=interrupt_after_two,
    )
    assert result.interrupted and result.compared == ()
    assert len(result.samples) == 2
    assert [(p.done, p.total, p.sample is None) for p in seen] == [
        (1, 11, True),
        (2, 11, False),
        (3, 11, False),
    ]
    assert Note("interrupted", {"samples": 2, "planned": 10}) in result.warnings
    assert "stopped after 2 of 10 cold samples: the figures cover what was measured" in (
        warning_lines(result)
    )


def test_a_zip_target_runs_and_is_left_as_it_was(tmp_path):
    archive = tmp_path / "function.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(SCRIPTED / "app.py", "app.py")
    before = tree_snapshot(tmp_path)
    result = bench_of(archive, "app.handler", options(cold=1, warm=1))
    assert result.errors == ()
    assert result.target == str(archive)
    assert tree_snapshot(tmp_path) == before


def test_a_folder_target_is_never_modified(tmp_path):
    folder = tmp_path / "function"
    shutil.copytree(SCRIPTED, folder, ignore=shutil.ignore_patterns("__pycache__"))
    before = tree_snapshot(folder)
    bench_of(folder, "app.handler", options(cold=1, warm=1))
    assert tree_snapshot(folder) == before


def test_a_missing_target_is_a_usage_error_before_anything_runs(tmp_path):
    with pytest.raises(UsageError, match="no such file or folder"):
        bench_of(tmp_path / "nothing", "app.handler", options())


def test_a_run_too_large_to_keep_in_memory_is_refused():
    with pytest.raises(UsageError, match="more than 1,000,000 invocations per run"):
        bench_of(SCRIPTED, "app.handler", options(cold=10_000, warm=100_000))


def test_errors_keep_a_bounded_message_and_later_ones_drop_the_trace():
    error = SampleError(
        sample=0,
        phase="warm_invoke",
        invocation=1,
        type="ValueError",
        message="x" * 100_000,
        stack_trace=("f",) * 100,
        duration_ms=1.0,
        environment_ended=False,
    )
    assert len(bounded(error, detailed=True).message) == 4096
    assert bounded(error, detailed=True).stack_trace == error.stack_trace
    assert bounded(error, detailed=False).stack_trace == ()


def test_an_init_past_the_limit_is_stopped_run_again_in_the_first_invocation_and_billed():
    spec = dataclasses.replace(
        sandbox_spec(HANDLERS / "sleep_init_300ms", memory_mb=512), init_timeout_s=0.15
    )  # the 10 s limit scaled down: the 300 ms init passes it, then fits the 3 s timeout
    measured = measure(spec, {}, Plan(cold=1, warm=1, warmup=0), "scaled")
    (sample,) = measured.samples
    assert measured.errors == () and sample.ok
    assert 150 <= sample.stopped_init_ms < 300  # stopped at the (scaled) limit
    assert sample.init_ms >= 300  # the second run, inside the first invocation, finished
    assert sample.total_ms >= sample.stopped_init_ms + sample.runtime_init_ms + sample.init_ms
    assert sample.billed_ms >= sample.stopped_init_ms + sample.init_ms  # both inits billed
    function = FunctionConfig(target=HANDLERS / "sleep_init_300ms", handler="app.handler")
    result = assemble("scaled", function, BenchOptions(), spec.interpreter, measured)
    assert Note("init-stopped", {"samples": 1}) in result.warnings
