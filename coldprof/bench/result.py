"""The result record of `coldprof bench` (JSON schema: docs/json-schema-bench.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coldprof.bench.cost import CostEstimate
from coldprof.results import Note, each_object, legacy_note, legacy_notes, with_field
from coldprof.sandbox.left_running import LeftRunning
from coldprof.sandbox.spec import Emulation
from coldprof.stats import Stats

SCHEMA_VERSION = 2


@dataclass(frozen=True, kw_only=True)
class SampleError:
    """A failed phase of one cold sample: where, and Lambda's error type and message."""

    sample: int  # index of the cold sample (its environment), from 0
    phase: str  # "init", "first_invoke", "warm_invoke" or "environment" (coldprof could not run it)
    invocation: int  # 0 for init and the first invocation; 1, 2, ... for warm invocations
    type: str  # "ValueError", "Runtime.ExitError", "Sandbox.Timedout", "Runtime.OutOfMemory", ...
    message: str
    stack_trace: tuple[str, ...]
    duration_ms: float  # how long the failed phase ran
    environment_ended: bool  # the environment died: its remaining warm invocations were not run


def environment_error(sample: int, message: str) -> SampleError:
    """The error of a sample whose environment coldprof itself could not run."""
    return SampleError(
        sample=sample,
        phase="environment",
        invocation=0,
        type="coldprof.Error",
        message=message,
        stack_trace=(),
        duration_ms=0.0,
        environment_ended=True,
    )


@dataclass(frozen=True, kw_only=True)
class Sample:
    """One cold sample: a new environment, its init, first invocation and warm invocations.

    Only successful phases carry a time here; a failed phase's time is in its SampleError.
    """

    index: int
    init_ms: float | None  # the function's init: runtime ready -> handler ready
    first_invoke_ms: float | None  # the handler's own time on the first invocation (Duration)
    total_ms: float | None  # the cold start a caller waits for: every init phase + first_invoke
    first_round_trip_ms: float | None  # parent clock around the first invocation
    invoke_ms: tuple[float, ...]  # Duration of each successful warm invocation, in order
    round_trip_ms: tuple[float, ...]  # parent clock around each successful warm invocation
    max_memory_used_mb: float | None  # peak resident memory of the environment (MiB)
    ok: bool  # no phase of this sample failed
    invoke_cpu_ms: tuple[float, ...] = ()  # CPU time of each successful warm invocation
    ephemeral_peak_mb: float | None = None  # the most its /tmp held (MiB, sampled)
    left_running: tuple[LeftRunning, ...] = ()  # what its handlers left running, and its fate
    runtime_init_ms: float | None = None  # the runtime's start: spawn -> runtime ready (local);
    # runtime_init_ms + init_ms is Lambda's Init Duration. None on real Lambda, where init_ms
    # is the whole Init Duration (the split cannot be seen there).
    stopped_init_ms: float | None = None  # an init Lambda stopped at its 10 s limit; the init
    # figures above are then those of its second run, inside the first invocation
    billed_ms: int | None = None  # Billed Duration of the cold invocation, failed or not
    warm_billed_ms: tuple[int, ...] = ()  # Billed Duration of every warm invocation, failed or not
    first_invoke_import_ms: float | None = None  # of first_invoke_ms, the time spent importing
    # modules init had not (imports deferred to the first invocation); None: not measured


@dataclass(frozen=True, kw_only=True)
class LeftRunningCount:
    """One piece of work left running when a handler returned, counted over the environments."""

    kind: str  # "thread" | "task" | "process"
    name: str
    where: str
    environments: int  # environments in which a handler left it running
    times: int  # how many times it was left running (once per invocation that started it)
    finished_later: int  # of those, how many finished during a later invocation (after a freeze)
    lost: int  # ... and how many were still running when their environment ended


@dataclass(frozen=True, kw_only=True)
class ColdStats:
    """Statistics of the cold samples, in ms."""

    init_ms: Stats | None  # the function's part of init (locally; real Lambda: all of it)
    first_invoke_ms: Stats | None
    total_ms: Stats | None
    runtime_init_ms: Stats | None = None  # the runtime's start (locally; None on real Lambda)
    first_invoke_import_ms: Stats | None = None  # the first invocation's deferred imports
    first_invoke_other_ms: Stats | None = None  # the rest of it: first_invoke_ms - imports, per
    # sample (both None on real Lambda and with awslambdaric, where they cannot be measured)


@dataclass(frozen=True, kw_only=True)
class WarmStats:
    """Statistics of the warm invocations, in ms."""

    invoke_ms: Stats | None  # the handler's own time (Lambda's Duration)
    round_trip_ms: Stats | None  # with coldprof's per-invocation overhead


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """How much faster one run's phase is than another's, hyperfine style."""

    phase: str  # "cold start" or "warm invocation"
    faster: str  # label of the faster run
    slower: str
    times: float  # slower mean / faster mean (>= 1)
    error: float  # standard error of `times`, propagated from both standard deviations
    ci_low: float  # 95% confidence interval of `times` (bootstrap over the raw samples)
    ci_high: float
    significant: bool  # beyond the noise: 3+ samples a side, interval above 1, times - error > 1
    difference_ms: float | None  # slower mean - faster mean (None: a version-1 document)
    verdict: str  # "faster"; "within-noise": not significant; "too-small": below 0.1 ms


@dataclass(frozen=True, kw_only=True)
class NotCold:
    """A first invocation after a configuration change whose REPORT had no Init Duration."""

    memory_mb: int
    sample: int
    request_id: str
    duration_ms: float
    round_trip_ms: float


@dataclass(frozen=True, kw_only=True)
class SweepRow:
    """One memory size of a sweep."""

    memory_mb: int
    cold_start_median_ms: float | None  # Init Duration + Duration
    warm_median_ms: float | None  # Duration
    expected_ms: float | None  # mean latency at the run's cold-start share
    per_million_usd: float | None  # a million invocations at that share
    cheapest: bool
    fastest: bool  # the lowest expected latency, beyond the noise of every other size
    within_noise_of_fastest: bool = False  # cannot be told apart from the lowest expected latency


@dataclass(frozen=True, kw_only=True)
class RemoteDetails:
    """What only a deployed function's benchmark has: what was changed and put back."""

    function_name: str
    function_arn: str
    qualifier: str | None
    endpoint_url: str | None
    runtime: str
    concurrency: int
    marker_variable: str  # the environment variable changed for each cold round
    not_cold: tuple[NotCold, ...]
    sweep: tuple[SweepRow, ...]  # one row per memory size when --memory lists several
    configuration_changed: bool
    configuration_restored: bool
    restore: Note  # "unchanged", "restored", "versions-left" or "not-restored", with what to do
    cold_via: str = "configuration"  # or "publish-version": each cold round invoked a new version
    published_versions: tuple[str, ...] = ()  # versions published for the cold rounds
    versions_deleted: bool = True  # every published version was deleted afterwards


@dataclass(frozen=True, kw_only=True)
class BenchResult:
    """Cold against warm for one handler, with cost, errors, every raw sample and comparisons."""

    label: str  # how comparisons name this run
    target: str
    handler: str
    layers: tuple[str, ...]
    python: str  # the real executable that ran the handler
    python_version: str
    memory_mb: int
    timeout_s: float
    arch: str
    region: str
    cold_samples: int  # cold samples asked for
    warm_per_environment: int  # warm invocations asked for in each cold sample's environment
    warmup: int  # cold samples run first and not recorded
    cold: ColdStats
    warm: WarmStats
    max_memory_used_mb: float | None  # peak resident memory over every environment (MiB)
    errors: tuple[SampleError, ...]
    samples: tuple[Sample, ...]
    cost: CostEstimate
    warnings: tuple[Note, ...]  # how far the figures can be trusted: outliers, wide-spread, ...
    interrupted: bool  # stopped early (Ctrl-C or an environment coldprof could not run)
    compared: tuple[BenchResult, ...]  # the other runs of --compare / --compare-handler
    comparisons: tuple[Comparison, ...]  # each compared run against this one
    runtime_client: str = "coldprof"  # the runtime that ran the handler: coldprof | awslambdaric
    read_only: str = ""  # how the package was kept read-only: mount-namespace | audit-hook
    remote: RemoteDetails | None = None  # a deployed function's benchmark (bench --function-name)
    emulation: Emulation | None = None  # how the environments lived here (CPU share, freeze...)
    held_vcpus: float | None = None  # warm invocations' CPU time over their wall time
    ephemeral_peak_mb: float | None = None  # the most any environment's /tmp held (MiB)
    left_running: tuple[LeftRunningCount, ...] = ()  # work handlers left running
    kind: str = "bench"
    schema_version: int = SCHEMA_VERSION

    @property
    def runs(self) -> tuple[BenchResult, ...]:
        """This run and the compared ones, in order."""
        return (self, *self.compared)

    @property
    def failed(self) -> bool:
        """True when any sample of any run failed."""
        return any(run.errors for run in self.runs)


def _comparison_from_v1(comparison: dict[str, Any]) -> dict[str, Any]:
    """Version 1 worded its verdict in `summary`; the numbers and the verdict stay."""
    summary = comparison.get("summary")
    small = isinstance(summary, str) and summary.endswith("too small to matter")
    verdict = "faster" if comparison.get("significant") else "within-noise"
    found = {key: value for key, value in comparison.items() if key != "summary"}
    return {**found, "difference_ms": None, "verdict": "too-small" if small else verdict}


def _remote_from_v1(remote: Any) -> Any:
    if not isinstance(remote, dict) or "restore_note" not in remote:
        return remote
    return {**remote, "restore": legacy_note(remote["restore_note"])}


def _from_v1(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 held warnings, comparison verdicts and the restore note as sentences."""
    document = with_field(document, "warnings", legacy_notes)
    document = with_field(document, "comparisons", each_object(_comparison_from_v1))
    document = with_field(document, "remote", _remote_from_v1)
    return with_field(document, "compared", each_object(_compared_from_v1))


def _compared_from_v1(document: dict[str, Any]) -> dict[str, Any]:
    return {**_from_v1(document), "schema_version": 2}


UPGRADES = {1: _from_v1}  # schema version -> its document upgraded to the next version
