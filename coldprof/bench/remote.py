"""`coldprof bench --function-name`: cold against warm on a deployed function, through boto3.

A cold sample: change one environment variable (COLDPROF_COLD), wait for the update with the
`function_updated_v2` waiter, invoke with LogType=Tail and read the REPORT line. Only an
invocation whose REPORT has Init Duration (or Restore Duration) counts as cold; a first
invocation without one (AWS had an environment ready) is reported apart. With --concurrency K,
K invocations run at once after each change (K cold starts per round). Warm invocations follow
back to back. A memory sweep repeats this per memory size. The original MemorySize and
environment variables are always put back, also after an error or Ctrl-C.

With --cold-via publish-version, each cold round also publishes $LATEST as a new version and
invokes that version (a new version starts cold; for SnapStart functions it is the only way),
the warm invocations go to the last one, and every version published is deleted afterwards.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
    WaiterError,
)

from coldprof.bench.cost import estimate_cost
from coldprof.bench.driver import Observer, Progress
from coldprof.bench.quality import few_samples, latency_warnings
from coldprof.bench.report_line import ReportLine, parse_reports
from coldprof.bench.result import (
    BenchResult,
    ColdStats,
    NotCold,
    RemoteDetails,
    Sample,
    SampleError,
    WarmStats,
    environment_error,
)
from coldprof.bench.run import comparisons
from coldprof.bench.sweep import sweep_rows
from coldprof.errors import ColdprofError, UsageError
from coldprof.render.units import memory_mb
from coldprof.render.words import word
from coldprof.results import Note
from coldprof.stats import summarize

MARKER = "COLDPROF_COLD"  # the environment variable changed to force cold starts
LATEST = "$LATEST"
READ_TIMEOUT_S = 960  # longer than Lambda's longest timeout (900 s)
DENIED = ("AccessDeniedException", "AccessDenied")
REFUSED = ("UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException")
PERMISSIONS = (
    "lambda:GetFunction, lambda:GetFunctionConfiguration, lambda:UpdateFunctionConfiguration "
    "and lambda:InvokeFunction (with --cold-via publish-version, also lambda:PublishVersion and "
    "lambda:DeleteFunction)"
)
COLD_VIA = ("configuration", "publish-version")


@dataclass(frozen=True, kw_only=True)
class RemoteOptions:
    """What to measure on which deployed function, and how to reach it."""

    function_name: str
    region: str | None = None
    profile: str | None = None
    qualifier: str | None = None
    endpoint_url: str | None = None
    event: Any = field(default_factory=dict)
    cold: int = 10
    warm: int = 10
    concurrency: int = 1
    memory_sizes: tuple[int, ...] = ()  # a sweep; empty: the function's own memory size
    cold_share: float = 0.01
    max_attempts: int = 5  # attempts per call in all (botocore's standard retries, throttling too)
    cold_via: str = "configuration"  # or "publish-version": a new version per cold round


@dataclass(frozen=True)
class Invocation:
    """One Invoke call: the REPORT figures, the client's round trip, the function error."""

    request_id: str
    round_trip_ms: float
    report: ReportLine | None
    error_type: str | None
    error_message: str


@dataclass
class Versions:
    """The versions published for the cold rounds (--cold-via publish-version)."""

    published: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # published, and could not be deleted


@dataclass
class SizeRun:
    """What one memory size measured so far (kept when the run stops early)."""

    memory_mb: int
    samples: list[Sample] = field(default_factory=list)
    errors: list[SampleError] = field(default_factory=list)
    not_cold: list[NotCold] = field(default_factory=list)
    cold_billed_ms: list[int] = field(default_factory=list)
    warm: list[Invocation] = field(default_factory=list)
    memory_used_mb: list[int] = field(default_factory=list)


def lambda_client(options: RemoteOptions) -> Any:
    """A Lambda client with botocore's standard retries; one clear line for a bad setup."""
    region = options.region or os.environ.get("AWS_REGION")  # boto3 reads AWS_DEFAULT_REGION
    try:
        session = boto3.session.Session(profile_name=options.profile, region_name=region)
        config = Config(
            # total_max_attempts counts every attempt; botocore's max_attempts only the retries
            retries={"mode": "standard", "total_max_attempts": options.max_attempts},
            read_timeout=READ_TIMEOUT_S,
            max_pool_connections=max(10, options.concurrency),
        )
        return session.client("lambda", endpoint_url=options.endpoint_url, config=config)
    except ProfileNotFound:
        raise UsageError(f"--profile {options.profile}: no such AWS profile") from None
    except NoRegionError:
        raise UsageError("no AWS region: pass --region or set AWS_REGION") from None
    except ValueError as error:
        raise UsageError(f"--endpoint-url {options.endpoint_url}: {error}") from None


def _client_error_message(error: ClientError, name: str, action: str) -> str:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    if code == "ResourceNotFoundException":
        return f"function {name!r} not found ({message}); check --function-name and --region"
    if code in DENIED:
        return f"lambda:{action} on {name!r} was denied ({message}); coldprof needs {PERMISSIONS}"
    if code in REFUSED:
        return f"AWS refused the credentials ({code}: {message}); check --profile"
    return f"lambda:{action} on {name!r} failed: {code}: {message}"


@contextmanager
def aws_errors(name: str, action: str) -> Iterator[None]:
    """Turn boto3's exceptions into one clear ColdprofError line."""
    try:
        yield
    except NoCredentialsError:
        raise ColdprofError(
            "no AWS credentials found: pass --profile, or set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ) from None
    except ClientError as error:
        raise ColdprofError(_client_error_message(error, name, action)) from None
    except WaiterError as error:
        last = error.last_response or {}
        if "Error" in last:
            failed = ClientError(last, "GetFunction")
            raise ColdprofError(_client_error_message(failed, name, "GetFunction")) from None
        raise ColdprofError(
            f"the configuration update of {name!r} did not finish: {error}"
        ) from None
    except BotoCoreError as error:
        raise ColdprofError(f"lambda:{action} on {name!r} failed: {error}") from None


def wait_updated(client: Any, name: str) -> None:
    """Wait until the function's last update is done (waiter function_updated_v2)."""
    with aws_errors(name, "GetFunction"):
        client.get_waiter("function_updated_v2").wait(FunctionName=name)


def update_configuration(client: Any, name: str, memory_mb: int, variables: dict) -> None:
    """Set MemorySize and the environment variables, then wait for the update to finish."""
    with aws_errors(name, "UpdateFunctionConfiguration"):
        client.update_function_configuration(
            FunctionName=name, MemorySize=memory_mb, Environment={"Variables": variables}
        )
    wait_updated(client, name)


def original_variables(configuration: dict) -> dict[str, str]:
    """The function's environment variables; refused when AWS could not show them all."""
    environment = configuration.get("Environment") or {}
    if environment.get("Error"):
        detail = environment["Error"].get("Message", "")
        raise ColdprofError(
            f"cannot read the environment variables of {configuration['FunctionName']!r} "
            f"({detail}), so they could not be put back: nothing was changed"
        )
    return dict(environment.get("Variables") or {})


def force_cold(client: Any, name: str, original: dict, memory_mb: int) -> None:
    """Change the marker variable (and the memory size): the next invocations start cold."""
    variables = {**original_variables(original), MARKER: str(uuid.uuid4())}
    update_configuration(client, name, memory_mb, variables)


def publish_version(client: Any, name: str, versions: Versions) -> str:
    """Publish $LATEST as a new version (kept in `versions` for deletion) and wait until it is
    active: its first invocation is a cold start, the way that works for SnapStart functions."""
    with aws_errors(name, "PublishVersion"):
        version = client.publish_version(FunctionName=name)["Version"]
    versions.published.append(version)
    with aws_errors(name, "GetFunctionConfiguration"):
        client.get_waiter("published_version_active").wait(FunctionName=name, Qualifier=version)
    return version


def delete_versions(client: Any, name: str, versions: Versions) -> None:
    """Delete the versions published for the benchmark; those that could not be stay in `left`."""
    for version in versions.published:
        try:
            with aws_errors(name, "DeleteFunction"):
                client.delete_function(FunctionName=name, Qualifier=version)
        except (ColdprofError, KeyboardInterrupt):
            versions.left.append(version)


def restore(client: Any, name: str, original: dict, versions: Versions | None = None) -> Note:
    """Delete the versions published, then put the original MemorySize and environment variables
    back: restored, versions-left or not-restored."""
    versions = versions or Versions()
    delete_versions(client, name, versions)
    memory_mb = original["MemorySize"]
    variables = original_variables(original)
    values = {"function": name, "memory_mb": memory_mb}
    if versions.published:
        values.update(versions_published=len(versions.published), versions_left=versions.left)
    try:
        update_configuration(client, name, memory_mb, variables)
    except (ColdprofError, KeyboardInterrupt) as error:
        reason = error.message if isinstance(error, ColdprofError) else "interrupted"
        return Note("not-restored", {**values, "reason": reason, "marker_variable": MARKER})
    code = "versions-left" if versions.left else "restored"
    return Note(code, {**values, "variables": len(variables)})


def _function_error(payload: bytes) -> tuple[str, str]:
    try:
        error = json.loads(payload)
    except ValueError:
        return "Unhandled", payload[:200].decode("utf-8", "replace")
    if not isinstance(error, dict):
        return "Unhandled", str(error)[:200]
    return str(error.get("errorType", "Unhandled")), str(error.get("errorMessage", ""))


def invoke(
    client: Any, options: RemoteOptions, payload: bytes, qualifier: str | None = None
) -> Invocation:
    """One RequestResponse invocation with LogType=Tail (of `qualifier`, or --qualifier), its
    REPORT parsed."""
    qualifier = qualifier or options.qualifier
    kwargs = {"Qualifier": qualifier} if qualifier else {}
    started_ns = time.perf_counter_ns()
    with aws_errors(options.function_name, "InvokeFunction"):
        response = client.invoke(
            FunctionName=options.function_name,
            InvocationType="RequestResponse",
            LogType="Tail",
            Payload=payload,
            **kwargs,
        )
        body = response["Payload"].read()
    round_trip_ms = (time.perf_counter_ns() - started_ns) / 1e6
    log = base64.b64decode(response.get("LogResult", "")).decode("utf-8", "replace")
    reports = parse_reports(log)
    error_type, message = _function_error(body) if response.get("FunctionError") else (None, "")
    return Invocation(
        request_id=response["ResponseMetadata"].get("RequestId", ""),
        round_trip_ms=round_trip_ms,
        report=reports[-1] if reports else None,
        error_type=error_type,
        error_message=message,
    )


def _invoke_at_once(
    client: Any, options: RemoteOptions, payload: bytes, count: int, qualifier: str | None
) -> list:
    if count == 1:
        return [invoke(client, options, payload, qualifier)]
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: invoke(client, options, payload, qualifier), range(count)))


def _failure(invocation: Invocation, sample: int, phase: str, number: int) -> SampleError | None:
    """The SampleError of a failed invocation or one without a REPORT line; None if fine."""
    if invocation.error_type is None and invocation.report is not None:
        return None
    report = invocation.report
    if invocation.error_type is not None:
        error_type, message = invocation.error_type, invocation.error_message
    else:
        error_type, message = "coldprof.NoReport", "no REPORT line in the log tail (LogResult)"
    return SampleError(
        sample=sample,
        phase=phase,
        invocation=number,
        type=error_type,
        message=message,
        stack_trace=(),
        duration_ms=report.duration_ms if report else invocation.round_trip_ms,
        environment_ended=bool(report and report.status),
    )


def _cold_sample(index: int, invocation: Invocation) -> Sample:
    report = invocation.report
    init_ms = report.init_duration_ms or report.restore_duration_ms or 0.0
    return Sample(
        index=index,
        init_ms=init_ms,
        first_invoke_ms=report.duration_ms,
        total_ms=init_ms + report.duration_ms,
        first_round_trip_ms=invocation.round_trip_ms,
        invoke_ms=(),
        round_trip_ms=(),
        max_memory_used_mb=float(report.max_memory_used_mb),
        ok=True,
    )


def record_invocation(
    run: SizeRun, invocation: Invocation, sample: int, phase: str, number: int
) -> None:
    """File one invocation: a failure, a cold sample, a first call that was not cold, or warm."""
    failure = _failure(invocation, sample, phase, number)
    if failure is not None:
        run.errors.append(failure)
        return
    report = invocation.report
    run.memory_used_mb.append(report.max_memory_used_mb)
    if report.cold:  # a warm-phase one too: Lambda started another environment
        run.samples.append(_cold_sample(sample + number, invocation))
        run.cold_billed_ms.append(
            report.billed_duration_ms + (report.billed_restore_duration_ms or 0)
        )
    elif phase == "first_invoke":
        not_cold = NotCold(
            memory_mb=run.memory_mb,
            sample=sample,
            request_id=invocation.request_id,
            duration_ms=report.duration_ms,
            round_trip_ms=invocation.round_trip_ms,
        )
        run.not_cold.append(not_cold)
    else:
        run.warm.append(invocation)


def _rounds(cold: int, concurrency: int) -> list[int]:
    """How many invocations each cold round runs at once."""
    count = math.ceil(cold / concurrency)
    return [min(concurrency, cold - i * concurrency) for i in range(count)]


def measure_size(
    client: Any,
    options: RemoteOptions,
    original: dict,
    run: SizeRun,
    tick: Callable[[], None],
    versions: Versions,
) -> None:
    """Cold rounds, then warm invocations, at one memory size (filling `run` as it goes); with
    --cold-via publish-version each round invokes a version published for it."""
    payload = json.dumps(options.event).encode()
    name = options.function_name
    via_versions = options.cold_via == "publish-version"
    index, qualifier = 0, None
    for count in _rounds(options.cold, options.concurrency):
        force_cold(client, name, original, run.memory_mb)
        qualifier = publish_version(client, name, versions) if via_versions else None
        for invocation in _invoke_at_once(client, options, payload, count, qualifier):
            record_invocation(run, invocation, index, "first_invoke", 0)
            index += 1
            tick()
    if options.cold == 0 and (options.memory_sizes or via_versions):
        force_cold(client, name, original, run.memory_mb)
        qualifier = publish_version(client, name, versions) if via_versions else None
    for number in range(1, options.warm + 1):
        invocation = invoke(client, options, payload, qualifier)
        record_invocation(run, invocation, options.cold, "warm_invoke", number)
        tick()


def _warm_sample(run: SizeRun, index: int) -> Sample | None:
    if not run.warm:
        return None
    return Sample(
        index=index,
        init_ms=None,
        first_invoke_ms=None,
        total_ms=None,
        first_round_trip_ms=None,
        invoke_ms=tuple(inv.report.duration_ms for inv in run.warm),
        round_trip_ms=tuple(inv.round_trip_ms for inv in run.warm),
        max_memory_used_mb=float(max(inv.report.max_memory_used_mb for inv in run.warm)),
        ok=not any(e.phase == "warm_invoke" for e in run.errors),
    )


def _warnings(run: SizeRun, cold: ColdStats, warm: WarmStats, requested: int) -> list[Note]:
    warnings = latency_warnings(cold, warm)
    if run.not_cold:
        warnings.append(Note("not-cold", {"invocations": len(run.not_cold)}))
    if requested:
        warnings += few_samples("few-cold-starts", len(run.cold_billed_ms))
    return warnings


def size_result(
    run: SizeRun, options: RemoteOptions, configuration: dict, label: str, interrupted: bool
) -> BenchResult:
    """The bench record of one memory size, costed from REPORT's Billed Duration."""
    warm_sample = _warm_sample(run, options.cold)
    everything = run.samples + ([warm_sample] if warm_sample else [])
    samples = tuple(sorted(everything, key=lambda s: s.index))
    cold_samples = [s for s in samples if s.total_ms is not None]
    cold = ColdStats(
        init_ms=summarize([s.init_ms for s in cold_samples]),
        first_invoke_ms=summarize([s.first_invoke_ms for s in cold_samples]),
        total_ms=summarize([s.total_ms for s in cold_samples]),
    )
    warm = WarmStats(
        invoke_ms=summarize([inv.report.duration_ms for inv in run.warm]),
        round_trip_ms=summarize([inv.round_trip_ms for inv in run.warm]),
    )
    arch = (configuration.get("Architectures") or ["x86_64"])[0]
    cost = estimate_cost(
        run.cold_billed_ms,
        [inv.report.billed_duration_ms for inv in run.warm],
        run.memory_mb,
        arch,
        options.region,
        options.cold_share,
    )
    runtime = configuration.get("Runtime", "")
    return BenchResult(
        label=label,
        target=configuration["FunctionArn"],
        handler=configuration.get("Handler", ""),
        layers=tuple(layer["Arn"] for layer in configuration.get("Layers", [])),
        python=f"AWS Lambda {runtime}",
        python_version=runtime.removeprefix("python"),
        memory_mb=run.memory_mb,
        timeout_s=float(configuration.get("Timeout", 3)),
        arch=arch,
        region=options.region,
        cold_samples=options.cold,
        warm_per_environment=options.warm,
        warmup=0,
        cold=cold,
        warm=warm,
        max_memory_used_mb=float(max(run.memory_used_mb)) if run.memory_used_mb else None,
        errors=tuple(run.errors),
        samples=samples,
        cost=cost,
        warnings=tuple(_warnings(run, cold, warm, options.cold)),
        interrupted=interrupted,
        compared=(),
        comparisons=(),
    )


def check_plan(options: RemoteOptions) -> None:
    """Refuse what cannot be measured: cold starts of a published version or alias."""
    if options.cold_via not in COLD_VIA:
        raise UsageError(f"--cold-via {options.cold_via}: expected {' or '.join(COLD_VIA)}")
    changes = options.cold > 0 or options.memory_sizes or options.cold_via != COLD_VIA[0]
    if options.qualifier not in (None, LATEST) and changes:
        raise UsageError(
            f"--qualifier {options.qualifier}: a published version's configuration cannot "
            "change, so coldprof cannot force its cold starts or set its memory; "
            "use --cold 0 without --memory to measure its warm invocations"
        )
    if options.cold <= 0 and options.warm <= 0:
        raise UsageError("nothing to measure: --cold and --warm are both 0")


def _progress(observer: Observer | None, label: str, total: int) -> Callable[[], None]:
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if observer is not None:
            observer(Progress(label, done, total, None))

    return tick


def _measure_all(
    client: Any,
    options: RemoteOptions,
    original: dict,
    observer: Observer | None,
    versions: Versions,
) -> tuple[list[SizeRun], bool]:
    """Every memory size in turn; stops early on Ctrl-C or an API error, keeping what it has."""
    sizes = options.memory_sizes or (original["MemorySize"],)
    total = len(sizes) * (options.cold + options.warm)
    tick = _progress(observer, options.function_name, total)
    runs: list[SizeRun] = []
    try:
        for memory_mb in sizes:
            runs.append(SizeRun(memory_mb))
            measure_size(client, options, original, runs[-1], tick, versions)
    except KeyboardInterrupt:
        return runs, True
    except ColdprofError as error:
        if not any(run.samples or run.warm for run in runs):
            raise
        runs[-1].errors.append(environment_error(len(runs[-1].samples), error.message))
        return runs, True
    return runs, False


def _details(
    options: RemoteOptions,
    configuration: dict,
    runs: list[SizeRun],
    results: tuple[BenchResult, ...],
    restored: Note | None,
    versions: Versions,
) -> RemoteDetails:
    return RemoteDetails(
        function_name=options.function_name,
        function_arn=configuration["FunctionArn"],
        qualifier=options.qualifier,
        endpoint_url=options.endpoint_url,
        runtime=configuration.get("Runtime", ""),
        concurrency=options.concurrency,
        marker_variable=MARKER,
        not_cold=tuple(n for run in runs for n in run.not_cold),
        sweep=sweep_rows(results) if len(results) > 1 else (),
        configuration_changed=restored is not None,
        configuration_restored=restored is None or restored.code == "restored",
        restore=restored or Note("unchanged", {"function": options.function_name}),
        cold_via=options.cold_via,
        published_versions=tuple(versions.published),
        versions_deleted=not versions.left,
    )


def assemble(
    options: RemoteOptions,
    configuration: dict,
    runs: list[SizeRun],
    interrupted: bool,
    restored: Note | None,
    versions: Versions | None = None,
) -> BenchResult:
    """The result: the first memory size, the others compared with it, what was put back;
    `interrupted` at the top level whichever size was being measured."""
    sweep = len(runs) > 1 or bool(options.memory_sizes)
    results = tuple(
        size_result(
            run,
            options,
            configuration,
            memory_mb(run.memory_mb) if sweep else options.function_name,
            interrupted and i == len(runs) - 1,
        )
        for i, run in enumerate(runs)
    )
    details = _details(options, configuration, runs, results, restored, versions or Versions())
    first, *others = results
    found = [c for other in others for c in comparisons(first, other)]
    return dataclasses.replace(
        first,
        compared=tuple(others),
        comparisons=tuple(found),
        remote=details,
        interrupted=interrupted,
    )


def _measure_then_restore(
    client: Any,
    options: RemoteOptions,
    original: dict,
    observer: Observer | None,
    versions: Versions,
) -> tuple[list[SizeRun], bool, Note]:
    """Measure, then delete the versions published and put the configuration back, whatever
    happened."""
    name = options.function_name
    try:
        runs, interrupted = _measure_all(client, options, original, observer, versions)
    except ColdprofError as error:
        note = word(restore(client, name, original, versions))
        raise ColdprofError(f"{error.message}; {note}") from None
    except BaseException:
        restore(client, name, original, versions)
        raise
    return runs, interrupted, restore(client, name, original, versions)


def bench_remote(options: RemoteOptions, observer: Observer | None = None) -> BenchResult:
    """Cold and warm invocations of a deployed function; its configuration is always put back."""
    check_plan(options)
    client = lambda_client(options)
    options = dataclasses.replace(options, region=client.meta.region_name)
    name = options.function_name
    wait_updated(client, name)
    with aws_errors(name, "GetFunctionConfiguration"):
        original = client.get_function_configuration(FunctionName=name)
    versions = Versions()
    if options.cold == 0 and not options.memory_sizes and options.cold_via == COLD_VIA[0]:
        runs, interrupted = _measure_all(client, options, original, observer, versions)
        return assemble(options, original, runs, interrupted, None)
    original_variables(original)
    runs, interrupted, restored = _measure_then_restore(
        client, options, original, observer, versions
    )
    return assemble(options, original, runs, interrupted, restored, versions)
