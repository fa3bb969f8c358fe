"""The local benchmark: cold samples in fresh environments, warm invocations inside them.

Design: each cold sample is one new execution environment (one child process). It measures
init (spawn -> handler ready), the first invocation, then the warm invocations in that same
environment, as Lambda reuses an environment for the requests that follow a cold start.
So `--cold N --warm M` runs N environments and N * (1 + M) invocations. Warm-up samples are
whole cold samples (init and first invocation) whose figures are thrown away.

A failed phase is recorded with its sample and the run goes on: a handler exception keeps
the environment (as on Lambda), a crash, timeout or out-of-memory ends it, and that sample's
remaining warm invocations are not run. Ctrl-C stops the run and keeps every sample so far.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from coldprof.bench.cost import billed_duration_ms
from coldprof.bench.result import Sample, SampleError, environment_error
from coldprof.errors import ColdprofError
from coldprof.sandbox import Emulation, Environment, EnvironmentSpec, InitResult, InvokeResult
from coldprof.sandbox.left_running import LeftRunning

DETAILED_ERRORS = 1000  # errors kept with their stack trace; later ones keep type and message
MESSAGE_CHARS = 4096


@dataclass(frozen=True)
class Plan:
    """How many cold samples, warm invocations per environment, and warm-up samples."""

    cold: int
    warm: int
    warmup: int


@dataclass(frozen=True)
class Progress:
    """One finished cold sample, for a progress bar."""

    label: str  # the run it belongs to
    done: int  # cold samples finished in this run, warm-up included
    total: int
    sample: Sample | None  # None for a warm-up sample


Observer = Callable[[Progress], None]


@dataclass(frozen=True)
class Measured:
    """Everything one run measured, possibly cut short."""

    samples: tuple[Sample, ...]
    errors: tuple[SampleError, ...]
    interrupted: bool
    emulation: Emulation | None = None  # how the first environment that started lived here


def _error(
    sample: int, phase: str, invocation: int, result: InitResult | InvokeResult, duration_ms: float
) -> SampleError:
    ended = result.environment_ended if isinstance(result, InvokeResult) else True
    return SampleError(
        sample=sample,
        phase=phase,
        invocation=invocation,
        type=result.error.type,
        message=result.error.message,
        stack_trace=tuple(result.error.stack_trace),
        duration_ms=duration_ms,
        environment_ended=ended,
    )


def bounded(error: SampleError, detailed: bool) -> SampleError:
    """The error with its message cut to MESSAGE_CHARS, and without stack trace unless detailed."""
    message = error.message[:MESSAGE_CHARS]
    stack_trace = error.stack_trace if detailed else ()
    return dataclasses.replace(error, message=message, stack_trace=stack_trace)


def failed_init_sample(index: int, init: InitResult) -> tuple[Sample, list[SampleError]]:
    """The sample of an environment whose init failed (billed for the init it ran)."""
    sample = Sample(
        index=index,
        init_ms=None,
        first_invoke_ms=None,
        total_ms=None,
        first_round_trip_ms=None,
        invoke_ms=(),
        round_trip_ms=(),
        max_memory_used_mb=init.max_rss_mb,
        ok=False,
        billed_ms=billed_duration_ms(0.0, init.init_duration_ms),
    )
    return sample, [_error(index, "init", 0, init, init.init_duration_ms)]


def build_sample(
    index: int,
    init: InitResult,
    first: InvokeResult,
    warm: list[InvokeResult],
    left_running: tuple[LeftRunning, ...] = (),
) -> tuple[Sample, list[SampleError]]:
    """The sample and errors of an environment that started: first and warm invocations.

    After an init that failed or passed Lambda's limit, the init figures are those of its second
    run, inside the first invocation, and the first one is kept apart (stopped_init_ms); when the
    second run fails too, the error is the init's."""
    ran = first.reinit if init.retry else init
    started = ran is not None and ran.ok
    phase = "first_invoke" if started else "init"
    errors = [] if first.ok else [_error(index, phase, 0, first, first.duration_ms)]
    errors += [
        _error(index, "warm_invoke", n, r, r.duration_ms) for n, r in enumerate(warm, 1) if not r.ok
    ]
    ok_warm = [r for r in warm if r.ok]
    stopped_ms = init.init_duration_ms if init.retry else None
    handler_ms = first.duration_ms - (ran.init_duration_ms if init.retry and started else 0.0)
    cold_ms = (stopped_ms or 0.0) + (ran.init_duration_ms if started else 0.0) + handler_ms
    billed_init_ms = None if init.retry else init.init_duration_ms
    sample = Sample(
        index=index,
        init_ms=ran.init_ms if started else None,
        first_invoke_ms=handler_ms if first.ok else None,
        total_ms=cold_ms if first.ok else None,
        first_round_trip_ms=first.round_trip_ms if first.ok else None,
        invoke_ms=tuple(r.duration_ms for r in ok_warm),
        round_trip_ms=tuple(r.round_trip_ms for r in ok_warm),
        max_memory_used_mb=max(r.max_rss_mb for r in (init, first, *warm)),
        ok=not errors,
        invoke_cpu_ms=tuple(r.cpu_ms for r in ok_warm),
        ephemeral_peak_mb=max(r.ephemeral_peak_mb for r in (init, first, *warm)),
        left_running=left_running,
        runtime_init_ms=ran.runtime_init_ms if started else None,
        stopped_init_ms=stopped_ms,
        billed_ms=billed_duration_ms(first.duration_ms + (stopped_ms or 0.0), billed_init_ms),
        warm_billed_ms=tuple(billed_duration_ms(r.duration_ms) for r in warm),
        first_invoke_import_ms=first.import_ms if first.ok else None,
    )
    return sample, errors


def request_id() -> str:
    """A new request id, shaped like Lambda's."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class ColdSample:
    """What one environment gave: its sample, its errors, how it lived here."""

    sample: Sample
    errors: list[SampleError]
    emulation: Emulation | None


def cold_sample(spec: EnvironmentSpec, event: Any, warm: int, index: int) -> ColdSample:
    """One new environment: init, the first invocation, then up to `warm` warm invocations."""
    with Environment(spec) as environment:
        init = environment.start()
        if not init.ok and not init.retry:
            return ColdSample(*failed_init_sample(index, init), init.emulation)
        first = environment.invoke(event, request_id())
        warm_results: list[InvokeResult] = []
        ended = first.environment_ended
        while len(warm_results) < warm and not ended:
            warm_results.append(environment.invoke(event, request_id()))
            ended = warm_results[-1].environment_ended
        left = environment.left_running()
    built = build_sample(index, init, first, warm_results, left)
    return ColdSample(*built, init.emulation)


def _coldprof_error(index: int, error: Exception) -> SampleError:
    message = error.message if isinstance(error, ColdprofError) else str(error)
    return environment_error(index, message)


def _ignore(progress: Progress) -> None:
    """An observer that wants nothing."""


def warm_up(spec: EnvironmentSpec, event: Any, plan: Plan, label: str, observer: Observer) -> None:
    """Run the warm-up samples and throw their figures away."""
    for done in range(1, plan.warmup + 1):
        cold_sample(spec, event, 0, -1)
        observer(Progress(label, done, plan.warmup + plan.cold, None))


def measure(
    spec: EnvironmentSpec, event: Any, plan: Plan, label: str, observer: Observer | None = None
) -> Measured:
    """Warm-up, then the cold samples of one run; stops early on Ctrl-C keeping what it has."""
    notify = observer or _ignore
    samples: list[Sample] = []
    errors: list[SampleError] = []
    emulation: list[Emulation] = []
    try:
        warm_up(spec, event, plan, label, notify)
        for index in range(plan.cold):
            done = cold_sample(spec, event, plan.warm, index)
            samples.append(done.sample)
            errors += [bounded(e, len(errors) < DETAILED_ERRORS) for e in done.errors]
            emulation += [done.emulation] if done.emulation and not emulation else []
            notify(Progress(label, plan.warmup + index + 1, plan.warmup + plan.cold, done.sample))
    except KeyboardInterrupt:
        return Measured(tuple(samples), tuple(errors), True, next(iter(emulation), None))
    except (ColdprofError, OSError) as error:
        if not samples:
            raise
        errors.append(_coldprof_error(len(samples), error))
        return Measured(tuple(samples), tuple(errors), True, next(iter(emulation), None))
    return Measured(tuple(samples), tuple(errors), False, next(iter(emulation), None))
