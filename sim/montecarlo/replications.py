"""Monte Carlo: replications of one scenario, aggregated as they arrive.

A replication is a pure function of (scenario, root seed, replication index): it realizes
the uncertain inputs from their keyed streams, runs the engine with per-lot randomness, and
sends back compact arrays (the timeline metrics as float32) and a row of KPIs. Results are
aggregated strictly in replication order, whatever order workers finish in, so the same seed
gives byte-identical results for any number of jobs and for the local and Dask executors.

Timeline percentiles are computed per batch of `BATCH` replications (exact within a batch)
and averaged over batches, weighted by batch size, so memory holds one batch of arrays and
the KPI table, never all replications' timelines.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.finance import finance_kpis
from sim.analysis.kpis import tranche_fills
from sim.analysis.timeline import TIMELINE_COLUMNS, Arrays, compute_arrays
from sim.engine import Random, build_plan, simulate
from sim.engine.realize import Streams, realize
from sim.scenario.schema import Scenario
from sim.units import DAYS_PER_YEAR

METRICS = TIMELINE_COLUMNS[2:]
"""Every numeric timeline column gets percentile bands."""
QUANTILES = (10.0, 50.0, 90.0)
BATCH = 256


class ReplicationError(RuntimeError):
    """A replication failed; the message names its seed and index so it can be reproduced."""


@dataclass
class Replication:
    """What one replication sends back: compact arrays and one row of KPIs."""

    index: int
    metrics: np.ndarray
    """float32, shape (metric, site or portfolio, date)."""
    kpis: dict[str, float]
    """Dates as days since the scenario start (NaN when not reached in the horizon)."""


def replicate(scenario: Scenario, seed: int, index: int) -> Replication:
    """Run replication ``index`` of ``scenario`` under root seed ``seed``."""
    try:
        streams = Streams(seed, index)
        concrete, draws = realize(scenario, streams)
        recorder = simulate(build_plan(concrete), Random(streams))
        arrays = compute_arrays(concrete, recorder)
        kpis = _kpis(concrete, recorder.units, arrays)
        kpis.update(finance_kpis(concrete, recorder))
        kpis.update({f"input.{k}": v for k, v in draws.items()})
        metrics = np.stack([arrays.columns[m] for m in METRICS]).astype(np.float32)
        return Replication(index, metrics, kpis)
    except Exception as exc:
        raise ReplicationError(
            f"replication {index} (seed {seed}) failed: {type(exc).__name__}: {exc}; "
            f"reproduce with sim.montecarlo.replications.replicate(scenario, {seed}, {index})"
        ) from exc


def run_chunk(scenario: Scenario, seed: int, indices: list[int]) -> list[Replication]:
    """Several replications in one task (amortizes the cost of shipping the scenario)."""
    return [replicate(scenario, seed, i) for i in indices]


def _kpis(
    scenario: Scenario, units: list[tuple[float, str, float, float]], arrays: Arrays
) -> dict[str, float]:
    out: dict[str, float] = {}
    by_contract: dict[str, list[tuple[float, float]]] = {n: [] for n in scenario.contracts}
    for t, name, u, _ in units:
        by_contract[name].append((t, u))
    start = scenario.scenario.start
    revenue = arrays.contract_columns["revenue_usd"].sum(axis=1)
    for row, (name, contract) in enumerate(scenario.contracts.items()):
        rows = sorted(by_contract[name])
        times = np.array([r[0] for r in rows])
        cumulative = np.cumsum([r[1] for r in rows]) if rows else np.zeros(0)
        fills, full = tranche_fills(contract, times, cumulative)
        for i, (tranche, t) in enumerate(zip(contract.tranches, fills, strict=True)):
            day = _day(t)
            out[f"{name}.tranche_{i + 1}.delivered"] = day
            out[f"{name}.tranche_{i + 1}.slip_days"] = day - (tranche.due - start).days
        out[f"{name}.full_delivery"] = _day(full)
        out[f"{name}.revenue_usd"] = float(revenue[row])
    columns = arrays.columns
    out["revenue_usd"] = float(columns["revenue_usd"][-1].sum())
    out["gpu_months"] = float(columns["gpu_days"][-1][-1] / (DAYS_PER_YEAR / 12.0))
    out["peak_facility_mw"] = float(columns["facility_mw"][-1].max())
    out["idle_mw_days"] = float(columns["idle_mw_days"][-1][-1])
    out["rack_days_waiting"] = float(columns["racks_waiting_days"][-1][-1])
    out["cash_usd"] = float(columns["cash_usd"][-1][-1])
    return out


def _day(t: float | None) -> float:
    """The day (since the start) of time ``t``; NaN when it never came in the horizon."""
    return math.nan if t is None else float(math.floor(t + 1e-9))


@dataclass
class Aggregator:
    """Takes replications in index order; keeps one batch of arrays and the KPI rows."""

    seed: int
    _batch: list[np.ndarray] = field(default_factory=list)
    _quantile_sum: np.ndarray | None = None
    _sum: np.ndarray | None = None
    _count: int = 0
    rows: list[dict[str, float]] = field(default_factory=list)

    def add(self, rep: Replication) -> None:
        if rep.index != self._count:
            raise ValueError(f"replication {rep.index} arrived out of order")
        metrics = rep.metrics.astype(np.float64)
        self._sum = metrics if self._sum is None else self._sum + metrics
        self._batch.append(rep.metrics)
        self._count += 1
        self.rows.append({"replication": rep.index, "seed": self.seed, **rep.kpis})
        if len(self._batch) == BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        stack = np.stack(self._batch)
        q = np.percentile(stack, QUANTILES, axis=0) * len(self._batch)
        self._quantile_sum = q if self._quantile_sum is None else self._quantile_sum + q
        self._batch = []

    def percentiles(self) -> tuple[np.ndarray, np.ndarray]:
        """(p10/p50/p90 stacked, mean), each shaped like one replication's metrics."""
        self._flush()
        assert self._quantile_sum is not None
        assert self._sum is not None
        quantiles = np.sort(self._quantile_sum / self._count, axis=0)  # p10 <= p50 <= p90
        return quantiles, self._sum / self._count


def chunks(n: int, jobs: int) -> list[list[int]]:
    """Replication indices split into tasks: a few per worker, at most 50 per task."""
    size = max(1, min(50, math.ceil(n / (jobs * 8))))
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def in_order(results: Iterable[tuple[int, list[Replication]]]) -> Iterator[Replication]:
    """Yield replications in index order from (chunk number, replications) that may arrive in
    any order; holds only the chunks that arrived early."""
    waiting: dict[int, list[Replication]] = {}
    expected = 0
    for number, reps in results:
        waiting[number] = reps
        while expected in waiting:
            yield from waiting.pop(expected)
            expected += 1


@dataclass(frozen=True)
class MonteCarlo:
    """The aggregated result of N replications."""

    scenario: Scenario
    seed: int
    replications: pd.DataFrame
    percentiles: pd.DataFrame
    on_time: pd.DataFrame
    drivers: pd.DataFrame
    summary: dict[str, Any]


def monte_carlo(
    scenario: Scenario,
    n: int,
    seed: int,
    results: Callable[[list[list[int]]], Iterable[tuple[int, list[Replication]]]],
    chunk_list: list[list[int]],
    progress: Callable[[int], None] | None = None,
) -> MonteCarlo:
    """Aggregate ``n`` replications produced by ``results`` (an executor's map)."""
    aggregator = Aggregator(seed)
    for rep in in_order(results(chunk_list)):
        aggregator.add(rep)
        if progress is not None:
            progress(1)
    quantiles, mean = aggregator.percentiles()
    return assemble(scenario, seed, aggregator.rows, quantiles, mean)


def assemble(
    scenario: Scenario,
    seed: int,
    rows: list[dict[str, float]],
    quantiles: np.ndarray,
    mean: np.ndarray,
) -> MonteCarlo:
    """The Monte Carlo tables and summary from the aggregated arrays and KPI rows."""
    from sim.montecarlo.summary import drivers_table, mc_summary, on_time_table, percentile_table

    start = scenario.scenario.start
    reps = pd.DataFrame(rows)
    day_columns = [c for c in reps.columns if c.endswith((".delivered", ".full_delivery"))]
    for column in day_columns:
        reps[column] = pd.Timestamp(start) + pd.to_timedelta(reps[column], unit="D")
    percentiles = percentile_table(scenario, quantiles, mean)
    on_time = on_time_table(scenario, reps)
    drivers = drivers_table(reps)
    summary = mc_summary(scenario, seed, reps, on_time, drivers)
    return MonteCarlo(scenario, seed, reps, percentiles, on_time, drivers, summary)
