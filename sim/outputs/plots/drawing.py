"""Drawing a run's charts on every core: each chart is a job, a function of (`Figures`,
*args) that writes one PNG, and the jobs of a plan run and of its Monte Carlo study are
drawn together, dealt into one batch per core.

Two ways to draw them: `draw_all` draws them in the calling process and in workers it forks
for the purpose (what a library call does); a `ChartWorker`, forked by `dcsim run` once its
scenario is loaded, imports matplotlib while the plan is simulated, then draws them all
with a worker of its own while the run's process writes its files."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import UsageError
from sim.outputs.plots.style import Figures
from sim.pools import adopt_orphans, die_with_parent, quiet_worker, stop_workers

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

Job = tuple[Callable[..., None], tuple[Any, ...]]
"""A chart to draw: a function of (`Figures`, *args) and its arguments."""


def chart_paths(jobs: list[Job]) -> list[Path]:
    """The PNG each job writes: the first path among its arguments."""
    return [next(a for a in args if isinstance(a, Path)) for _, args in jobs]


def in_new_figure(figures: Figures, draw: Callable[..., object], *args: Any) -> None:
    """Run a chart that makes its own figure (``draw(*args)``) as a job."""
    draw(*args)


def _draw_batch(batch: list[Job]) -> None:
    """Draw charts one after another in one process, each into a kept figure of its shape."""
    figures = Figures()
    for function, args in batch:
        function(figures, *args)


_DEALT: list[list[Job]] = []
"""The batches of the `draw_all` under way: forked workers find theirs here, in the memory
they share with this process, so no chart's data is pickled to them."""


def _draw_dealt(number: int) -> None:
    _draw_batch(_DEALT[number])


def _kind(job: Job) -> str:
    """What a job draws: its function, or the chart function it runs in a new figure."""
    function, args = job
    return args[0].__name__ if function is in_new_figure else function.__name__


def _deal(jobs: list[Job]) -> list[list[Job]]:
    """The jobs in one batch per core (one batch when a worker would not pay), dealt by kind
    of chart, so each batch gets its share of the three-panel dashboards and bands."""
    workers = min(os.cpu_count() or 1, len(jobs))
    if workers < 2 or len(jobs) < 4:
        return [jobs]
    by_kind = sorted(jobs, key=_kind)  # stable: same kind, same order
    return [by_kind[i::workers] for i in range(workers)]


def draw_all(jobs: list[Job]) -> None:
    """Draw independent figures, on every core when it pays: rendering dominates a run.

    The charts are dealt into one batch per core (`_deal`); this process draws the first
    batch and forked workers the others, each reusing its figures from chart to chart (see
    `Figures`). Forked workers inherit the imported matplotlib and PIL's image formats, so
    they start in milliseconds; fork is used only when this process runs no other thread
    (forking threads is unsafe). The executor forks all its workers before it starts its own
    manager thread, and a worker that dies raises BrokenProcessPool here instead of leaving
    the run waiting; on a failure here or in a worker (or Ctrl-C) the workers are ended at
    once; on success they are shut down cleanly, never terminated, so none dies holding a
    lock."""
    from concurrent.futures import ProcessPoolExecutor

    from PIL import Image

    batches = _deal(jobs)
    if len(batches) < 2 or threading.active_count() > 1:
        _draw_batch(jobs)
        return
    _DEALT[:] = batches  # before the workers fork
    Image.preinit()  # once here, not once per worker
    pool = ProcessPoolExecutor(
        len(batches) - 1, mp_context=multiprocessing.get_context("fork"), initializer=quiet_worker
    )
    try:
        drawing = [pool.submit(_draw_dealt, number) for number in range(1, len(batches))]
        _draw_batch(_DEALT[0])
        for batch in drawing:
            batch.result()
    except BaseException:
        stop_workers(pool)
        raise
    finally:
        _DEALT.clear()
    pool.shutdown(wait=True)


class ChartWorkerLost(UsageError):
    """A process drawing the charts died (killed, or out of memory) before it finished."""


class WorkerTraceback(Exception):
    """Where a chart failed in a chart worker: the worker's traceback, as text (the cause of
    the exception raised in the run's process)."""


class ChartWorker:
    """A process, forked by `dcsim run` as soon as its scenario is loaded, that draws the
    run's charts.

    The run's process and its charts share numpy and pandas; everything else they import is
    their own: the engine and the analysis for the run, matplotlib and PIL for the charts.
    So `start` forks the worker once numpy and pandas are imported, and the two import the
    rest side by side, on two cores, while the run simulates its plan; the run's process
    never imports matplotlib (the plot modules import it when they draw). `draw` hands the
    worker the charts, which it deals into one batch per core (`_deal`): it forks a worker
    of its own for each batch but the first (they inherit the imported matplotlib and the
    charts' data) and draws the first, while the run's process writes its files. `wait`
    returns when every chart is drawn.

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
        """The worker, forked now; None where it would not pay (one core) or forking is
        unsafe (another thread runs): the charts are then drawn by `draw_all`."""
        if (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
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

    def draw(self, jobs: list[Job]) -> None:
        """Hand the worker the charts to draw (it draws them while this process goes on)."""
        try:
            self._connection.send(jobs)
        except OSError:  # it died before it read them: say why
            self.wait()
            raise

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
        process, `adopt_orphans`, killed as it died: `_fork_batch`)."""
        self._process.join()
        if not self._connection.closed:
            self._heard(block=False)
            self._connection.close()
        for pid in self._forked:
            with contextlib.suppress(ChildProcessError):  # reaped by the worker, as it should be
                os.waitpid(pid, 0)
        self._forked.clear()
        adopt_orphans(False)


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
    import matplotlib.backends.backend_agg
    import matplotlib.dates
    import matplotlib.figure  # noqa: F401  # while the run's process simulates
    from PIL import Image

    Image.preinit()
    try:
        jobs: list[Job] = connection.recv()
    except EOFError:  # the run ended before its charts (an error): nothing to draw
        return
    try:
        _draw_dealt_here(jobs, connection)
    except BaseException as exc:  # every failure goes to the run's process
        connection.send(("failed", *_portable(exc)))
        sys.exit(1)


def _draw_dealt_here(jobs: list[Job], connection: Connection) -> None:
    """Deal the jobs, fork a worker for each batch but the first (telling the run's process
    which), draw the first, and wait for the workers; on a failure here, end them first."""
    batches = _deal(jobs)
    children: list[tuple[int, Connection]] = []
    try:
        for batch in batches[1:]:
            children.append(_fork_batch(batch))
            connection.send(("forked", children[-1][0]))
        _draw_batch(batches[0])
        for pid, reader in children:
            _reap(pid, reader)
    except BaseException:
        _kill_children()
        raise


def _fork_batch(batch: list[Job]) -> tuple[int, Connection]:
    """Fork a worker drawing ``batch``; its id, and the end of a pipe on which it sends what
    failed. SIGTERM is held back until the worker is in `_CHILDREN` (and, in the worker,
    until it is set to die with this process), so it cannot slip through unended."""
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
                    _draw_batch(batch)
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
    exception that cannot be pickled, or rebuilt from its arguments, as a RuntimeError)."""
    where = "".join(traceback.format_exception(exc))
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}"), where
    return exc, where
