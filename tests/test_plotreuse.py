"""Run plots drawn into reused figures come out exactly as in new ones, and as RGB PNGs; the
run's own process draws a batch of them beside a worker and leaves no worker behind."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.image import imread
from PIL import Image

import sim
from sim.outputs.plots import run as run_plots
from sim.outputs.plots.style import Figures
from tests.helpers import ROOT, SCENARIOS, children


def test_reused_figures_draw_the_same_pixels_as_new_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cipher's status update has every kind of chart in one run: dashboards with data-date
    # marks, GPU-less sites drawn against colocation MW, a site (Colchis) whose contract
    # panel has no data at all (the axes' default view must come back), transitions with
    # and without mining, and the revenue chart on the default colour cycle.
    jobs: list[run_plots.Job] = []
    monkeypatch.setattr(run_plots, "draw_all", jobs.extend)
    result = sim.run(SCENARIOS / "cipher_2026-06-30.yaml")
    run_plots.plot_run(result, tmp_path / "fresh")
    run_plots.plot_run(result, tmp_path / "reused")
    fresh, reused = jobs[: len(jobs) // 2], jobs[len(jobs) // 2 :]
    kinds = {function.__name__ for function, _ in fresh}
    assert kinds == {"_dashboard", "_transition", "_revenue"}
    for function, args in fresh:
        function(Figures(), *args)  # a new figure for every chart
    kept = Figures()
    for function, args in reused:
        function(kept, *args)  # one figure per shape for every chart, in the run's order
    names = sorted(p.name for p in (tmp_path / "fresh").iterdir())
    assert len(names) == len(jobs) // 2 == 12
    assert names == sorted(p.name for p in (tmp_path / "reused").iterdir())
    for name in names:
        new, again = (imread(tmp_path / side / name) for side in ("fresh", "reused"))
        assert new.shape == again.shape, name
        assert new.shape[1:] == (1040, 3), name  # 13 inches at 80 dpi, RGB
        assert np.array_equal(new, again), name


@pytest.mark.parametrize("name", ["portfolio.yaml", "cipher_2026-06-30.yaml"])
def test_band_charts_in_a_kept_figure_draw_the_same_pixels(tmp_path: Path, name: str) -> None:
    # The portfolio's sites with and without GPUs (an empty GPU panel hides its ticks, and
    # the next chart's must come back), and a status update's data-date marks; drawn in
    # the run's order and in reverse, against a new figure for each chart.
    from sim.outputs.plots.bands import monte_carlo_jobs

    mc = sim.run(SCENARIOS / name, replications=6, seed=3).monte_carlo
    assert mc is not None
    as_of = mc.scenario.status.as_of if mc.scenario.status is not None else None
    jobs = monte_carlo_jobs(
        "demo", mc.percentiles, mc.replications, mc.on_time, mc.drivers, tmp_path, as_of
    )
    bands = [(function, args) for function, args in jobs if function.__name__ == "_bands"]
    assert len(bands) == mc.percentiles["site"].nunique() >= 3
    drawn: dict[str, dict[str, np.ndarray]] = {}
    for how, order in [("new", bands), ("kept", bands), ("kept, reversed", bands[::-1])]:
        kept = Figures()
        for function, args in order:
            function(Figures() if how == "new" else kept, *args)
        drawn[how] = {p.name: imread(p) for p in tmp_path.glob("bands_*.png")}
    assert len(drawn["new"]) == len(bands)
    for name in drawn["new"]:
        assert np.array_equal(drawn["new"][name], drawn["kept"][name]), name
        assert np.array_equal(drawn["new"][name], drawn["kept, reversed"][name]), name


def test_charts_are_opaque_rgb_pngs_at_the_figure_resolution(tmp_path: Path) -> None:
    paths = run_plots.plot_run(sim.run(SCENARIOS / "example.yaml"), tmp_path)
    assert len(paths) == 6  # two sites: a dashboard and a transition each; portfolio; revenue
    for path in paths:
        with Image.open(path) as image:
            info: dict[str, Any] = dict(image.info)
            assert image.mode == "RGB", path.name
            assert image.width == 1040, path.name
            assert round(info["dpi"][0]) == 80, path.name


def in_a_fresh_process(function: str, folder: Path, timeout: float = 600) -> list[str]:
    """The lines a function of this module prints, called with ``folder`` in a new Python
    process (plots fork only when no other thread runs, and earlier tests may leave one:
    tqdm's monitor)."""
    code = f"import sys; from tests.test_plotreuse import {function} as f; f(sys.argv[1])"
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,  # a hang fails the test
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _a_chart_that_fails_here(figures: Figures, started: Path, here: int) -> None:
    """In the process that draws (``here``): fail once a worker is drawing (at most a
    minute); in a worker: say so, and take long."""
    if os.getpid() != here:
        started.touch()
        time.sleep(120)
        return
    for _ in range(600):
        if started.exists():
            break
        time.sleep(0.1)
    raise RuntimeError("drawing failed")


def fail_beside_a_worker(folder: str) -> None:
    """Whichever charts each process takes, the one this process takes fails while a worker
    draws a long one; print what happened. Run by `in_a_fresh_process`."""
    assert threading.active_count() == 1
    started = Path(folder) / "worker started"
    jobs: list[run_plots.Job] = [(_a_chart_that_fails_here, (started, os.getpid()))] * 4
    try:
        run_plots.draw_all(jobs)
    except RuntimeError as exc:
        print("raised:", exc)
    print("worker started:", started.exists())  # it was drawing when the failure came
    print("workers left:", len(children()))  # killed and reaped at once


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a worker draws only with 2 cores")
def test_a_failure_in_the_runs_own_process_stops_the_worker(tmp_path: Path) -> None:
    assert in_a_fresh_process("fail_beside_a_worker", tmp_path) == [
        "raised: drawing failed",
        "worker started: True",
        "workers left: 0",
    ]


def draw_without_a_fork(folder: str) -> None:
    """Write the example's run with every fork failing (out of processes); print what was
    drawn and what was left. Run by `in_a_fresh_process`."""
    import errno

    def no_fork() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    os.fork = no_fork
    out = Path(folder, "run")
    sim.write_run(sim.run(SCENARIOS / "example.yaml"), out)
    print("charts:", len(list((out / "plots").iterdir())))
    print("workers left:", len(children()))


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a worker draws only with 2 cores")
def test_charts_are_all_drawn_here_when_no_worker_can_be_forked(tmp_path: Path) -> None:
    assert in_a_fresh_process("draw_without_a_fork", tmp_path) == ["charts: 6", "workers left: 0"]


def _note_in(figures: Figures, folder: str, number: int) -> None:
    """A chart that only notes, in a file of its process, that it was drawn."""
    with Path(folder, f"{os.getpid()}.drew").open("a") as notes:
        notes.write(f"{number}\n")


def draw_more_charts_than_a_pipe_holds(folder: str) -> None:
    """Share out 20,000 charts (more tickets than a pipe's 64 KiB hold) between two
    processes; print how many were drawn, and how many twice. Run by `in_a_fresh_process`."""
    from sim.outputs.plots import drawing

    drawing.draw_shared([(_note_in, (folder, i)) for i in range(20_000)], 2)
    drawn = [line for notes in Path(folder).glob("*.drew") for line in notes.read_text().split()]
    print("drawn:", len(set(drawn)), "twice:", len(drawn) - len(set(drawn)))
    print("workers left:", len(children()))


def test_more_charts_than_a_pipe_holds_are_all_drawn_once_without_a_hang(
    tmp_path: Path,
) -> None:
    lines = in_a_fresh_process("draw_more_charts_than_a_pipe_holds", tmp_path, timeout=120)
    assert lines == ["drawn: 20000 twice: 0", "workers left: 0"]


def test_a_progress_bar_leaves_no_thread_behind() -> None:
    # tqdm's own bars start a monitor thread that lives as long as the process; with it
    # running, the charts after a Monte Carlo run could not fork and were drawn on one core.
    from sim.progress import progress_bar

    before = threading.active_count()
    with progress_bar(total=3, disable=False, file=io.StringIO()) as bar:
        assert threading.active_count() == before
        bar.update(3)
    assert threading.active_count() == before


_NOTES: list[str] = []
"""The folder where `_noted` notes who drew what (set by `draw_a_study`)."""


def _noted(figures: Figures, function: Any, args: tuple[Any, ...]) -> None:
    """A chart drawn as `drawing` draws it, noted under this process's id."""
    from sim.outputs.plots import drawing

    with Path(_NOTES[0], f"{os.getpid()}.drew").open("a") as notes:
        notes.writelines(path.name + "\n" for path in drawing.chart_paths([(function, args)]))
    function(figures, *args)


def _noting_taken(order: list[run_plots.Job], tickets: int | None) -> None:
    """The charts a process takes (`drawing.draw_taken`), each noted as it is drawn."""
    _DRAW_TAKEN[0]([(_noted, (function, args)) for function, args in order], tickets)


_DRAW_TAKEN: list[Any] = []


def draw_a_study(folder: str) -> None:
    """Run a small Monte Carlo study with the CLI, noting which process draws each chart;
    print how many processes drew and what. Run by `in_a_fresh_process`."""
    from sim.cli import main
    from sim.outputs.plots import drawing

    _NOTES.append(folder)
    _DRAW_TAKEN.append(drawing.draw_taken)  # the test spies on each process's charts
    drawing.draw_taken = _noting_taken  # type: ignore[assignment]
    out = Path(folder, "run")
    args = ["run", str(SCENARIOS / "example.yaml"), "-n", "40", "--jobs", "2", "--out", str(out)]
    assert main(args) == 0
    drew = {p.stem: p.read_text().split() for p in Path(folder).glob("*.drew")}
    print("processes:", len(drew))
    print("charts:", sorted(c for charts in drew.values() for c in charts))
    print("files:", sorted(p.name for p in (out / "plots").iterdir()))


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a worker draws only with 2 cores")
def test_a_studys_charts_are_drawn_with_the_runs_on_two_processes(tmp_path: Path) -> None:
    processes, charts, files = in_a_fresh_process("draw_a_study", tmp_path)[-3:]
    assert processes == "processes: 2"
    assert charts.removeprefix("charts: ") == files.removeprefix("files: ")
    for chart in ("bands_portfolio.png", "tornado.png", "revenue.png", "portfolio.png"):
        assert chart in files
