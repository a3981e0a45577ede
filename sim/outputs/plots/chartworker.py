"""`dcsim run`'s chart worker: a process forked once the scenario is loaded and its results
folder checked, which imports matplotlib while the run's process simulates the plan, then
draws the charts with a worker of its own per other core while the run's process writes its
files. Linux only (elsewhere the run draws them as a library does, `draw_all`)."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING

from sim.errors import UsageError
from sim.outputs.plots.drawing import Job, by_kind, processes_for
from sim.outputs.plots.style import Figures
from sim.pools import adopt_orphans, die_with_parent, quiet_worker

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess


class ChartWorkerLost(UsageError):
    """A process drawing the charts died (killed, or out of memory) before it finished."""


class WorkerTraceback(Exception):
    """Where a chart failed in a chart worker: the worker's traceback, as text (the cause of
    the exception raised in the run's process)."""


class ChartWorker:
    """A process, forked by `dcsim run` once its scenario is loaded and its folder checked,
    that draws the run's charts.

    The run's process and its charts share numpy and pandas; everything else they import is
    their own: the engine and the analysis for the run, matplotlib and PIL for the charts.
    So `start` forks the worker once numpy and pandas are imported, and the two import the
    rest side by side, on two cores, while the run simulates its plan; the run's process
    never imports matplotlib (the plot modules import it when they draw). `draw` hands the
    worker the charts; it forks a worker of its own for each other core (`processes_for`;
    they inherit the imported matplotlib and the charts' data), and each process takes the
    next chart as it finishes one (`_draw_taken`), while the run's process writes its files.
    `wait` returns when every chart is drawn.

    Nothing is left behind: `stop` (on a bad input, a failure or Ctrl-C in the run's
    process, or to be sure) ends the worker at once with SIGTERM, on which it kills and
    reaps its own workers before it ends. A worker gets SIGTERM when the process that forked
    it dies (`sim.pools.quiet_worker`); its own workers get SIGKILL when it dies, and come
    to the run's process to be reaped (`sim.pools.adopt_orphans`). SIGINT goes to the run's
    process only. A chart that fails raises its exception from `wait`, with the worker's
    traceback as its cause; a worker that dies raises `ChartWorkerLost` (exit 2)."""

    def __init__(self, process: BaseProcess, connection: Connection) -> None:
        self._process = process
        self._connection = connection
        self._forked: list[int] = []
        """The workers it forked: reaped here if it dies before it reaps them."""

    @classmethod
    def start(cls) -> ChartWorker | None:
        """The worker, forked now; None where it would not pay (one core), forking is unsafe
        (another thread runs) or its workers could outlive it (not Linux): the charts are
        then drawn by `draw_all`."""
        if sys.platform != "linux" or (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
            return None
        import numpy  # noqa: F401  # both sides use them: imported once, before the fork
        import pandas  # noqa: F401

        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve, args=(theirs, ours), name="dcsim charts", daemon=True
        )
        # SIGINT and SIGTERM are held back until the worker has its own handlers, and here
        # until it is in hand to stop (a Ctrl-C meanwhile is raised when they are let go).
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        adopt_orphans(True)
        try:
            process.start()
        except OSError:  # no fork (out of memory, or processes): draw here, as a library does
            adopt_orphans(False)
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            return None
        finally:
            theirs.close()
        worker = cls(process, ours)
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        except BaseException:
            worker.stop()
            raise
        return worker

    def draw(self, jobs: list[Job]) -> bool:
        """Hand the worker the charts to draw (it draws them while this process goes on).
        False, the worker ended, if their tables are too large to copy to it (`SENT_AT_MOST`):
        they are drawn here then, in workers that share this process's memory (`draw_all`)."""
        if _table_bytes(jobs) > SENT_AT_MOST:
            self.stop()
            return False
        try:
            self._connection.send(jobs)
        except OSError:  # it died before it read them: say why
            self.wait()
            raise
        return True

    def wait(self) -> None:
        """Until every chart is drawn and the worker has ended; raises what failed."""
        failure = self._heard(block=True)
        self._end()
        if failure is not None:
            exc, where = failure
            raise exc from WorkerTraceback(where)
        if self._process.exitcode != 0:
            raise _lost(self._process.exitcode)

    def stop(self) -> None:
        """End the worker and its own workers now, if they are still at work, and reap it."""
        if self._process.exitcode is None:
            self._process.terminate()
        self._end()

    def _heard(self, *, block: bool) -> tuple[BaseException, str] | None:
        """Read what the worker sent (the workers it forked, what failed), until it has
        ended (``block``) or the pipe is empty; what failed, if it said."""
        failure = None
        while True:
            if block:
                wait([self._connection, self._process.sentinel])
            try:
                if not self._connection.poll():  # empty, and it still runs
                    return failure
                kind, *said = self._connection.recv()
            except (EOFError, OSError):  # it has ended, and said all it had to say
                return failure
            if kind == "forked":
                self._forked.append(said[0])
            else:
                failure = (said[0], said[1])

    def _end(self) -> None:
        """Reap the worker, and any of its workers it left when it died (they come to this
        process, `adopt_orphans`, killed as it died: `_fork_worker`)."""
        self._process.join()
        if not self._connection.closed:
            self._heard(block=False)
            self._connection.close()
        for pid in self._forked:
            with contextlib.suppress(ChildProcessError):  # reaped by the worker, as it should be
                os.waitpid(pid, 0)
        self._forked.clear()
        adopt_orphans(False)


SENT_AT_MOST = 64 << 20
"""Bytes of tables a chart worker is sent (pickled in about 0.1 s, and as much memory again in
each process); larger ones (the contracts of thousands of sites) are not copied."""


def _table_bytes(jobs: list[Job]) -> int:
    """The bytes of the distinct tables among the jobs' arguments."""
    import pandas as pd  # imported by then: this module loads before the scenario

    tables = {id(a): a for _, args in jobs for a in args if isinstance(a, pd.DataFrame)}
    return sum(int(t.memory_usage(index=True).sum()) for t in tables.values())


def _lost(code: int | None) -> ChartWorkerLost:
    how = f"exit code {code}"
    if code is not None and code < 0:
        how = f"killed by {signal.Signals(-code).name}"
    return ChartWorkerLost(
        f"a process drawing the charts died ({how}; out of memory?); no results were written; rerun"
    )


_CHILDREN: list[int] = []
"""The workers a chart worker forked and has not reaped yet (their ids cannot be reused)."""


def _serve(connection: Connection, parents_end: Connection) -> None:
    """A chart worker's life: import what drawing needs, receive the charts, draw them."""
    parents_end.close()
    quiet_worker()
    signal.signal(signal.SIGTERM, _end_with_workers)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    # Forked while the run's process holds the collector off (`sim.gcpause`): here it runs,
    # on what this process makes; what it inherited is never garbage here.
    gc.freeze()
    gc.enable()
    try:
        import matplotlib.backends.backend_agg
        import matplotlib.dates
        import matplotlib.figure  # noqa: F401  # while the run's process simulates
        from PIL import Image

        Image.preinit()
        try:
            jobs: list[Job] = connection.recv()
        except EOFError:  # the run ended before its charts (an error): nothing to draw
            return
        _draw_dealt_here(jobs, connection)
    except BaseException as exc:  # every failure goes to the run's process
        connection.send(("failed", *_portable(exc)))
        sys.exit(1)


def _draw_dealt_here(jobs: list[Job], connection: Connection) -> None:
    """Draw the jobs here and in a worker forked for each other core (telling the run's
    process which), each taking the next chart as it finishes one (`_draw_taken`), the
    costliest kinds first; wait for the workers. On a failure here, end them first."""
    order = by_kind(jobs)  # the three-panel dashboards and bands first
    tickets, dispenser = os.pipe()
    os.write(dispenser, b"".join(_TICKET.pack(i) for i in range(len(order))))
    os.close(dispenser)
    children: list[tuple[int, Connection]] = []
    try:
        for _ in range(processes_for(jobs) - 1):
            children.append(_fork_worker(order, tickets))
            connection.send(("forked", children[-1][0]))
        _draw_taken(order, tickets)
        for pid, reader in children:
            _reap(pid, reader)
    except BaseException:
        _kill_children()
        raise
    finally:
        os.close(tickets)


_TICKET = struct.Struct("<I")
"""A chart's number in the order of `_draw_dealt_here`, as its workers take them from a pipe:
every ticket is written before any is read, and a read of a pipe takes whole tickets, so
each chart is drawn once, with no lock that a worker killed could leave held."""


def _draw_taken(order: list[Job], tickets: int) -> None:
    """Draw the charts whose tickets this process takes, into its kept figures, until none
    is left."""
    figures = Figures()
    while ticket := os.read(tickets, _TICKET.size):
        function, args = order[_TICKET.unpack(ticket)[0]]
        function(figures, *args)


def _fork_worker(order: list[Job], tickets: int) -> tuple[int, Connection]:
    """Fork a worker drawing the charts it takes; its id, and the end of a pipe on which it
    sends what failed. SIGTERM is held back until the worker is in `_CHILDREN` (and, in the
    worker, until it is set to die with this process), so it cannot slip through unended."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    parent = os.getpid()
    with _signals_held(signal.SIGTERM):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                reader.close()
                _CHILDREN.clear()
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                die_with_parent(signal.SIGKILL)
                if os.getppid() == parent:  # else it ended before the line above
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
                    _draw_taken(order, tickets)
                    code = 0
            except BaseException as exc:  # sent to the chart worker
                writer.send(_portable(exc))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _CHILDREN.append(pid)
    writer.close()
    return pid, reader


def _reap(pid: int, reader: Connection) -> None:
    """Wait for a worker to end; raise what failed in it. It is reaped (its id freed) with
    SIGTERM held back, so `_end_with_workers` never signals an id that was freed."""
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    with _signals_held(signal.SIGTERM):
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
    raise _lost(code)


def _kill_children() -> None:
    with _signals_held(signal.SIGTERM):
        for pid in _CHILDREN:
            os.kill(pid, signal.SIGKILL)  # not reaped yet: the id is still its
            os.waitpid(pid, 0)
        _CHILDREN.clear()


def _end_with_workers(signum: int, frame: object) -> None:
    """A chart worker's SIGTERM: kill and reap its workers, then end."""
    _kill_children()
    os._exit(128 + signum)


@contextlib.contextmanager
def _signals_held(*signals: signal.Signals) -> Iterator[None]:
    """Hold ``signals`` back (a process forked meanwhile starts with them held too)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, set(signals))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _portable(exc: BaseException) -> tuple[BaseException, str]:
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
