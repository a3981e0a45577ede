"""Stopping a pool never hangs, even when a worker was ended in the middle of sending its
result (a Monte Carlo run interrupted while a task's replications were on their way)."""

from __future__ import annotations

import multiprocessing
import struct
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from sim.pools import stop_workers
from tests.helpers import ROOT


def stop_a_pool_with_a_message_cut_short() -> None:
    """A pool whose result pipe holds a message cut short, as a worker ended mid-send
    leaves it: its manager thread is waiting for the rest. Stop it and say so."""
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    pool.submit(time.sleep, 600)  # a worker busy with its task
    writer = pool._result_queue._writer  # type: ignore[attr-defined]  # the pipe under test
    writer._send(struct.pack("!i", 1000) + b"ten bytes.")  # 1,000 announced, 10 sent
    time.sleep(0.5)  # the manager thread reads the 10 and waits for the other 990
    stop_workers(pool)
    print("stopped; workers left:", len(multiprocessing.active_children()))


def test_a_pool_whose_worker_died_mid_send_stops() -> None:
    code = "from tests.test_pools import stop_a_pool_with_a_message_cut_short as f; f()"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,  # before the fix this hung for ever
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["stopped; workers left: 0"]
    assert "Traceback" not in done.stderr
