"""Drawing a run's charts on every core: each chart is a job, a function of (`Figures`,
*args) that writes one PNG, and the jobs of a plan run and of its Monte Carlo study are
drawn together.

One mechanism serves every caller (`draw_shared`): the process that holds the charts forks
a worker for each other core, and each process takes the next chart as it finishes one, by
ticket from a pipe, so the cores stay busy to the end and no lock is shared that a worker
killed could leave held. `draw_all` draws them so in the calling process (what a library
call, a Monte Carlo study and a comparison do); `dcsim run` has a plan run's charts drawn
so by a `sim.outputs.plots.chartworker`, a process forked early to import matplotlib
meanwhile."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, Pipe
from pathlib import Path
from typing import Any

from sim.errors import UsageError
from sim.outputs.plots.style import Figures
from sim.pools import die_with_parent

Job = tuple[Callable[..., None], tuple[Any, ...]]
"""A chart to draw: a function of (`Figures`, *args) and its arguments. Both pickle (a
module's function, tables, paths): a chart worker receives its charts through a pipe."""


class ChartWorkerLost(UsageError):
    """A process drawing the charts died (killed, or out of memory) before it finished."""


class WorkerTraceback(Exception):
    """Where a chart failed in another process: its traceback, as text (the cause of the
    exception raised in the process that waits for the charts)."""


def chart_paths(jobs: list[Job]) -> list[Path]:
    """The PNG each job writes: the first path among its arguments."""
    return [next(a for a in args if isinstance(a, Path)) for _, args in jobs]


def in_new_figure(figures: Figures, draw: Callable[..., object], *args: Any) -> None:
    """Run a chart that makes its own figure (``draw(*args)``) as a job."""
    draw(*args)


def _kind(job: Job) -> str:
    """What a job draws: its function, or the chart function it runs in a new figure."""
    function, args = job
    return args[0].__name__ if function is in_new_figure else function.__name__


FORK_WORKERS = sys.platform == "linux"
"""Whether charts are drawn with forked workers: on Linux, where a worker can be made to die
with the process that forked it (`sim.pools.die_with_parent`). Elsewhere one could outlive a
run killed outright, so the charts are drawn in the calling process."""


def processes_for(jobs: list[Job]) -> int:
    """How many processes draw ``jobs``: one per core, or one alone when a worker would not
    pay, or could outlive the process that forked it (`FORK_WORKERS`)."""
    processes = min(os.cpu_count() or 1, len(jobs))
    return 1 if processes < 2 or len(jobs) < 4 or not FORK_WORKERS else processes


def by_kind(jobs: list[Job]) -> list[Job]:
    """The jobs sorted by kind of chart (stable: same kind, same order): the three-panel
    dashboards and bands first."""
    return sorted(jobs, key=_kind)


def draw_all(jobs: list[Job]) -> None:
    """Draw independent figures, on every core when it pays: rendering dominates a run
    (`draw_shared`, from this process). Forked workers inherit the imported matplotlib and
    PIL's image formats, so they start in milliseconds, and share the charts' data with this
    process; fork is used only when this process runs no other thread (forking threads is
    unsafe)."""
    processes = processes_for(jobs)
    if processes == 1 or threading.active_count() > 1:
        draw_taken(jobs, None)
        return
    from PIL import Image

    Image.preinit()  # once here, not once per worker
    draw_shared(by_kind(jobs), processes)


def draw_shared(
    order: list[Job], processes: int, forked: Callable[[int], None] | None = None
) -> None:
    """Draw ``order`` here and in a worker forked for each other of ``processes`` (Linux
    only: each is sent SIGKILL when this process dies), each taking the next chart as it
    finishes one (`draw_taken`); ``forked`` is told each worker's id (a worker that cannot
    be forked leaves its charts to the others). Wait for the workers; raise what failed in
    one (its traceback as the cause), or `ChartWorkerLost` if one died. On a failure here,
    or Ctrl-C or SIGTERM, the workers are killed and reaped first. Charts too many for the
    pipe's buffer are all drawn here."""
    tickets = _dispenser(len(order))
    if tickets is None:
        draw_taken(order, None)
        return
    workers: list[tuple[int, Connection]] = []
    try:
        for _ in range(processes - 1):
            try:
                workers.append(_fork_worker(order, tickets))
            except OSError:  # no fork (out of memory, or processes): the others take its share
                break
            if forked is not None:
                forked(workers[-1][0])
        draw_taken(order, tickets)
        for pid, reader in workers:
            _reap(pid, reader)
    except BaseException:
        kill_workers()
        raise
    finally:
        os.close(tickets)


_TICKET = struct.Struct("<I")
"""A chart's number in the order of `draw_shared`, as its processes take them from a pipe:
every ticket is written before any is read, and a read of a pipe takes whole tickets, so
each chart is drawn once, with no lock that a worker killed could leave held."""


def _dispenser(charts: int) -> int | None:
    """The reading end of a pipe that holds the tickets of ``charts`` charts, or None when
    they do not all fit in its buffer (64 KiB, 16,384 charts, on Linux; a page when the
    user's pipes are over their limit): the writer would wait for ever for a reader."""
    tickets, dispenser = os.pipe()
    data = b"".join(_TICKET.pack(i) for i in range(charts))
    os.set_blocking(dispenser, False)
    try:
        written = os.write(dispenser, data)
    except BlockingIOError:
        written = 0
    finally:
        os.close(dispenser)
    if written == len(data):
        return tickets
    os.close(tickets)
    return None


def draw_taken(order: list[Job], tickets: int | None) -> None:
    """Draw the charts whose tickets this process takes (``tickets`` None: every chart, in
    order), into its kept figures, until none is left."""
    figures = Figures()
    if tickets is None:
        for function, args in order:
            function(figures, *args)
        return
    while ticket := os.read(tickets, _TICKET.size):
        function, args = order[_TICKET.unpack(ticket)[0]]
        function(figures, *args)


_CHILDREN: list[int] = []
"""The workers this process forked and has not reaped yet (their ids cannot be reused)."""

_HELD = (signal.SIGINT, signal.SIGTERM)
"""Held back while a worker is forked or reaped: their handlers (the CLI's raise, a chart
worker's `kill_workers`) must find `_CHILDREN` as it is."""


def _fork_worker(order: list[Job], tickets: int) -> tuple[int, Connection]:
    """Fork a worker drawing the charts it takes; its id, and the end of a pipe on which it
    sends what failed. SIGINT and SIGTERM are held back until the worker is in `_CHILDREN`
    (and, in the worker, until it is set to die with this process), so neither can slip
    through with it unended. The worker leaves Ctrl-C to this process, and ends at once on
    SIGTERM."""
    reader, writer = Pipe(duplex=False)
    parent = os.getpid()
    with _signals_held(*_HELD):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                reader.close()
                _CHILDREN.clear()
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                die_with_parent(signal.SIGKILL)
                if os.getppid() == parent:  # else it ended before the line above
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, set(_HELD))
                    draw_taken(order, tickets)
                    code = 0
            except BaseException as exc:  # sent to the process that forked it
                writer.send(portable(exc))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _CHILDREN.append(pid)
    writer.close()
    return pid, reader


def _reap(pid: int, reader: Connection) -> None:
    """Wait for a worker to end; raise what failed in it. It is reaped (its id freed) with
    signals held back, so `kill_workers` never signals an id that was freed."""
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    with _signals_held(*_HELD):
        _, status = os.waitpid(pid, 0)
        _CHILDREN.remove(pid)
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return
    try:
        exc, where = reader.recv() if reader.poll() else (None, "")
    except EOFError:  # it died without a word
        exc = None
    if exc is not None:
        raise exc from WorkerTraceback(where)
    raise lost(code)


def kill_workers() -> None:
    """Kill and reap the workers this process forked and has not reaped."""
    with _signals_held(*_HELD):
        for pid in _CHILDREN:
            os.kill(pid, signal.SIGKILL)  # not reaped yet: the id is still its
            os.waitpid(pid, 0)
        _CHILDREN.clear()


def lost(code: int | None) -> ChartWorkerLost:
    """The error of a process drawing the charts that ended with ``code``."""
    how = f"exit code {code}"
    if code is not None and code < 0:
        how = f"killed by {signal.Signals(-code).name}"
    return ChartWorkerLost(
        f"a process drawing the charts died ({how}; out of memory?); no results were written; rerun"
    )


@contextlib.contextmanager
def _signals_held(*signals: signal.Signals) -> Iterator[None]:
    """Hold ``signals`` back (a process forked meanwhile starts with them held too)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, set(signals))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def portable(exc: BaseException) -> tuple[BaseException, str]:
    """An exception and its traceback as text, as they can be sent to another process (an
    exception that cannot be pickled, rebuilt from its arguments, or that is large, as a
    RuntimeError; the traceback's last lines): small enough for a pipe's buffer, so the
    process that sends it never waits for the other to read."""
    where = "".join(traceback.format_exception(exc))[-_SENT:]
    try:
        if len(pickle.dumps(pickle.loads(pickle.dumps(exc)))) <= _SENT:
            return exc, where
    except Exception:  # sent as text below
        pass
    return RuntimeError(f"{type(exc).__name__}: {exc}"[:_SENT]), where


_SENT = 16_000
"""At most this many characters (or pickled bytes) of an exception and of its traceback."""
