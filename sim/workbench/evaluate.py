"""One point of a sweep or a search: run the scenario there (the plan run and, with
replications, a Monte Carlo under the shared seed) and reduce it to one tidy row.

Every point runs under the same seed, so replication i of every point draws the same random
numbers for the inputs they share (common random numbers): the differences between points
are the changes, not the noise.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.kpis import PORTFOLIO_KPIS
from sim.compare import plan_kpis
from sim.runner import RunOptions, run
from sim.scenario.schema import Scenario
from sim.scenario.topology import tranches

DATE_QUANTILES = (50, 80)
"""The delivery-date percentiles in a row: P50 and P80 (a planner's commit date)."""
MEANS = tuple(str(k) for k in PORTFOLIO_KPIS)
"""The portfolio KPIs whose means over the replications a row holds."""


@dataclass(frozen=True)
class Evaluation:
    """A point's row and its replications' KPI table (None without replications)."""

    point: dict[str, Any]
    row: dict[str, Any]
    replications: pd.DataFrame | None


def evaluate(scenario: Scenario, point: dict[str, Any], options: RunOptions) -> Evaluation:
    """Run ``scenario`` (already at ``point``) and tabulate: the point's values, every plan
    KPI, and with replications each tranche's P(on time) and P50/P80 dates, each contract's
    P50/P80 full delivery, and the portfolio KPIs' means."""
    result = run(scenario, options=options)
    row: dict[str, Any] = {key: plain(value) for key, value in point.items()}
    row.update({f"plan.{k}": v for k, v in plan_kpis(result.summary).items()})
    mc = result.monte_carlo
    reps = None
    if mc is not None:
        reps = mc.replications
        row["replications"] = len(reps)
        row.update(distribution_columns(scenario, reps))
    return Evaluation(dict(point), row, reps)


def distribution_columns(scenario: Scenario, reps: pd.DataFrame) -> dict[str, Any]:
    """The Monte Carlo columns of a row, from the replications' KPI table."""
    out: dict[str, Any] = {}
    for name, contract in scenario.contracts.items():
        for i in range(len(tranches(contract))):
            prefix = f"{name}.tranche_{i + 1}"
            out[f"{prefix}.p_on_time"] = float((reps[f"{prefix}.slip_days"] <= 0).mean())
            for q, day in zip(
                DATE_QUANTILES, date_quantiles(reps[f"{prefix}.delivered"]), strict=True
            ):
                out[f"{prefix}.p{q}"] = day
        full = date_quantiles(reps[f"{name}.full_delivery"])
        for q, day in zip(DATE_QUANTILES, full, strict=True):
            out[f"{name}.full_delivery.p{q}"] = day
        out[f"{name}.revenue_usd.mean"] = float(reps[f"{name}.revenue_usd"].mean())
    for kpi in MEANS:
        out[f"{kpi}.mean"] = float(reps[kpi].mean())
    return out


def date_quantiles(values: pd.Series) -> list[str | None]:
    """P50 and P80 of dates, as observed dates (ISO text); a replication that never delivers
    in the horizon counts as the latest, and a percentile that falls there is None."""
    days = ((values - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    days = np.where(np.isnan(days), np.inf, days)
    out: list[str | None] = []
    for q in DATE_QUANTILES:
        d = float(np.percentile(days, q, method="inverted_cdf"))
        out.append(
            None if math.isinf(d) else (dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).isoformat()
        )
    return out


def plain(value: Any) -> Any:
    """A value for a table cell: dates as ISO text, mappings and lists as compact text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return str(value)
    return value
