"""Where replications run: in this process, in local worker processes, or on Dask.

Each executor maps `run_chunk` over chunks of replication indices and yields
(chunk number, replications) as chunks finish, in any order; `sim.montecarlo.replications.in_order`
restores the order. A failing chunk raises its ReplicationError (which names the seed and
replication) and the remaining work is cancelled, so a failure never hangs the pool.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Literal

from sim.errors import UsageError
from sim.montecarlo.replications import Bands, Replication, run_chunk
from sim.pools import a_worker_died, quiet_worker, stop_workers
from sim.scenario.schema import Scenario

Executor = Literal["local", "dask"]
EXECUTORS: tuple[Executor, ...] = ("local", "dask")


class WorkerLost(UsageError):
    """A worker process died (killed, or out of memory) before finishing its replications."""


def serial(
    scenario: Scenario, seed: int, chunks: list[list[int]], bands: Bands = "headline"
) -> Iterator[tuple[int, list[Replication]]]:
    for number, indices in enumerate(chunks):
        yield number, run_chunk(scenario, seed, indices, bands)


def local(
    scenario: Scenario, seed: int, chunks: list[list[int]], jobs: int, bands: Bands = "headline"
) -> Iterator[tuple[int, list[Replication]]]:
    """Run chunks in ``jobs`` worker processes, a few chunks ahead of the results. On a
    failure, an interrupt, a worker that dies, or the consumer stopping early, the workers
    are terminated: none is left behind and nothing hangs."""
    jobs = min(jobs, len(chunks))  # a worker more than the tasks would only be forked
    if jobs <= 1:
        yield from serial(scenario, seed, chunks, bands)
        return
    pool = ProcessPoolExecutor(
        jobs, mp_context=multiprocessing.get_context(), initializer=quiet_worker
    )
    running: dict[Future[tuple[int, list[Replication]]], int] = {}
    pending = iter(enumerate(chunks))
    done_chunks: set[int] = set()
    try:
        for number, indices in pending:
            future = pool.submit(run_chunk_numbered, number, scenario, seed, indices, bands)
            running[future] = number
            if len(running) >= 2 * jobs:
                break
        while running:
            finished, _ = wait(running, timeout=WATCH_SECONDS, return_when=FIRST_COMPLETED)
            if not finished and a_worker_died(pool):
                raise _lost(chunks, done_chunks)
            for future in finished:
                del running[future]
                number, reps = future.result()
                done_chunks.add(number)
                yield number, reps
                for next_number, indices in pending:
                    future = pool.submit(
                        run_chunk_numbered, next_number, scenario, seed, indices, bands
                    )
                    running[future] = next_number
                    break
    except BrokenProcessPool:  # a worker died: seen in a result, or by a submit after it
        stop_workers(pool)
        raise _lost(chunks, done_chunks) from None
    except BaseException:
        stop_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True)


WATCH_SECONDS = 0.5
"""How often a run waiting for results looks at its workers (`sim.pools.a_worker_died`)."""


def _lost(chunks: list[list[int]], done_chunks: set[int]) -> WorkerLost:
    return WorkerLost(
        "a Monte Carlo worker process died (killed, or out of memory?); replications "
        f"{_lost_ranges(chunks, done_chunks)} were lost and no results were written; "
        "rerun, with fewer --jobs if memory is short"
    )


def _lost_ranges(chunks: list[list[int]], done_chunks: set[int]) -> str:
    """The replications of the chunks not done, of all: "3-7, 12 of 20"."""
    lost = [i for n, c in enumerate(chunks) if n not in done_chunks for i in c]
    return f"{_ranges(lost)} of {sum(map(len, chunks))}"


def run_chunk_numbered(
    number: int, scenario: Scenario, seed: int, indices: list[int], bands: Bands = "headline"
) -> tuple[int, list[Replication]]:
    return number, run_chunk(scenario, seed, indices, bands)


def _ranges(indices: list[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> "0-2, 5, 7-8"."""
    parts: list[tuple[int, int]] = []
    for i in sorted(indices):
        if parts and parts[-1][1] == i - 1:
            parts[-1] = (parts[-1][0], i)
        else:
            parts.append((i, i))
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in parts)


def dask(
    scenario: Scenario,
    seed: int,
    chunks: list[list[int]],
    scheduler: str,
    bands: Bands = "headline",
) -> Iterator[tuple[int, list[Replication]]]:
    """Run chunks on a dask.distributed cluster; tasks on a worker that dies are retried. A
    scheduler without a worker for `WORKERS_WAIT_SECONDS` is a `NoWorkers` (its tasks would
    wait for ever), a task that kills its workers again and again (dask's `KilledWorker`) a
    `WorkerLost`, and a scheduler that stops or cannot be reached mid-run a `ClusterLost`,
    these two naming the replications lost. dask's own log lines are held back while the
    run uses the cluster: what went wrong is in the error raised."""
    try:
        from distributed import Client, KilledWorker, as_completed
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise UsageError(
            f"--executor dask needs dask.distributed, which is not installed ({exc}); "
            "install it with: pip install 'dcsim[dask]'"
        ) from None
    # as_completed finds the client through the default; it is unset again on close.
    with _logs_held("distributed"):
        try:
            client = Client(scheduler, set_as_default=True)
        except OSError as exc:  # includes the connection timeout
            raise UsageError(
                f"cannot reach the dask scheduler at {scheduler}: {exc}; check --scheduler"
            ) from None
        with client:
            try:
                client.wait_for_workers(n_workers=1, timeout=WORKERS_WAIT_SECONDS)
            except TimeoutError:  # dask's WorkerStartTimeoutError, or (2024.1) TimeoutError
                raise _no_workers(scheduler) from None
            except OSError:  # the scheduler stopped while the run waited
                raise _cluster_lost(scheduler, chunks, set()) from None
            # The scenario travels inside each task rather than scattered once: scattered
            # data lives only on the workers that hold it, and is lost for good with them
            # when they die, while a task's own arguments come back with its retry.
            futures = {
                client.submit(
                    run_chunk, scenario, seed, indices, bands, pure=False, retries=2
                ): number
                for number, indices in enumerate(chunks)
            }
            done_chunks: set[int] = set()
            try:
                for future, result in as_completed(futures, with_results=True):
                    if future.cancelled():  # the client lost its scheduler
                        raise _cluster_lost(scheduler, chunks, done_chunks)
                    done_chunks.add(futures[future])
                    yield futures[future], result
            except KilledWorker:
                raise WorkerLost(
                    "dask workers died each time they ran a task of replications (killed, or "
                    f"out of memory?); replications {_lost_ranges(chunks, done_chunks)} were "
                    "lost and no results were written; see the workers' logs, give them more "
                    "memory if it is short, and rerun"
                ) from None
            finally:
                client.cancel(list(futures))


WORKERS_WAIT_SECONDS = 120.0
"""How long a dask run waits for its scheduler to have a worker before it gives up: tasks
sent to a scheduler with none wait, silently, for ever, while an autoscaling cluster may
take a minute or two to start its first worker."""


class NoWorkers(UsageError):
    """The dask scheduler had no worker to run the replications, for as long as a run waits."""


def _no_workers(scheduler: str) -> NoWorkers:
    return NoWorkers(
        f"the dask scheduler at {scheduler} has no workers (waited {WORKERS_WAIT_SECONDS:g} s); "
        f"start some (`dask worker {scheduler}`) and rerun"
    )


class ClusterLost(UsageError):
    """The dask scheduler stopped, or could no longer be reached, during a run."""


def _cluster_lost(scheduler: str, chunks: list[list[int]], done_chunks: set[int]) -> ClusterLost:
    return ClusterLost(
        f"the connection to the dask scheduler at {scheduler} was lost during the run "
        f"(it stopped, or the network failed); replications {_lost_ranges(chunks, done_chunks)} "
        "were lost and no results were written; check the cluster and rerun"
    )


@contextlib.contextmanager
def _logs_held(name: str) -> Iterator[None]:
    """Hold back every record of the logger ``name`` and of its children meanwhile (each is
    disabled: dask gives some of them handlers of their own that do not propagate)."""
    loggers = [logging.getLogger(name)] + [
        logger
        for key, logger in list(logging.root.manager.loggerDict.items())
        if key.startswith(f"{name}.") and isinstance(logger, logging.Logger)
    ]
    before = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, disabled in zip(loggers, before, strict=True):
            logger.disabled = disabled
