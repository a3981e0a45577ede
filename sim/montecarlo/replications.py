"""Monte Carlo: replications of one scenario, aggregated as they arrive.

A replication is a pure function of (scenario, root seed, replication index): it realizes
the uncertain inputs from their keyed streams, runs the engine with per-lot randomness, and
sends back compact arrays (the timeline metrics as float32) and a row of KPIs. Results are
aggregated strictly in replication order, whatever order workers finish in, so the same seed
gives byte-identical results for any number of jobs and for the local and Dask executors.

Timeline percentiles are exact order statistics over the replications' timelines, kept as
float32 up to `KEEP_BYTES` of memory. A run too large for that budget takes its bands from
the first M replications that fit (replications are independent and identically
distributed, so the first M are a random sample of them) and states it in the summary, with
the 95% error of the bands' ranks, 1.96 * sqrt(p (1 - p) / M) (for example +-0.9 percentile
points at P80 with M = 7,500). Tranche dates and every other KPI are kept for every
replication, so their percentiles are always exact. (Averaging per-batch percentiles, as
earlier versions did, is biased for step-shaped outcomes.)

By default bands cover the headline metrics only (`HEADLINE_METRICS`: those the band plots,
the comparison overlays and the report draw); ``bands="all"`` (``dcsim run --bands all``)
sends back every timeline metric. Either way a replication's tranche dates and KPIs are
complete. Memory is bounded in bytes, not counts: the kept timelines by `KEEP_BYTES`, the
replications a task sends back at once by `CHUNK_BYTES`, and the percentiles are computed a
block of cells at a time, so a run's peak memory does not grow with its replications.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.analysis.criticality import critical_stages, criticality_summary, criticality_table
from sim.analysis.kpis import DATE_KPIS, KPI_COLUMNS, kpi_row
from sim.analysis.records import level_rows
from sim.analysis.runmoney import run_money
from sim.analysis.steps import row_grid
from sim.analysis.timeline import compute_arrays, timeline_columns, with_datetimes
from sim.engine import Random, apply_status, build_plan, simulate
from sim.engine.realize import Streams, realization
from sim.scenario.schema import Scenario

Bands = Literal["headline", "all"]
BANDS: tuple[Bands, ...] = ("headline", "all")
HEADLINE_METRICS = (
    "grid_mw",
    "ready_it_mw",
    "ai_it_mw",
    "facility_mw",
    "gpus_online",
    "revenue_usd",
    "cash_usd",
)
"""The metrics that get bands by default: the ramp-up the band plots draw (grid, halls ready,
AI IT load), GPUs online and revenue (band plots and comparison overlays), and the facility
draw and cash behind the peak-MW and cash KPIs."""
QUANTILES = (10.0, 50.0, 80.0, 90.0)
KEEP_BYTES = 512 * 2**20
"""Memory for the replications' timelines the bands are computed from."""
CHUNK_BYTES = 16 * 2**20
"""At most this many bytes of timelines in one task's answer (and so in flight per task)."""
BLOCK_BYTES = 32 * 2**20
"""Percentiles are computed over blocks of cells of at most this many bytes of kept data."""


def band_metrics(scenario: Scenario, bands: Bands) -> list[str]:
    """The timeline metrics that get percentile bands, in timeline order."""
    columns = timeline_columns(scenario)[2:]
    return columns if bands == "all" else [c for c in columns if c in HEADLINE_METRICS]


def replication_bytes(scenario: Scenario, bands: Bands) -> int:
    """The bytes of one replication's band timelines (float32 metric x site x date)."""
    info = scenario.scenario
    dates, _ = row_grid(info.start, info.end, info.step)
    return 4 * len(band_metrics(scenario, bands)) * (len(scenario.sites) + 1) * len(dates)


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
    critical: dict[str, str] = field(default_factory=dict)
    """``<contract>.tranche_<n>`` -> the stage that set its fill date (`critical_stages`)."""


def replicate(
    scenario: Scenario,
    seed: int,
    index: int,
    bands: Bands = "headline",
    lap: Callable[[str], object] | None = None,
) -> Replication:
    """Run replication ``index`` of ``scenario`` under root seed ``seed``; its timelines are
    those of the ``bands`` metrics (see `band_metrics`). ``lap``, when given, is called with
    the name of each stage as it ends (the benchmark's profile of one replication)."""
    done = lap or _no_lap
    try:
        streams = Streams(seed, index)
        concrete, draws, copied = realization(scenario, streams)
        done("realize")
        plan = apply_status(build_plan(concrete, copied), concrete)
        done("plan")
        recorder = simulate(plan, Random(streams))
        done("simulate")
        rows = level_rows(recorder, list(concrete.sites))
        metrics = band_metrics(concrete, bands)
        money = run_money(concrete, recorder)  # shared by the weekly and monthly arrays
        wanted = {*metrics, *KPI_COLUMNS}
        arrays = compute_arrays(concrete, recorder, rows=rows, only=wanted, money=money)
        done("tables")
        kpis = kpi_row(concrete, recorder, arrays, rows, money=money)
        kpis.update({f"input.{k}": v for k, v in draws.items()})
        critical = critical_stages(concrete, recorder)
        done("kpis")
        packed = np.stack([arrays.columns[c] for c in metrics]).astype(np.float32)
        done("pack")
        return Replication(index, packed, kpis, critical)
    except Exception as exc:
        raise ReplicationError(
            f"replication {index} (seed {seed}) failed: {type(exc).__name__}: {exc}; "
            f"reproduce with sim.montecarlo.replications.replicate(scenario, {seed}, {index})"
        ) from exc


def _no_lap(stage: str) -> None:
    pass


def run_chunk(
    scenario: Scenario, seed: int, indices: list[int], bands: Bands = "headline"
) -> list[Replication]:
    """Several replications in one task (amortizes the cost of shipping the scenario).

    While they run, the objects alive before them (modules, the scenario) are frozen out of
    the garbage collector's scans (`gc.freeze`), which saves about a tenth of a
    replication's time; they are unfrozen after, unless the caller had frozen some itself."""
    frozen = gc.get_freeze_count() == 0
    if frozen:
        gc.freeze()
    try:
        return [replicate(scenario, seed, i, bands) for i in indices]
    finally:
        if frozen:
            gc.unfreeze()


@dataclass
class Aggregator:
    """Takes replications in index order; keeps the timelines that fit in `KEEP_BYTES` and
    every replication's KPI row."""

    seed: int
    keep_bytes: int = KEEP_BYTES
    _kept: list[np.ndarray] = field(default_factory=list)
    _low: np.ndarray | None = None
    _high: np.ndarray | None = None
    """The least and greatest bit pattern of each cell over the kept timelines."""
    _sum: np.ndarray | None = None
    _count: int = 0
    rows: list[dict[str, float]] = field(default_factory=list)
    critical: list[dict[str, str]] = field(default_factory=list)

    def add(self, rep: Replication) -> None:
        if rep.index != self._count:
            raise ValueError(f"replication {rep.index} arrived out of order")
        metrics = rep.metrics.astype(np.float64)
        self._sum = metrics if self._sum is None else self._sum + metrics
        if (len(self._kept) + 1) * rep.metrics.nbytes <= self.keep_bytes or not self._kept:
            self._kept.append(rep.metrics)
            bits = _bits(rep.metrics)
            if self._low is None or self._high is None:
                self._low, self._high = bits.copy(), bits.copy()
            else:
                np.minimum(self._low, bits, out=self._low)
                np.maximum(self._high, bits, out=self._high)
        self._count += 1
        self.rows.append({"replication": rep.index, "seed": self.seed, **rep.kpis})
        self.critical.append(rep.critical)

    @property
    def band_replications(self) -> int:
        """How many replications the bands are computed from."""
        return len(self._kept)

    def percentiles(self) -> tuple[np.ndarray, np.ndarray]:
        """(the `QUANTILES` stacked, mean), each shaped like one replication's metrics.

        Computed a block of cells at a time (each cell's percentiles depend on that cell
        only), so the kept timelines are never copied whole. A block holds each cell's
        values side by side in memory (cell x replication), where partitioning them is a
        third faster than across replications (replication x cell).

        A cell whose kept values are all one finite number, bit for bit (most cells of a
        study: before the first milestone, after the last), has that number for every
        percentile, exactly as `np.percentile` gives it (which differs only for -0.0 and
        infinities: those cells are computed)."""
        assert self._sum is not None
        assert self._low is not None
        assert self._high is not None
        kept = len(self._kept)
        shape = self._kept[0].shape
        flat = [k.reshape(-1) for k in self._kept]
        value = flat[0].astype(np.float64)
        same = (self._low == self._high) & np.isfinite(value) & ~((value == 0) & np.signbit(value))
        out = np.empty((len(QUANTILES), value.size))
        out[:, same] = value[same] * kept / kept
        varying = np.flatnonzero(~same)
        block = max(1, BLOCK_BYTES // (kept * flat[0].itemsize))
        for a in range(0, len(varying), block):
            cells = varying[a : a + block]
            stacked = np.stack([f[cells] for f in flat], axis=1)  # ours: reordered
            q = np.percentile(stacked, QUANTILES, axis=1, overwrite_input=True)
            out[:, cells] = np.sort(q * kept / kept, axis=0)
        return out.reshape(len(QUANTILES), *shape), self._sum / self._count


def _bits(values: np.ndarray) -> np.ndarray:
    """The bit patterns of ``values`` as integers (equal only when bit for bit equal)."""
    return values.reshape(-1).view(np.dtype(f"i{values.itemsize}"))


def chunks(n: int, jobs: int, item_bytes: int = 0) -> list[list[int]]:
    """Replication indices split into tasks: a few per worker, at most 50 per task and at
    most `CHUNK_BYTES` of timelines per task (each replication's are ``item_bytes``)."""
    size = max(1, min(50, math.ceil(n / (jobs * 8)), CHUNK_BYTES // max(item_bytes, 1)))
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
    tornado: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Drivers in days and dollars (`sim.montecarlo.tornado`)."""
    criticality: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per tranche and stage, the share of replications in which that stage set the
    tranche's fill date (`sim.analysis.criticality`)."""


def monte_carlo(
    scenario: Scenario,
    n: int,
    seed: int,
    results: Callable[[list[list[int]]], Iterable[tuple[int, list[Replication]]]],
    chunk_list: list[list[int]],
    progress: Callable[[int], object] | None = None,  # its return value is ignored
    bands: Bands = "headline",
) -> MonteCarlo:
    """Aggregate ``n`` replications produced by ``results`` (an executor's map), whose
    timelines are those of the ``bands`` metrics."""
    aggregator = Aggregator(seed)
    for rep in in_order(results(chunk_list)):
        aggregator.add(rep)
        if progress is not None:
            progress(1)
    quantiles, mean = aggregator.percentiles()
    mc = assemble(scenario, seed, aggregator.rows, quantiles, mean, aggregator.critical, bands)
    if aggregator.band_replications < n:
        mc.summary["bands"] = band_note(aggregator.band_replications)
    return mc


def band_note(kept: int) -> dict[str, Any]:
    """The summary's note when the bands come from the first ``kept`` replications."""
    return {
        "replications": kept,
        "rank_error_95": {
            f"p{q:g}": round(1.96 * math.sqrt(q / 100 * (1 - q / 100) / kept), 4) for q in QUANTILES
        },
        "note": "timeline bands from the first replications that fit in memory; tranche "
        "dates and KPIs from all",
    }


def assemble(
    scenario: Scenario,
    seed: int,
    rows: list[dict[str, float]],
    quantiles: np.ndarray,
    mean: np.ndarray,
    critical: Sequence[dict[str, str]] = (),
    bands: Bands = "headline",
) -> MonteCarlo:
    """The Monte Carlo tables and summary from the aggregated arrays (of the ``bands``
    metrics), KPI rows and critical stages."""
    from sim.montecarlo.summary import drivers_table, mc_summary, on_time_table, percentile_table
    from sim.montecarlo.tornado import tornado_summary, tornado_table

    start = scenario.scenario.start
    reps = pd.DataFrame(rows)
    day_columns = [c for c in reps.columns if c.endswith(tuple(f".{k}" for k in DATE_KPIS))]
    for column in day_columns:
        reps[column] = pd.Timestamp(start) + pd.to_timedelta(reps[column], unit="D")
    metrics = band_metrics(scenario, bands)
    percentiles = percentile_table(scenario, quantiles, mean, metrics)
    on_time = on_time_table(scenario, reps)
    drivers = drivers_table(reps)
    summary = mc_summary(scenario, seed, reps, on_time, drivers)
    percentiles = with_datetimes(percentiles, ["date"])
    dates = ["due", "p10", "p50", "p80", "p90"]
    dates += ["due_revised"] if "due_revised" in on_time else []
    on_time = with_datetimes(on_time, dates)
    tornado = tornado_table(reps, start, scenario.scenario.end)
    summary["tornado"] = tornado_summary(tornado)
    summary["band_metrics"] = {"set": bands, "metrics": metrics}
    criticality = criticality_table(scenario, critical)
    summary["criticality"] = criticality_summary(criticality)
    return MonteCarlo(
        scenario, seed, reps, percentiles, on_time, drivers, summary, tornado, criticality
    )
