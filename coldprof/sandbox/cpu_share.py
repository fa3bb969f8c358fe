"""The CPU a Lambda function gets for its memory size, and how an environment is held to it.

Lambda gives a function CPU in proportion to its memory: 1,769 MB is one vCPU, up to 6 vCPUs
at 10,240 MB; a function over its share is paused until the end of a 20 ms period (CFS
bandwidth control). coldprof does the same with a cgroup quota where it has one, and
otherwise with a duty cycle it drives itself: every few hundred microseconds it reads the
environment's CPU time and, once the period's share is spent, stops every process of the
environment until the period ends (the overrun is taken from the next period, the next
invocation's if need be, so the share holds on average). Init runs boosted by default (at
least one vCPU), as practitioners measure on-demand inits on Lambda; `init_cpu="memory"`
gives init the memory's share too.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from coldprof.data import lambda_facts
from coldprof.sandbox.processes import CgroupMembers, ProcessTree

MEMORY = "memory"  # cpu_share: the memory size's share
OFF = "off"  # cpu_share: the bare machine
BOOSTED = "boosted"  # init_cpu: at least one vCPU during init
DUTY_CYCLE = "duty-cycle"
MIN_TICK_NS = 250_000  # the duty cycle looks at the CPU time at most this often


def memory_vcpus(memory_mb: int) -> float:
    """The vCPUs Lambda gives a memory size: memory / 1,769 MB, at most 6."""
    cpu = lambda_facts()["cpu"]
    return min(memory_mb / cpu["memory_mb_per_vcpu"], float(cpu["max_vcpus"]))


def machine_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def period_ns() -> int:
    """Lambda's throttling period."""
    return lambda_facts()["cpu"]["throttle_period_ms"] * 1_000_000


@dataclass(frozen=True)
class CpuPlan:
    """The CPU an environment gets, in vCPUs; None: not limited (cpu_share off)."""

    cpu_share: str  # MEMORY | OFF
    init_cpu: str  # BOOSTED | MEMORY
    vcpus: float | None  # during invocations
    init_vcpus: float | None  # during init
    machine_cpus: int  # what this machine has: a share above it cannot be given

    @classmethod
    def of(cls, cpu_share: str, init_cpu: str, memory_mb: int) -> CpuPlan:
        """The plan for a memory size."""
        if cpu_share == OFF:
            return cls(cpu_share, init_cpu, None, None, machine_cpus())
        vcpus = memory_vcpus(memory_mb)
        init_vcpus = max(1.0, vcpus) if init_cpu == BOOSTED else vcpus
        return cls(cpu_share, init_cpu, vcpus, init_vcpus, machine_cpus())

    def limit(self, vcpus: float | None) -> float | None:
        """The CPUs to enforce for a share: None when it is off or the machine gives no more."""
        return None if vcpus is None or vcpus >= self.machine_cpus else vcpus


class DutyCycle:
    """Holds processes to a CPU share per period by stopping and continuing them."""

    def __init__(self, members: CgroupMembers | ProcessTree, machine: int):
        self._members = members
        self._machine = machine
        self.period_ns = period_ns()
        self.cpus: float | None = None
        self._stopped = False
        self._carry_ns = 0
        self._start_ns = 0
        self._used_at_start_ns = 0

    def set_cpus(self, cpus: float | None) -> None:
        """Hold the processes to `cpus` from the next period on (None: not at all)."""
        self.cpus = cpus
        self._carry_ns = 0

    def begin(self) -> int:
        """A new period starts now (the environment starts or thaws); ns until the first look.
        What was used past the share when it last ran is still owed (carried over)."""
        self._new_period(time.perf_counter_ns(), self._members.cpu_ns())
        return self._look_in(self._quota_ns() - self._carry_ns, self.period_ns)

    def finish(self) -> None:
        """The environment stops running (it replied): what it used past its budget in this
        period is owed when it runs again, so the share holds over invocations; continue it."""
        if self.cpus is not None:
            used_ns = self._members.cpu_ns() - self._used_at_start_ns
            self._carry_ns = max(0, used_ns + self._carry_ns - self._quota_ns())
        self.end()

    def tick(self) -> int | None:
        """Look at the CPU time: stop or continue the processes; ns until the next look."""
        if self.cpus is None:
            return None
        now_ns, cpu_ns = time.perf_counter_ns(), self._members.cpu_ns()
        if now_ns >= self._start_ns + self.period_ns:
            self._roll(now_ns, cpu_ns)
        budget_ns = self._quota_ns() - self._carry_ns
        used_ns = cpu_ns - self._used_at_start_ns
        if used_ns >= budget_ns and not self._stopped:
            self._members.stop()
            self._stopped = True
        elif used_ns < budget_ns and self._stopped:
            self.end()
        left_ns = self._start_ns + self.period_ns - now_ns
        return left_ns if self._stopped else self._look_in(budget_ns - used_ns, left_ns)

    def end(self) -> None:
        """Leave the processes running (the reply came, or the environment ends)."""
        if self._stopped:
            self._members.cont()
            self._stopped = False

    def _quota_ns(self) -> int:
        return int((self.cpus or 0) * self.period_ns)

    def _look_in(self, budget_left_ns: int, period_left_ns: int) -> int:
        """When to look again: before the budget can be spent on every CPU, within the period."""
        soonest = max(MIN_TICK_NS, budget_left_ns // self._machine)
        return min(soonest, period_left_ns) if period_left_ns > 0 else soonest

    def _roll(self, now_ns: int, cpu_ns: int) -> None:
        """Start the period that holds now; what was used past the elapsed quota carries over."""
        periods = (now_ns - self._start_ns) // self.period_ns
        used_ns = cpu_ns - self._used_at_start_ns
        self._carry_ns = max(0, used_ns + self._carry_ns - periods * self._quota_ns())
        self._new_period(self._start_ns + periods * self.period_ns, cpu_ns)

    def _new_period(self, start_ns: int, cpu_ns: int) -> None:
        self._start_ns = start_ns
        self._used_at_start_ns = cpu_ns


class CpuLimiter:
    """Holds an environment to its plan: by its cgroup's quota, else by a duty cycle."""

    def __init__(self, plan: CpuPlan, members: CgroupMembers | ProcessTree):
        self.plan = plan
        self._cgroup = members.cgroup if isinstance(members, CgroupMembers) else None
        self._duty = DutyCycle(members, plan.machine_cpus)
        if plan.cpu_share == OFF:
            self.method = OFF
        else:
            cgroup_method = self._cgroup.cpu_method if self._cgroup else None
            self.method = cgroup_method or DUTY_CYCLE

    def apply(self, vcpus: float | None) -> None:
        """Enforce a share from now on (the init's, then the invocations')."""
        if self.method == OFF:
            return
        cpus = self.plan.limit(vcpus)
        if self.method == DUTY_CYCLE:
            self._duty.set_cpus(cpus)
        else:
            self._cgroup.set_cpus(cpus, self._duty.period_ns // 1000)

    def begin(self) -> int | None:
        """The environment runs from now: ns until the duty cycle's first look (None: no look)."""
        if self.method != DUTY_CYCLE or self._duty.cpus is None:
            return None
        return self._duty.begin()

    def tick(self) -> int | None:
        """The duty cycle's look (see DutyCycle.tick)."""
        return self._duty.tick() if self.method == DUTY_CYCLE else None

    def end(self) -> None:
        """The environment stops running (reply received): leave nothing stopped by the cycle."""
        self._duty.finish()
