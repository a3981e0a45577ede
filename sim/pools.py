"""Stopping a pool of worker processes at once (Monte Carlo replications, chart drawing)."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait


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
