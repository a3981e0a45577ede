"""Interruptions: Ctrl-C or SIGTERM stops a run promptly, with nothing left behind."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import SCENARIOS, dcsim_path, processes_mentioning


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_a_monte_carlo_run_cleanly(tmp_path: Path, sig: int, code: int) -> None:
    out = tmp_path / "interrupted-run"
    proc = subprocess.Popen(
        [
            dcsim_path(),
            "run",
            str(SCENARIOS / "portfolio.yaml"),
            "-n",
            "5000",
            "--jobs",
            "2",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(processes_mentioning(str(out))) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)  # wait for the parent and both workers
    assert len(processes_mentioning(str(out))) >= 3, "the workers never started"
    time.sleep(1.0)
    proc.send_signal(sig)
    try:
        _, stderr = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("dcsim did not stop within 20 s of the signal")
    assert proc.returncode == code
    assert "interrupted; no results were written" in stderr
    assert "Traceback" not in stderr
    time.sleep(0.5)
    assert processes_mentioning(str(out)) == []  # no worker left behind
    assert list(tmp_path.iterdir()) == []  # no result folder, no staging folder


def test_a_run_killed_outright_leaves_no_worker_behind(tmp_path: Path) -> None:
    # kill -9 (or the out-of-memory killer) gives the run no chance to stop its workers:
    # they must end by themselves rather than wait for tasks for ever.
    out = tmp_path / "killed-run"
    args = [dcsim_path(), "run", str(SCENARIOS / "portfolio.yaml"), "-n", "5000"]
    proc = subprocess.Popen(
        [*args, "--jobs", "2", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(processes_mentioning(str(out))) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)  # wait for the parent and both workers
    assert len(processes_mentioning(str(out))) >= 3, "the workers never started"
    proc.kill()
    proc.wait(timeout=20)
    deadline = time.monotonic() + 20
    while processes_mentioning(str(out)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_mentioning(str(out)) == []
