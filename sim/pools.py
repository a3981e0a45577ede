"""Worker processes (Monte Carlo replications, chart drawing): how each starts, and
stopping a pool of them at once."""

from __future__ import annotations

import ctypes
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait

_PR_SET_PDEATHSIG = 1
"""Linux's prctl option: the signal a process gets when the thread that started it ends."""
_PR_SET_CHILD_SUBREAPER = 36
"""Linux's prctl option: a process whose orphaned descendants become its own children."""


def quiet_worker() -> None:
    """A worker's set-up (a pool's ``initializer``). Ctrl-C is left to the parent, which
    stops the workers; SIGTERM ends a worker at once (no handler inherited from the CLI
    raising inside it); and on Linux a worker gets SIGTERM when the process that started it
    ends, so a run killed outright (kill -9, the out-of-memory killer) leaves no worker
    waiting for tasks for ever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(signal.SIGTERM)


def die_with_parent(signum: int) -> None:
    """On Linux, have this process sent ``signum`` when the process that started it ends
    (elsewhere, nothing)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signum))


def adopt_orphans(adopt: bool) -> None:
    """On Linux, whether a worker's own workers, orphaned when it dies, become this
    process's children (to reap) rather than init's (elsewhere, nothing)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, ctypes.c_ulong(int(adopt)))


def a_worker_died(pool: ProcessPoolExecutor) -> bool:
    """Whether a worker of the pool has ended while the pool runs (killed, or out of
    memory). The pool's manager thread does not always see it: a worker killed while it
    was sending its result leaves the message cut short in the result pipe, and the thread
    waits in that read for the rest (with every result still to come behind it), so a
    caller waiting for results must also look at the workers themselves."""
    processes = (getattr(pool, "_processes", None) or {}).values()
    return any(process.exitcode is not None for process in list(processes))


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's workers now, then wait for its manager thread to see them gone.

    The workers are ended first: a shutdown forgets them, and one could go on with its task.
    A worker ended while it was sending its result leaves the message cut short in the
    result pipe, and the pool's manager thread would wait for the rest forever (the pool
    keeps its own end for writing to that pipe open): so once the workers are gone, that end
    is closed, and the thread reads the end of the pipe as a broken pool. Waiting for the
    thread matters too: one still closing a broken pool at interpreter exit races the exit
    hook of concurrent.futures (a "Bad file descriptor" traceback on Python 3.11)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    wait([process.sentinel for process in processes])  # every one ended
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        writer.close()
    pool.shutdown(wait=True, cancel_futures=True)
