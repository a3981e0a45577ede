"""`dcsim run`'s chart worker: forked once the scenario is valid and its folder can be
written, it draws the plan run's charts (with a worker of its own) while the run's process,
which never imports matplotlib, writes the files. Whatever happens, no process is left
behind: a chart that fails exits 1 with its exception, a worker that dies exits 2, Ctrl-C
and SIGTERM end the run at once, and a bad input (scenario or folder) exits 2 before
anything is forked; a Monte Carlo study's charts, drawn by the run's process and its worker
by the same tickets, end the same way. A library call forks only what it did."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from matplotlib.image import imread

import sim
from sim.outputs.plots import run as run_plots
from sim.outputs.plots.drawing import by_kind
from sim.outputs.plots.style import Figures
from tests.helpers import (
    EXAMPLE,
    EXAMPLE_PLOTS,
    ROOT,
    SCENARIOS,
    children,
    dcsim_path,
    unwritable_folder,
)

needs_two_cores = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2, reason="a chart worker is forked only with at least 2 cores"
)


def group(pgid: int) -> list[str]:
    """The processes, zombies included, of the process group ``pgid``: a command started
    in a session of its own, and every process it forked (they stay in its group)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        state, _, pgrp, *_ = text[text.rindex(")") + 2 :].split()
        if int(pgrp) == pgid:
            found.append(f"{text[: text.rindex(')') + 1]} {state}")
    return found


@dataclass
class Ended:
    code: int
    stdout: str
    stderr: str
    left: list[str]
    """The processes of its group still there when it had ended."""


def ended(proc: subprocess.Popen[str]) -> Ended:
    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the command hung")
    return Ended(proc.returncode, stdout, stderr, group(proc.pid))


def start(args: list[str]) -> subprocess.Popen[str]:
    """A command in a session, and so a process group, of its own."""
    return subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,
    )


def main_after(setup: str, args: list[str]) -> Ended:
    """`sim.cli.main(args)` in a new Python process, after the code ``setup``; it prints
    the exit code, and the number of times it forked."""
    code = (
        "import os, signal, sys\n"
        "forks = []\n"
        "real_fork = os.fork\n"
        "def counted_fork():\n"
        "    forks.append(1)\n"
        "    return real_fork()\n"
        "os.fork = counted_fork\n"
        f"{setup}\n"
        "from sim.cli import main\n"
        f"code = main({[str(a) for a in args]!r})\n"
        "print('forks', len(forks))\n"
        "print('matplotlib imported', 'matplotlib' in sys.modules)\n"
        "sys.exit(code)\n"
    )
    return ended(start([sys.executable, "-c", code]))


@needs_two_cores
def test_a_plan_run_is_drawn_by_a_chart_worker_and_its_process_never_imports_matplotlib(
    tmp_path: Path,
) -> None:
    out = tmp_path / "run"
    run = main_after("", ["run", EXAMPLE, "--out", out])
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    # the chart worker, and the worker it forked (the run's process forked one)
    assert run.stdout.splitlines()[-2:] == ["forks 1", "matplotlib imported False"]
    assert run.left == []
    plots = sorted(p.name for p in (out / "plots").iterdir())
    assert plots == EXAMPLE_PLOTS
    assert (out / "report.html").read_text().count("<img") == 6  # written once all were drawn


@needs_two_cores
def test_a_successful_run_leaves_no_process_behind(tmp_path: Path) -> None:
    run = ended(
        start(
            [dcsim_path(), "run", str(SCENARIOS / "portfolio.yaml"), "--out", str(tmp_path / "r")]
        )
    )
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout.startswith(f"portfolio: wrote {tmp_path / 'r'}/ in ")
    assert run.left == []  # nothing, not even a zombie: every worker was reaped


FAILING = """
import time
import sim.outputs.plots.run as charts
RUN, MARK = os.getpid(), {mark!r}
def fail_or_wait():
    if (os.getppid() == RUN) == {in_chart_worker!r}:  # the process under test
        open(MARK, "w").close()
        {how}
    for _ in range(6000):  # the other one draws once the failure is on its way
        if os.path.exists(MARK):
            break
        time.sleep(0.01)
drawn = {{kind: getattr(charts, kind) for kind in ("_dashboard", "_transition", "_revenue")}}
def _dashboard(*args):  # named as the chart it stands for: taken in the same order
    fail_or_wait()
    drawn["_dashboard"](*args)
def _transition(*args):
    fail_or_wait()
    drawn["_transition"](*args)
def _revenue(*args):
    fail_or_wait()
    drawn["_revenue"](*args)
charts._dashboard, charts._transition, charts._revenue = _dashboard, _transition, _revenue
"""


def failing(tmp_path: Path, in_chart_worker: bool, how: str) -> str:
    """Setup code for `main_after`: the first chart the chart worker (or the worker it
    forks) takes fails with ``how``; the other process's charts wait for it."""
    mark = str(tmp_path.parent / f"{tmp_path.name}-failing")
    return FAILING.format(mark=mark, in_chart_worker=in_chart_worker, how=how)


WHERE = pytest.mark.parametrize(
    "in_chart_worker", [True, False], ids=["in the chart worker", "in its worker"]
)


@needs_two_cores
@WHERE
def test_a_chart_that_fails_exits_1_with_its_error_and_leaves_nothing(
    tmp_path: Path, in_chart_worker: bool
) -> None:
    setup = failing(tmp_path, in_chart_worker, "raise RuntimeError('no such colour')")
    run = main_after(setup, ["run", EXAMPLE, "--out", tmp_path / "run"])
    assert run.code == 1
    assert "dcsim: internal error: RuntimeError: no such colour\n" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.left == []
    assert list(tmp_path.iterdir()) == []  # no result folder, no staging folder


@needs_two_cores
@WHERE
def test_a_chart_worker_that_dies_exits_2_and_leaves_nothing(
    tmp_path: Path, in_chart_worker: bool
) -> None:
    # as the out-of-memory killer would end it, in the middle of its charts
    setup = failing(tmp_path, in_chart_worker, "os.kill(os.getpid(), signal.SIGKILL)")
    run = main_after(setup, ["run", EXAMPLE, "--out", tmp_path / "run"])
    assert run.code == 2, run.stderr
    assert run.stderr == (
        "dcsim: a process drawing the charts died (killed by SIGKILL; out of memory?); "
        "no results were written; rerun\n"
    )
    assert run.left == []
    assert list(tmp_path.iterdir()) == []


STUDY_ENDS = pytest.mark.parametrize(
    ("how", "code", "stderr"),
    [
        (
            "raise RuntimeError('no such colour')",
            1,
            "dcsim: internal error: RuntimeError: no such colour\n"
            "rerun with --debug for the traceback, and report it\n",
        ),
        (
            "os.kill(os.getpid(), signal.SIGKILL)",
            2,
            "dcsim: a process drawing the charts died (killed by SIGKILL; out of memory?); "
            "no results were written; rerun\n",
        ),
        (
            "os.killpg(os.getpgrp(), signal.SIGINT)",
            130,
            "dcsim: interrupted; no results were written\n",
        ),
        ("os.kill(RUN, signal.SIGTERM)", 143, "dcsim: interrupted; no results were written\n"),
    ],
    ids=["a chart fails", "a worker dies", "ctrl-c to the group", "sigterm to the run"],
)


@needs_two_cores
@STUDY_ENDS
def test_a_studys_charts_drawn_in_the_run_stop_as_a_plan_runs_do(
    tmp_path: Path, how: str, code: int, stderr: str
) -> None:
    # A Monte Carlo study's charts are drawn by the run's process and a worker it forks
    # (`draw_all`), with the same tickets as a chart worker's; what happens in the worker
    # ends the run as in a plan run, and leaves nothing.
    setup = failing(tmp_path, True, how)
    run = main_after(setup, ["run", EXAMPLE, "-n", "4", "--out", tmp_path / "run"])
    assert run.code == code, run.stderr
    assert run.stderr == stderr
    assert run.left == []
    assert list(tmp_path.iterdir()) == []


@needs_two_cores
def test_charts_of_tables_too_large_to_send_are_drawn_in_the_run(tmp_path: Path) -> None:
    # as the contracts of thousands of sites would be: shared with forked workers, not copied
    setup = "import sim.outputs.plots.chartworker as charts; charts.SENT_AT_MOST = 1000"
    run = main_after(setup, ["run", EXAMPLE, "--out", tmp_path / "run"])
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    # the chart worker, ended unused, and `draw_all`'s worker beside the run's process
    assert run.stdout.splitlines()[-2:] == ["forks 2", "matplotlib imported True"]
    assert run.left == []
    assert len(list((tmp_path / "run" / "plots").iterdir())) == 6


@needs_two_cores
def test_a_chart_worker_that_cannot_start_drawing_exits_1_with_why(tmp_path: Path) -> None:
    # matplotlib is imported by the chart worker only: here it cannot be
    setup = "sys.modules['matplotlib.figure'] = None"
    run = main_after(setup, ["run", EXAMPLE, "--out", tmp_path / "run"])
    assert run.code == 1
    assert run.stderr == (
        "dcsim: internal error: ModuleNotFoundError: import of matplotlib.figure halted; "
        "None in sys.modules\nrerun with --debug for the traceback, and report it\n"
    )
    assert run.left == []
    assert list(tmp_path.iterdir()) == []


@needs_two_cores
@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
    ids=["ctrl-c to the group", "sigterm to the run"],
)
def test_an_interrupted_plan_run_ends_its_chart_workers_at_once(
    tmp_path: Path, sig: int, code: int
) -> None:
    proc = start(
        [dcsim_path(), "run", str(SCENARIOS / "portfolio.yaml"), "--out", str(tmp_path / "r")]
    )
    while not children(proc.pid) and proc.poll() is None:
        time.sleep(0.01)  # until the chart worker is forked
    assert proc.poll() is None, "the run ended before its chart worker started"
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # what Ctrl-C in a terminal does: the worker ignores it
    else:
        proc.send_signal(sig)
    run = ended(proc)
    assert run.code == code, run.stderr
    assert run.stderr == "dcsim: interrupted; no results were written\n"
    assert run.left == []
    assert list(tmp_path.iterdir()) == []


def test_where_workers_cannot_be_made_to_die_with_the_run_it_forks_nothing(tmp_path: Path) -> None:
    # not Linux: a worker could outlive a run killed outright, so every chart is drawn in
    # the run's process, the plan run's and a library call's alike
    setup = "import sim.outputs.plots.drawing as drawing; drawing.FORK_WORKERS = False"
    run = main_after(setup, ["run", EXAMPLE, "--out", tmp_path / "run"])
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout.splitlines()[-2:] == ["forks 0", "matplotlib imported True"]
    assert run.left == []
    assert sorted(p.name for p in (tmp_path / "run" / "plots").iterdir()) == EXAMPLE_PLOTS


def test_a_bad_scenario_exits_2_without_forking(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("it_mw: 20", "it_mw: -20", 1))
    run = main_after("", ["run", bad, "--out", tmp_path / "run"])
    assert run.code == 2
    assert f"{bad}:" in run.stderr
    assert "it_mw" in run.stderr
    assert run.stdout.splitlines() == ["forks 0", "matplotlib imported False"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_a_folder_that_cannot_be_written_exits_2_before_running(tmp_path: Path) -> None:
    out = unwritable_folder(tmp_path)
    parent = out.parent
    run = main_after("", ["run", EXAMPLE, "--out", out])
    assert run.code == 2
    reason = "Operation not permitted" if parent == Path("/sys") else "Permission denied"
    assert run.stderr == (
        f"dcsim: cannot write the results folder {out}: {reason} ({parent}); "
        "choose another --out, or fix the folder's permissions or free space\n"
    )
    assert run.stdout.splitlines() == ["forks 0", "matplotlib imported False"]
    assert run.left == []
    assert not out.exists()


def test_a_folder_of_other_files_is_refused_before_running(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    run = main_after("", ["run", EXAMPLE, "--out", tmp_path / "run"])
    assert run.code == 2
    assert run.stderr == (
        f"dcsim: {tmp_path / 'run'} already holds files; use --force to replace it, "
        "or choose another --out\n"
    )
    assert run.stdout.splitlines() == ["forks 0", "matplotlib imported False"]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["notes.txt"]


def test_a_library_run_forks_only_to_draw(tmp_path: Path) -> None:
    # sim.run forks nothing; sim.write_run forks a worker for each batch of the example's
    # six charts but the first (`draw_all`: one batch per core), as it always did.
    code = (
        "import os\n"
        "import sim\n"
        "forks = []\n"
        "real_fork = os.fork\n"
        "def counted_fork():\n"
        "    forks.append(1)\n"
        "    return real_fork()\n"
        "os.fork = counted_fork\n"
        f"result = sim.run(sim.load({str(EXAMPLE)!r}))\n"
        "print('run', len(forks))\n"
        f"sim.write_run(result, {str(tmp_path / 'run')!r})\n"
        "print('write', len(forks))\n"
    )
    run = ended(start([sys.executable, "-c", code]))
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == ["run 0", f"write {min(os.cpu_count() or 1, 6) - 1}"]
    assert len(list((tmp_path / "run" / "plots").iterdir())) == 6
    assert run.left == []


def test_the_chart_modules_load_without_matplotlib_or_the_analysis() -> None:
    # The run's process plans its charts without importing matplotlib, and a chart worker
    # unpickles them without importing the scenario's schema or the analysis: each is
    # imported where it is used, so the two processes' imports overlap rather than repeat.
    code = (
        "import sys\n"
        "import sim.outputs.plots.bands, sim.outputs.plots.chartworker, sim.outputs.plots.run\n"
        "import sim.outputs.plots.status, sim.outputs.plots.tornado\n"
        "heavy = ('matplotlib', 'PIL', 'sim.scenario.schema', 'sim.analysis.timeline')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


@pytest.mark.parametrize("order", ["reversed", "by kind, each second one first"])
def test_charts_come_out_the_same_whichever_came_before_them(tmp_path: Path, order: str) -> None:
    # The chart worker's processes take charts as they come free, so which chart a kept
    # figure drew before varies from run to run: each must come out as in a new figure.
    result = sim.run(SCENARIOS / "cipher_2026-06-30.yaml")  # every kind of run chart
    fresh = run_plots.run_jobs(result, tmp_path / "fresh")
    for function, args in fresh:
        function(Figures(), *args)
    kept = run_plots.run_jobs(result, tmp_path / "kept")
    kept = kept[::-1] if order == "reversed" else by_kind(kept)[1::2] + by_kind(kept)[::2]
    figures = Figures()
    for function, args in kept:
        function(figures, *args)
    names = sorted(p.name for p in (tmp_path / "fresh").iterdir())
    assert len(names) == 12
    assert names == sorted(p.name for p in (tmp_path / "kept").iterdir())
    for name in names:
        assert (imread(tmp_path / "fresh" / name) == imread(tmp_path / "kept" / name)).all(), name
