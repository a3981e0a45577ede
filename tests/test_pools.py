"""Stopping a pool never hangs, even when a worker was ended in the middle of sending its
result (a Monte Carlo run interrupted while a task's replications were on their way)."""

from __future__ import annotations

import multiprocessing
import struct
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

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


def in_a_process(function: str) -> list[str]:
    """Run ``function`` of this module in a fresh interpreter (a hang fails the test at the
    timeout, not the suite); its printed lines, once it ended cleanly."""
    code = f"from tests.test_pools import {function} as f; f()"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout.splitlines()


def test_a_pool_whose_worker_died_mid_send_stops() -> None:
    # before the fix this hung for ever
    assert in_a_process("stop_a_pool_with_a_message_cut_short") == ["stopped; workers left: 0"]


def run_with_a_worker_killed_mid_send() -> None:
    """Monte Carlo in two workers, one of which (in its first task) writes the start of a
    result and is killed, as the out-of-memory killer would end it while sending: the
    pool's manager thread is left waiting for the rest of the message, and never reports
    the pool broken. The run must still stop, naming the lost replications."""
    import sim
    from sim.montecarlo import executors

    executors.run_chunk_numbered = _die_while_sending  # type: ignore[assignment]  # forked
    scenario = sim.load(ROOT / "scenarios" / "example.yaml")
    try:
        list(executors.local(scenario, 1, [[0, 1], [2, 3], [4]], 2))
    except executors.WorkerLost as exc:
        print("lost:", str(exc).split("; ")[1])
    print("workers left:", len(multiprocessing.active_children()))


def _die_while_sending(number: int, *args: object) -> object:
    """A task: the first one sends the start of its result and is killed; the others wait."""
    import gc
    import os
    import signal

    if number == 0:
        pool = next(o for o in gc.get_objects() if isinstance(o, ProcessPoolExecutor))
        writer = pool._result_queue._writer  # type: ignore[attr-defined]  # the pipe under test
        writer._send(struct.pack("!i", 1000) + b"ten bytes.")  # 1,000 announced, 10 sent
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(600)  # the other worker is busy
    return None


def test_a_run_whose_worker_died_mid_send_stops_and_says_so() -> None:
    # before the run watched its workers, this hung for ever
    assert in_a_process("run_with_a_worker_killed_mid_send") == [
        "lost: replications 0-4 of 5 were lost and no results were written",
        "workers left: 0",
    ]


def run_with_a_worker_dying_while_a_result_is_used() -> None:
    """Monte Carlo in two workers, one of which dies while the run uses a result (the run
    resumes with a submit to a pool already broken). The run must stop, naming the lost
    replications."""
    import sim
    from sim.montecarlo import executors

    executors.run_chunk_numbered = _die_in_chunk_1  # type: ignore[assignment]  # forked
    scenario = sim.load(ROOT / "scenarios" / "example.yaml")
    try:
        for _ in executors.local(scenario, 1, [[i] for i in range(7)], 2):
            time.sleep(3)  # using the result, while the other worker dies
    except executors.WorkerLost as exc:
        print("lost:", str(exc).split("; ")[1])
    print("workers left:", len(multiprocessing.active_children()))


def _die_in_chunk_1(number: int, *args: Any) -> object:
    """A task: chunk 0 runs at once; chunk 1 is killed half a second in (chunk 0 is done by
    then); the others start a second in (so chunk 0's is the one result the run uses)."""
    import os
    import signal

    from sim.montecarlo.replications import run_chunk

    if number == 1:
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGKILL)
    if number > 1:
        time.sleep(1.0)
    return number, run_chunk(*args)


def test_a_run_whose_worker_died_while_it_used_a_result_says_so() -> None:
    # a submit to the broken pool raised BrokenProcessPool: an internal error, exit 1
    assert in_a_process("run_with_a_worker_dying_while_a_result_is_used") == [
        "lost: replications 1-6 of 7 were lost and no results were written",
        "workers left: 0",
    ]
