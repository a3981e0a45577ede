"""Where replications run: in this process, in local worker processes, or on Dask.

Each executor maps `run_chunk` over chunks of replication indices and yields
(chunk number, replications) as chunks finish, in any order; `sim.montecarlo.replications.in_order`
restores the order. A failing chunk raises its ReplicationError (which names the seed and
replication) and the remaining work is cancelled, so a failure never hangs the pool.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator
from typing import Literal

from sim.montecarlo.replications import Replication, run_chunk
from sim.scenario.schema import Scenario

Executor = Literal["local", "dask"]


def serial(
    scenario: Scenario, seed: int, chunks: list[list[int]]
) -> Iterator[tuple[int, list[Replication]]]:
    for number, indices in enumerate(chunks):
        yield number, run_chunk(scenario, seed, indices)


def _quiet_worker() -> None:
    """Workers leave Ctrl-C to the parent, which stops them; SIGTERM ends them at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _task(args: tuple[int, Scenario, int, list[int]]) -> tuple[int, list[Replication]]:
    number, scenario, seed, indices = args
    return number, run_chunk(scenario, seed, indices)


def local(
    scenario: Scenario, seed: int, chunks: list[list[int]], jobs: int
) -> Iterator[tuple[int, list[Replication]]]:
    """Run chunks in ``jobs`` worker processes. On a failure, an interrupt, or the consumer
    stopping early, the workers are terminated: none is left behind and nothing hangs."""
    if jobs <= 1:
        yield from serial(scenario, seed, chunks)
        return
    pool = multiprocessing.get_context().Pool(jobs, initializer=_quiet_worker)
    try:
        tasks = ((number, scenario, seed, indices) for number, indices in enumerate(chunks))
        yield from pool.imap_unordered(_task, tasks)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def dask(
    scenario: Scenario, seed: int, chunks: list[list[int]], scheduler: str
) -> Iterator[tuple[int, list[Replication]]]:
    """Run chunks on a dask.distributed cluster; tasks on a worker that dies are retried."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "--executor dask needs dask.distributed: pip install 'dcsim[dask]'"
        ) from exc
    # as_completed finds the client through the default; it is unset again on close.
    with Client(scheduler, set_as_default=True) as client:
        shared = client.scatter(scenario, broadcast=True)
        futures = {
            client.submit(run_chunk, shared, seed, indices, pure=False, retries=2): number
            for number, indices in enumerate(chunks)
        }
        try:
            for future, result in as_completed(futures, with_results=True):
                yield futures[future], result
        finally:
            client.cancel(list(futures))
