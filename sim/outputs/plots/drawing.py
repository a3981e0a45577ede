"""Drawing a run's charts on every core: each chart is a job, a function of (`Figures`,
*args) that writes one PNG, and the jobs of a plan run and of its Monte Carlo study are
drawn together, dealt into one batch per core.

`draw_all` draws them in the calling process and in workers it forks for the purpose (what a
library call does); `dcsim run` has them drawn by a `sim.outputs.plots.chartworker`."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.outputs.plots.style import Figures
from sim.pools import quiet_worker, stop_workers

Job = tuple[Callable[..., None], tuple[Any, ...]]
"""A chart to draw: a function of (`Figures`, *args) and its arguments. Both pickle (a
module's function, tables, paths): a chart worker receives its charts through a pipe."""


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


def processes_for(jobs: list[Job]) -> int:
    """How many processes draw ``jobs``: one per core, or one alone when a worker would not
    pay."""
    processes = min(os.cpu_count() or 1, len(jobs))
    return 1 if processes < 2 or len(jobs) < 4 else processes


def by_kind(jobs: list[Job]) -> list[Job]:
    """The jobs sorted by kind of chart (stable: same kind, same order): the three-panel
    dashboards and bands first."""
    return sorted(jobs, key=_kind)


def _deal(jobs: list[Job]) -> list[list[Job]]:
    """The jobs in one batch per process (`processes_for`), dealt by kind of chart, so each
    batch gets its share of the three-panel dashboards and bands."""
    processes = processes_for(jobs)
    if processes == 1:
        return [jobs]
    ordered = by_kind(jobs)
    return [ordered[i::processes] for i in range(processes)]


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
