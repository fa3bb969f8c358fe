"""Words for how an environment lived: its CPU share and how it was held, the freeze, /tmp, and
the work its handlers left running (a finding, with its advice)."""

from __future__ import annotations

from coldprof.bench.invocation import Invocation
from coldprof.bench.result import LeftRunningCount
from coldprof.render import units
from coldprof.results import display_path
from coldprof.sandbox import Emulation, LeftRunning

ADVICE = (
    "await or join background work before the handler returns, or hand it to an extension "
    "or a queue: on Lambda it is frozen between invocations, and lost with the environment"
)
CPU_METHODS = {
    "cgroup-v2": "a cgroup v2 CPU quota",
    "cgroup-v1": "a cgroup v1 CPU quota",
    "duty-cycle": "a duty cycle coldprof drives (no cgroup quota here)",
}
UNSEEN = (
    "threads and asyncio tasks not seen, only processes: AWS's runtime client "
    "(--runtime-client awslambdaric) runs unmodified"
)
IMPORTS_UNSEEN = (
    "not timed apart from the rest: AWS's runtime client (--runtime-client awslambdaric) runs "
    "unmodified"
)


def vcpus(value: float) -> str:
    """A share of CPUs: 0.072 vCPU, 1 vCPU, 2.5 vCPUs."""
    shown = f"{value:.3f}" if value < 1 else f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{shown} vCPU" + ("s" if value > 1 else "")


def _cpu(emulation: Emulation, memory_mb: int) -> str:
    """The CPU share and how it was held."""
    if emulation.vcpus is None:
        return "not limited (--cpu-share off: this machine's CPUs, not Lambda's share)"
    share = f"{vcpus(emulation.vcpus)} for {units.memory_mb(memory_mb)}"
    if emulation.vcpus >= emulation.machine_cpus:
        return f"{share}, not limited: this machine has {emulation.machine_cpus} CPUs"
    method = CPU_METHODS.get(emulation.cpu_method, emulation.cpu_method)
    return f"{share}, held by {method}"


def _init(emulation: Emulation) -> str:
    if emulation.init_vcpus is None:
        return "not limited"
    how = "boosted, as measured on Lambda" if emulation.init_cpu == "boosted" else "memory's share"
    return f"{vcpus(emulation.init_vcpus)} ({how}; --init-cpu)"


def _capped(emulation: Emulation, memory_mb: int) -> str:
    return (
        f"{units.memory_mb(memory_mb)} grants {vcpus(emulation.vcpus)} on Lambda; this machine has "
        f"{emulation.machine_cpus}: multi-threaded code runs slower here"
    )


READ_ONLY_WAYS = {
    "mount-namespace": "by a read-only mount namespace (every write fails, as on Lambda)",
    "audit-hook": (
        "by an audit hook only (no mount namespace here): writes through a subprocess, "
        "os.mkfifo, os.mknod or C code are not stopped, only reported"
    ),
}


def read_only_way(mode: str) -> str:
    """How the package was kept read-only."""
    return READ_ONLY_WAYS.get(mode, mode)


def emulation_rows(
    emulation: Emulation, memory_mb: int, held: float | None, peak_mb: float | None
) -> list[list[str]]:
    """How the environments lived here, as (what, how) rows."""
    rows = [["CPU share", _cpu(emulation, memory_mb)]]
    if emulation.vcpus is not None and held is not None:
        rows.append(["CPU held (CPU time / wall time, warm)", vcpus(held)])
    if emulation.capped:
        rows.append(["CPU capped", _capped(emulation, memory_mb)])
    rows.append(["CPU during init", _init(emulation)])
    rows.append(["frozen between invocations", f"by {emulation.freeze}"])
    rows.append(["every process ended with its environment", f"by {emulation.processes}"])
    storage = "size-limited tmpfs" if emulation.ephemeral_storage == "tmpfs" else "watched"
    peak = "" if peak_mb is None else f", peak {units.memory_mb(peak_mb, 1)}"
    rows.append(["/tmp", f"{units.memory_mb(emulation.ephemeral_storage_mb)}, {storage}{peak}"])
    if emulation.read_only:
        rows.append(["package read-only", read_only_way(emulation.read_only)])
    if emulation.cold_cache_bytes is not None:
        dropped = units.exact_bytes(emulation.cold_cache_bytes)
        rows.append(["code read cold", f"{dropped} dropped from cache"])
    if not emulation.threads_seen:
        rows.append(["work left running", UNSEEN])
    if not emulation.imports_seen:
        rows.append(["imports deferred to the first invocation", IMPORTS_UNSEEN])
    return rows


def _held_to(emulation: Emulation, memory_mb: int) -> str:
    """The CPU share the environment was held to, by its memory size, and how."""
    if emulation.vcpus is None:
        return _cpu(emulation, memory_mb)
    memory = units.memory_mb(memory_mb)
    share = f"{vcpus(emulation.vcpus)}, the share of {memory} (memory / 1,769 MB)"
    if emulation.vcpus >= emulation.machine_cpus:
        return f"{share}, not held: this machine has {emulation.machine_cpus} CPUs"
    method = CPU_METHODS.get(emulation.cpu_method, emulation.cpu_method)
    return f"held to {share}, by {method}"


def _used(used: float | None) -> str:
    """What the invocation used of it."""
    if used is None:
        return ""
    return f"; the invocation used {vcpus(used)} on average (its CPU time / its wall time)"


def emulation_lines(
    emulation: Emulation, memory_mb: int, used: float | None, peak_mb: float | None
) -> list[str]:
    """The same, one compact line per subject, for a log; `used`: the CPUs one invocation used
    on average."""
    storage = "tmpfs" if emulation.ephemeral_storage == "tmpfs" else "watched"
    peak = "" if peak_mb is None else f", peak {units.memory_mb(peak_mb, 1)}"
    tmp = units.memory_mb(emulation.ephemeral_storage_mb)
    used_text = _used(used) if emulation.vcpus is not None else ""
    lines = [f"CPU: {_held_to(emulation, memory_mb)}{used_text}; init: {_init(emulation)}"]
    if emulation.capped:
        lines.append(f"CPU capped: {_capped(emulation, memory_mb)}")
    lines.append(
        f"environment: frozen between invocations by {emulation.freeze}, processes ended by "
        f"{emulation.processes}, /tmp {tmp} {storage}{peak}"
    )
    if emulation.read_only:
        lines.append(f"package read-only {read_only_way(emulation.read_only)}")
    if not emulation.threads_seen:
        lines.append(f"work left running: {UNSEEN}")
    if not emulation.imports_seen:
        lines.append(f"imports deferred to the first invocation: {IMPORTS_UNSEEN}")
    return lines


def _what(kind: str, name: str, where: str, started_at: str = "") -> str:
    started = f", started at {display_path(started_at)}" if started_at else ""
    return f"{kind} `{display_path(name)}` ({display_path(where)}{started})"


def left_running_line(item: LeftRunning) -> str:
    """One item's story: "thread `notify` (...) was running when invocation 1 returned; ..."."""
    what = _what(item.kind, item.name, item.where, item.started_at)
    if item.finished_during is not None:
        fate = (
            f"it was frozen for {units.ms(item.frozen_ms)} and finished during invocation "
            f"{item.finished_during}"
        )
    else:
        fate = "it was still running when the environment ended"
    return f"{what} was running when invocation {item.seen_after} returned; {fate}"


def init_thread_line(item: LeftRunning) -> str:
    """A thread started at init, running as the first invocation started, and its fate then."""
    what = _what(item.kind, item.name, item.where, item.started_at)
    if item.finished_during is not None:
        return f"{what} finished during invocation {item.finished_during}"
    return f"{what} was still running when invocation 1 returned"


def left_running_count_line(item: LeftRunningCount) -> str:
    """One item counted over a run's environments."""
    what = _what(item.kind, item.name, item.where)
    return (
        f"{what} was left running {item.times} time(s) in {item.environments} environment(s): "
        f"{item.finished_later} finished during a later invocation, after a freeze; "
        f"{item.lost} were still running when their environment ended"
    )


def package_changed_line(paths: tuple[str, ...]) -> str:
    """What the function changed in its package where only the audit hook guarded it."""
    shown = ", ".join(display_path(path) for path in paths)
    return (
        f"package changed though read-only on Lambda: {shown} (only an audit hook guarded it "
        "here, which does not see a subprocess, os.mkfifo, os.mknod or C code writing; on "
        "Lambda those writes fail with EROFS)"
    )


def invocation_lines(outcome: Invocation) -> list[str]:
    """After one invocation's log: how its environment lived, what changed in its package past
    the audit hook, and the work it left running with the advice."""
    init, result = outcome.init, outcome.result
    lines = []
    if init is not None and init.emulation is not None:
        used = result.used_vcpus if result is not None else None
        peak_mb = (result or init).ephemeral_peak_mb
        lines += emulation_lines(init.emulation, outcome.memory_mb, used, peak_mb)
    changed = (*(init.package_changed if init else ()), *(result.package_changed if result else ()))
    if changed:
        lines.append(package_changed_line(changed))
    left = result.left_running if result else ()
    if left:
        lines += [f"left running: {left_running_line(item)}" for item in left]
        lines.append(f"advice: {ADVICE}")
    return lines
