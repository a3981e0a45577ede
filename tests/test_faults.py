"""Faults: a Dask worker killed mid-run changes nothing; a write interrupted leaves nothing."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.outputs.files import write_atomically
from sim.runner import RunOptions, monte_carlo_run
from tests.helpers import SCENARIOS


def test_a_dask_worker_killed_mid_run_does_not_change_the_results() -> None:
    distributed = pytest.importorskip("distributed")
    scenario = sim.load(SCENARIOS / "portfolio.yaml")
    expected = monte_carlo_run(scenario, RunOptions(120, seed=21, jobs=1))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
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


def test_an_interrupted_write_leaves_nothing_behind(tmp_path: Path) -> None:
    def fill(staging: Path) -> None:
        (staging / "timeline.csv").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "run", force=False, fill=fill)
    assert list(tmp_path.iterdir()) == []
