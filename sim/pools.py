"""Stopping a pool of worker processes at once (Monte Carlo replications, chart drawing)."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's workers now, then wait for its manager thread to see them gone.

    The workers are ended first: a shutdown forgets them, and one could go on with its task.
    Waiting for the manager thread matters too: one still closing a broken pool at
    interpreter exit races the exit hook of concurrent.futures (a "Bad file descriptor"
    traceback on Python 3.11)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
