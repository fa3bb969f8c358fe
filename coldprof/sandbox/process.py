"""The one subprocess module: spawn a child in its own process group, talk to it, reap it.

Argument lists only, an explicit environment, `perf_counter_ns` just before the spawn, the
child's own rusage from `os.wait4`, and every read under a deadline: the parent never hangs.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from coldprof.sandbox.capture import KEEP_BYTES, BoundedLog

READ_BYTES = 1024 * 1024
TICK_NS = 5_000_000  # at most this long, while waiting, between two calls of on_tick
DRAIN_READS = 64  # reads per stream after the child ended (a grandchild may write forever)

Sink = Callable[[bytes], None]
Tick = Callable[[], "int | None"]  # called while waiting; returns ns until it wants the next call

_spawned: set[int] = set()  # every child spawned here and not yet reaped
_spawned_lock = threading.Lock()

LINE = "line"
ENDED = "ended"
TIMEOUT = "timeout"
TOO_LONG = "too long"


@dataclass(frozen=True)
class ExitStatus:
    """How a child ended, and its own CPU time (os.wait4; its ru_maxrss is not its own on Linux)."""

    returncode: int  # negative: killed by that signal, as subprocess reports it
    cpu_s: float  # user + system CPU time of that child
    reaped_ns: int  # perf_counter_ns when its exit was collected


@dataclass(frozen=True)
class Completed:
    """A child run to its end: exit status, output (bounded), spawn-to-exit time."""

    returncode: int | None  # None: it was still running at the deadline, and was killed
    stdout: str
    stderr: str
    elapsed_ms: float  # parent clock, just before the spawn to its exit collected


@dataclass(frozen=True)
class Reply:
    """What waiting for a line on the control pipe gave."""

    kind: str  # LINE | ENDED | TIMEOUT | TOO_LONG
    line: bytes
    at_ns: int  # perf_counter_ns when the line was complete (or the wait stopped)


@dataclass(frozen=True)
class ControlPipes:
    """Two pipes to talk to a child: requests to it, replies from it."""

    request_read: int
    request_write: int
    reply_read: int
    reply_write: int

    @classmethod
    def open(cls) -> ControlPipes:
        """Make both pipes (the child's ends are passed to it by number)."""
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        return cls(request_read, request_write, reply_read, reply_write)

    def child_fds(self) -> tuple[int, int]:
        """The ends the child uses."""
        return self.request_read, self.reply_write


def run_to_end(
    argv: Sequence[str], env: Mapping[str, str], timeout_s: float, keep_bytes: int = KEEP_BYTES
) -> Completed:
    """Run a short command to its end (killed at the deadline), output kept bounded."""
    stdout, stderr = BoundedLog(keep_bytes), BoundedLog(keep_bytes)
    child = Child(argv, env, "/", stdout.write, stderr.write)
    try:
        finished = child.wait_exit(child.spawn_ns + int(timeout_s * 1e9))
    finally:
        child.close()
    elapsed_ms = (child.exit.reaped_ns - child.spawn_ns) / 1e6
    returncode = child.exit.returncode if finished else None
    return Completed(returncode, stdout.text(), stderr.text(), elapsed_ms)


def spawned_pids() -> set[int]:
    """The children this process spawned and has not reaped (an orphan it adopted is not one)."""
    with _spawned_lock:
        return set(_spawned)


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when the process exits (Linux), or None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _spawn(
    argv: Sequence[str], env: Mapping[str, str], cwd: str, control: ControlPipes | None
) -> subprocess.Popen:
    """Popen in a new session; the child's ends of the control pipes are closed here after."""
    pass_fds = control.child_fds() if control else ()
    try:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
            pass_fds=pass_fds,
            start_new_session=True,
        )
    except BaseException:
        if control:
            _close(control.request_write)
            _close(control.reply_read)
        raise
    finally:
        for fd in pass_fds:
            _close(fd)


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


class Child:
    """A child process in its own session, its output pumped into sinks under deadlines. Used
    by one thread at a time: close() never runs while another thread reads its pipes (an
    Environment closed from another thread waits for the thread running it)."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: str,
        on_stdout: Sink,
        on_stderr: Sink,
        control: ControlPipes | None = None,
    ):
        self.control = control
        self.on_tick: Tick | None = None  # called while waiting, every TICK_NS at most
        self._next_tick_ns = 0
        self.exit: ExitStatus | None = None
        self._reap_lock = threading.Lock()  # its exit is collected once (poll_exit, reap)
        self._closed = False
        self._sinks: dict[int, Sink] = {}
        self._reply_buffer = bytearray()
        self._buffered_ns = 0  # when the reply buffer last received data
        self._watching_writes = False
        self.spawn_ns = time.perf_counter_ns()
        with _spawned_lock:  # an orphan scan waits: the new child is never taken for one
            self._popen = _spawn(argv, env, cwd, control)
            _spawned.add(self._popen.pid)
        self.pid = self._popen.pid
        self._selector = selectors.DefaultSelector()
        self._register(on_stdout, on_stderr)

    def _register(self, on_stdout: Sink, on_stderr: Sink) -> None:
        """Watch the output pipes, the reply pipe and the child's exit, all non-blocking."""
        for stream, sink in ((self._popen.stdout, on_stdout), (self._popen.stderr, on_stderr)):
            fd = stream.fileno()
            os.set_blocking(fd, False)
            self._sinks[fd] = sink
            self._selector.register(fd, selectors.EVENT_READ)
        if self.control:
            os.set_blocking(self.control.request_write, False)
            os.set_blocking(self.control.reply_read, False)
            self._selector.register(self.control.reply_read, selectors.EVENT_READ)
        self._exit_fd = _pidfd(self.pid)
        if self._exit_fd is not None:
            self._selector.register(self._exit_fd, selectors.EVENT_READ)

    def exchange(
        self, message: bytes, deadline_ns: int, max_line_bytes: int, first_tick_ns: int = TICK_NS
    ) -> Reply:
        """Send a message on the control pipe and wait for one reply line, pumping output;
        on_tick is first called first_tick_ns after the message is sent."""
        self._next_tick_ns = time.perf_counter_ns() + min(TICK_NS, first_tick_ns)
        pending = self._write_some(memoryview(message))
        if not pending and b"\n" in self._reply_buffer:  # a line read along with the last one
            return self._take_line(self._buffered_ns)
        while True:
            self._watch_writes(bool(pending))
            events = self._selector.select(self._timeout_s(deadline_ns))
            for key, _ in events:
                if key.fd == self.control.request_write:
                    pending = self._write_some(pending)
                elif key.fd == self.control.reply_read:
                    reply = self._read_reply(max_line_bytes)
                    if reply:
                        return reply
                elif key.fd == self._exit_fd:
                    self.poll_exit()
                else:
                    self._pump(key.fd)
            self._tick()
            if self.exit or (not events and self.poll_exit()):
                return self._read_reply(max_line_bytes) or Reply(ENDED, b"", time.perf_counter_ns())
            if time.perf_counter_ns() >= deadline_ns:
                return Reply(TIMEOUT, b"", time.perf_counter_ns())

    def wait_exit(self, deadline_ns: int) -> bool:
        """Pump output until the child exits (True) or the deadline passes (False)."""
        while self.exit is None:
            self._next_tick_ns = time.perf_counter_ns() + TICK_NS
            events = self._selector.select(self._timeout_s(deadline_ns))
            for key, _ in events:
                if key.fd == self._exit_fd:
                    self.poll_exit()
                else:
                    self._pump(key.fd)
            if not events:
                self.poll_exit()
            if self.exit is None and time.perf_counter_ns() >= deadline_ns:
                return False
        self.drain()
        return True

    def drain(self) -> None:
        """Read what is already in the output pipes, without waiting."""
        for fd in list(self._sinks):
            for _ in range(DRAIN_READS):
                if not self._pump(fd):
                    break

    def poll_exit(self) -> ExitStatus | None:
        """The exit status if the child has ended (reaps it), else None."""
        with self._reap_lock:
            if self.exit is None:
                pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
                if pid:
                    self._record_exit(status, rusage)
        return self.exit

    def reap(self) -> ExitStatus:
        """Wait for the child to end (after a kill, or once its pipes closed)."""
        with self._reap_lock:
            if self.exit is None:
                _, status, rusage = os.wait4(self.pid, 0)
                self._record_exit(status, rusage)
        return self.exit

    def kill_group(self) -> None:
        """SIGKILL the child's whole process group (everything it started with it)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """Kill what is left of the group, reap the child, close every pipe (once)."""
        with self._reap_lock:
            if self._closed:
                return
            self._closed = True
        self.kill_group()
        self.reap()
        self._selector.close()
        for stream in (self._popen.stdout, self._popen.stderr):
            stream.close()
        if self.control:
            _close(self.control.request_write)
            _close(self.control.reply_read)
        if self._exit_fd is not None:
            _close(self._exit_fd)

    def _record_exit(self, status: int, rusage: os.struct_rusage) -> None:
        returncode = os.waitstatus_to_exitcode(status)
        self._popen.returncode = returncode
        cpu_s = rusage.ru_utime + rusage.ru_stime
        reaped_ns = time.perf_counter_ns()
        self.exit = ExitStatus(returncode, cpu_s, reaped_ns)
        with _spawned_lock:
            _spawned.discard(self.pid)

    def _timeout_s(self, deadline_ns: int) -> float:
        """Seconds to wait for events: until the next tick or the deadline."""
        now_ns = time.perf_counter_ns()
        return max(0.0, min(self._next_tick_ns, deadline_ns) - now_ns) / 1e9

    def _tick(self) -> None:
        """Call on_tick when a tick is due; it says when it wants the next one."""
        if time.perf_counter_ns() < self._next_tick_ns:
            return
        wait_ns = self.on_tick() if self.on_tick else None
        wait_ns = TICK_NS if wait_ns is None else max(0, min(TICK_NS, wait_ns))
        self._next_tick_ns = time.perf_counter_ns() + wait_ns

    def _watch_writes(self, on: bool) -> None:
        if on != self._watching_writes:
            fd = self.control.request_write
            if on:
                self._selector.register(fd, selectors.EVENT_WRITE)
            else:
                self._selector.unregister(fd)
            self._watching_writes = on

    def _write_some(self, pending: memoryview) -> memoryview:
        """Write what the pipe takes now; a closed pipe drops the rest (the child ended)."""
        if not pending:
            return pending
        try:
            return pending[os.write(self.control.request_write, pending) :]
        except BlockingIOError:
            return pending
        except BrokenPipeError:
            return pending[len(pending) :]

    def _read_reply(self, max_line_bytes: int) -> Reply | None:
        """Read from the reply pipe; a Reply once a line is complete or the pipe closed."""
        try:
            data = os.read(self.control.reply_read, READ_BYTES)
        except BlockingIOError:
            return None
        if not data:
            self._selector.unregister(self.control.reply_read)
            return Reply(ENDED, b"", time.perf_counter_ns())
        self._reply_buffer += data
        self._buffered_ns = time.perf_counter_ns()
        if b"\n" in self._reply_buffer:
            return self._take_line(self._buffered_ns)
        if len(self._reply_buffer) > max_line_bytes:
            return Reply(TOO_LONG, b"", time.perf_counter_ns())
        return None

    def _take_line(self, at_ns: int) -> Reply:
        """The first whole line of the reply buffer (read at at_ns)."""
        end = self._reply_buffer.find(b"\n")
        line = bytes(self._reply_buffer[:end])
        del self._reply_buffer[: end + 1]
        return Reply(LINE, line, at_ns)

    def _pump(self, fd: int) -> bool:
        """Move one read of output into its sink; False when nothing was there."""
        try:
            data = os.read(fd, READ_BYTES)
        except BlockingIOError:
            return False
        if not data:
            self._selector.unregister(fd)
            del self._sinks[fd]
            return False
        self._sinks[fd](data)
        return True
