"""Faults: a Dask worker killed mid-run changes nothing, one killed on every try, a
scheduler lost or a scheduler without workers ends the run with exit 2; a write interrupted
leaves nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.montecarlo import executors
from sim.montecarlo.executors import WorkerLost
from sim.outputs.files import write_atomically
from sim.runner import RunOptions, monte_carlo_run
from tests.helpers import SCENARIOS, dcsim_path


def test_a_dask_worker_killed_mid_run_does_not_change_the_results() -> None:
    distributed = pytest.importorskip("distributed")
    scenario = sim.load(SCENARIOS / "portfolio.yaml")
    expected = monte_carlo_run(scenario, RunOptions(120, seed=21, jobs=1))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0"
    ) as cluster:
        killed: list[int] = []

        def kill_one_worker() -> None:
            deadline = time.monotonic() + 30
            with distributed.Client(cluster.scheduler_address) as watcher:
                while time.monotonic() < deadline:  # wait until work is running
                    if any(watcher.processing().values()):
                        break
                    time.sleep(0.05)
            time.sleep(0.5)
            nanny = next(iter(cluster.workers.values()))
            pid = nanny.process.process.pid
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        killer = threading.Thread(target=kill_one_worker)
        killer.start()
        result = monte_carlo_run(
            scenario,
            RunOptions(120, seed=21, executor="dask", scheduler=cluster.scheduler_address),
        )
        killer.join()
    assert killed, "no worker was killed"
    assert result.percentiles.to_csv(index=False) == expected.percentiles.to_csv(index=False)
    pd.testing.assert_frame_equal(result.replications, expected.replications)


def _kill_my_worker(*args: object) -> None:
    """A chunk of replications that kills the dask worker running it (as the out-of-memory
    killer would, on every try)."""
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_dask_task_that_kills_every_worker_it_tries_ends_the_run_naming_what_was_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    distributed = pytest.importorskip("distributed")
    import dask

    scenario = sim.load(SCENARIOS / "example.yaml")
    monkeypatch.setattr(executors, "run_chunk", _kill_my_worker)
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0"
        ) as cluster,
        pytest.raises(WorkerLost) as lost,
    ):
        monte_carlo_run(
            scenario, RunOptions(6, seed=3, executor="dask", scheduler=cluster.scheduler_address)
        )
    assert str(lost.value).startswith("dask workers died each time they ran a task of")
    assert "replications 0-5 of 6 were lost and no results were written" in str(lost.value)


def dask_processes(folder: Path, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A dask scheduler and ``workers`` workers, each a process of its own as on a real
    cluster, listening on the loopback address only: the scheduler's address and process.
    They are killed when the generator is closed."""
    pytest.importorskip("distributed")
    dask_cli = str(Path(sys.executable).parent / "dask")
    file = folder / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    loopback = ["--host", "127.0.0.1", "--no-dashboard", "--scheduler-file", str(file)]
    scheduler = subprocess.Popen([dask_cli, "scheduler", "--port", "0", *loopback], **quiet)
    processes = [scheduler]
    processes += [
        subprocess.Popen([dask_cli, "worker", "--nthreads", "1", *loopback], **quiet)
        for _ in range(workers)
    ]
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        yield json.loads(file.read_text())["address"], scheduler
    finally:
        for process in reversed(processes):
            process.kill()
            process.wait()


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A dask scheduler and one worker: the scheduler's address and process."""
    yield from dask_processes(tmp_path, workers=1)


def test_a_dask_scheduler_lost_mid_run_ends_the_run_with_exit_2_and_no_traceback(
    tmp_path: Path, dask_cluster: tuple[str, subprocess.Popen[bytes]]
) -> None:
    distributed = pytest.importorskip("distributed")
    address, scheduler = dask_cluster
    out = tmp_path / "run"
    run = subprocess.Popen(
        [
            *(dcsim_path(), "run", SCENARIOS / "portfolio.yaml", "-n", "5000", "--out", out),
            *("--executor", "dask", "--scheduler", address),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with distributed.Client(address, timeout=60) as watcher:
        deadline = time.monotonic() + 60
        while not any(watcher.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.05)  # until the run's tasks are running
    scheduler.kill()
    try:
        stdout, stderr = run.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        run.kill()
        pytest.fail("dcsim hung after its dask scheduler was lost")
    assert run.returncode == 2, stderr
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"dcsim: the connection to the dask scheduler at {address} was lost during the run"
        )
    )
    assert "of 5000 were lost and no results were written; check the cluster" in stderr
    assert "Traceback" not in stderr
    assert "distributed." not in stderr  # none of dask's log lines
    assert stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["scheduler.json"]  # no folder, no staging


@pytest.fixture
def dask_scheduler_alone(tmp_path: Path) -> Iterator[str]:
    """A dask scheduler that no worker ever joins: its address."""
    for address, _ in dask_processes(tmp_path, workers=0):
        yield address


def test_a_dask_scheduler_without_workers_ends_the_run_with_exit_2_and_writes_nothing(
    tmp_path: Path, dask_scheduler_alone: str
) -> None:
    address = dask_scheduler_alone
    # dcsim's own command line, in a process of its own that waits 2 s, not 120, for a
    # worker: a run that waits for ever is killed at the timeout and fails the test.
    code = (
        "import sys; from sim.montecarlo import executors; from sim.cli import main; "
        "executors.WORKERS_WAIT_SECONDS = 2; sys.exit(main(sys.argv[1:]))"
    )
    argv = ["run", SCENARIOS / "example.yaml", "-n", "20", "--out", tmp_path / "run"]
    argv += ["--executor", "dask", "--scheduler", address]
    try:
        run = subprocess.run(
            [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired:
        pytest.fail("dcsim hung on a dask scheduler without workers")
    assert run.returncode == 2, run.stderr
    assert run.stderr == (
        f"dcsim: the dask scheduler at {address} has no workers (waited 2 s); "
        f"start some (`dask worker {address}`) and rerun\n"
    )
    assert run.stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["scheduler.json"]  # no folder, no staging


def test_an_interrupted_write_leaves_nothing_behind(tmp_path: Path) -> None:
    def fill(staging: Path) -> None:
        (staging / "timeline.csv").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "run", force=False, fill=fill)
    assert list(tmp_path.iterdir()) == []
