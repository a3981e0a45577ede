"""`dcsim run`'s chart worker: a process forked once the scenario is loaded and its results
folder checked, which imports matplotlib while the run's process simulates the plan, then
draws the charts as `draw_all` would (`sim.outputs.plots.drawing.draw_shared`: a worker of its
own per other core, each taking the next chart by ticket) while the run's process writes its
files. Linux only (elsewhere the run draws them as a library does, `draw_all`)."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING

from sim.outputs.plots import drawing
from sim.outputs.plots.drawing import (
    ChartWorkerLost,
    Job,
    WorkerTraceback,
    by_kind,
    draw_shared,
    kill_workers,
    lost,
    portable,
    processes_for,
)
from sim.pools import adopt_orphans, quiet_worker

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

__all__ = ["ChartWorker", "ChartWorkerLost"]


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
    next chart as it finishes one (`draw_shared`), while the run's process writes its files.
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
        if not drawing.FORK_WORKERS or (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
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
            raise lost(self._process.exitcode)

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
        process, `adopt_orphans`, killed as it died: `draw_shared`)."""
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
        # the three-panel dashboards and bands first; the run's process hears of each worker
        draw_shared(
            by_kind(jobs), processes_for(jobs), lambda pid: connection.send(("forked", pid))
        )
    except BaseException as exc:  # every failure goes to the run's process
        connection.send(("failed", *portable(exc)))
        sys.exit(1)


def _end_with_workers(signum: int, frame: object) -> None:
    """A chart worker's SIGTERM: kill and reap its workers, then end."""
    kill_workers()
    os._exit(128 + signum)
