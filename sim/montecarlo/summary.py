"""Monte Carlo tables from the aggregate: percentile bands, on-time probabilities, drivers,
and the summary's distributions."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.kpis import PORTFOLIO_KPIS
from sim.analysis.portfolio import PORTFOLIO
from sim.analysis.revised import reports_revisions, revised_due
from sim.analysis.steps import date_grid
from sim.analysis.timeline import timeline_columns
from sim.scenario.amendments import all_tranches, windows
from sim.scenario.schema import Scenario

TOP_DRIVERS = 10


def percentile_table(
    scenario: Scenario, quantiles: np.ndarray, mean: np.ndarray, metrics: list[str] | None = None
) -> pd.DataFrame:
    """Long table: date, site, metric, p10, p50, p80, p90, mean; ``metrics`` are those the
    arrays hold (default: every timeline metric)."""
    info = scenario.scenario
    dates = date_grid(info.start, info.end, info.step)
    if metrics is None:
        metrics = timeline_columns(scenario)[2:]
    sites = [*scenario.sites, PORTFOLIO]
    shape = mean.shape  # (metric, site, date)
    index = np.indices(shape).reshape(3, -1)
    return pd.DataFrame(
        {
            "date": np.array(dates, dtype=object)[index[2]],
            "site": np.array(sites, dtype=object)[index[1]],
            "metric": np.array(metrics, dtype=object)[index[0]],
            "p10": quantiles[0].reshape(-1),
            "p50": quantiles[1].reshape(-1),
            "p80": quantiles[2].reshape(-1),
            "p90": quantiles[3].reshape(-1),
            "mean": mean.reshape(-1),
        }
    )


DATE_QUANTILES = (10, 50, 80, 90)
"""The percentiles of every date: P80 is the usual commitment level."""


def _date_quantiles(values: pd.Series) -> list[dt.date | None]:
    """P10/P50/P80/P90 of dates, as observed dates (exact order statistics over every
    replication); not reached in the horizon counts as latest."""
    days = ((values - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    days = np.where(np.isnan(days), np.inf, days)
    out: list[dt.date | None] = []
    for q in DATE_QUANTILES:
        d = float(np.percentile(days, q, method="inverted_cdf"))
        out.append(None if math.isinf(d) else dt.date(1970, 1, 1) + dt.timedelta(days=int(d)))
    return out


def on_time_table(scenario: Scenario, reps: pd.DataFrame) -> pd.DataFrame:
    """Per contract tranche: due date, probability delivered by then, P10/P50/P80/P90 dates.
    A tranche an amendment removed before it was due is never late: its probability is that
    it was delivered before it was removed."""
    rows = []
    for name, contract in scenario.contracts.items():
        spans = windows(contract)
        for i, tranche in enumerate(all_tranches(contract)):
            prefix = f"{name}.tranche_{i + 1}"
            slip = reps[f"{prefix}.slip_days"]
            p10, p50, p80, p90 = _date_quantiles(reps[f"{prefix}.delivered"])
            closes = spans[i].closes
            never_due = closes is not None and closes <= tranche.due
            rows.append(
                {
                    "contract": name,
                    "tranche": i + 1,
                    "due": tranche.due,
                    # not delivered counts as late
                    "p_on_time": float((slip.notna() if never_due else slip <= 0).mean()),
                    "p10": p10,
                    "p50": p50,
                    "p80": p80,
                    "p90": p90,
                }
            )
            if reports_revisions(scenario):
                revised = reps[f"{prefix}.slip_revised_days"]
                rows[-1]["due_revised"] = revised_due(scenario, name, i)
                rows[-1]["slip_revised_days"] = float(revised.median())
                rows[-1]["p_on_time_revised"] = float((revised <= 0).mean())
    columns = ["contract", "tranche", "due", "p_on_time", "p10", "p50", "p80", "p90"]
    if reports_revisions(scenario):
        columns += ["due_revised", "slip_revised_days", "p_on_time_revised"]
    return pd.DataFrame(rows, columns=columns)


def drivers_table(reps: pd.DataFrame) -> pd.DataFrame:
    """Spearman rank correlation of each uncertain input with each contract's full-delivery
    date and with revenue in the horizon (never delivered ranks as latest)."""
    inputs = [c for c in reps.columns if c.startswith("input.")]
    targets = [c for c in reps.columns if c.endswith(".full_delivery")] + ["revenue_usd"]
    rows: list[dict[str, str | float]] = []
    if len(reps) < 3 or not inputs:
        return pd.DataFrame(rows, columns=["kpi", "input", "spearman"])
    ranked_inputs = reps[inputs].rank()
    for target in targets:
        values = reps[target]
        if values.dtype.kind == "M":
            days = (values - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
            values = days.fillna(np.inf)
        ranks = values.rank()
        for column in inputs:
            rho = ranked_inputs[column].corr(ranks)
            if not math.isnan(rho):
                rows.append({"kpi": target, "input": column, "spearman": float(rho)})
    table = pd.DataFrame(rows, columns=["kpi", "input", "spearman"])
    order = table.assign(strength=table["spearman"].abs()).sort_values(
        ["kpi", "strength", "input"], ascending=[True, False, True], kind="stable"
    )
    return order.drop(columns="strength").reset_index(drop=True)


def _stats(values: pd.Series) -> dict[str, float | None]:
    v = values.to_numpy(dtype=float)
    v = v[~np.isnan(v)]
    if not len(v):
        return {"p10": None, "p50": None, "p80": None, "p90": None, "mean": None}
    p10, p50, p80, p90 = np.percentile(v, [10, 50, 80, 90])
    return {
        "p10": float(p10),
        "p50": float(p50),
        "p80": float(p80),
        "p90": float(p90),
        "mean": float(v.mean()),
    }


def _revised(row: Mapping[Hashable, Any]) -> dict[str, Any]:
    """The revised-due columns of an on-time row, when the run reports them."""
    if "due_revised" not in row:
        return {}
    slip = row["slip_revised_days"]
    return {
        "due_revised": row["due_revised"].isoformat(),
        "slip_revised_days": None if math.isnan(slip) else slip,
        "p_on_time_revised": row["p_on_time_revised"],
    }


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d is not None else None


def mc_summary(
    scenario: Scenario, seed: int, reps: pd.DataFrame, on_time: pd.DataFrame, drivers: pd.DataFrame
) -> dict[str, Any]:
    """JSON-ready distributions of the KPIs."""
    contracts: dict[str, Any] = {}
    for name, contract in scenario.contracts.items():
        mine = on_time[on_time["contract"] == name]
        full = reps[f"{name}.full_delivery"]
        spans = windows(contract)
        last_due = max(
            [
                t.due
                for t, w in zip(all_tranches(contract), spans, strict=True)
                if w.closes is None or w.closes > t.due
            ]
            or [contract.tranches[0].due]
        )
        p10, p50, p80, p90 = _date_quantiles(full)
        contracts[name] = {
            "full_delivery": {
                "p10": _iso(p10),
                "p50": _iso(p50),
                "p80": _iso(p80),
                "p90": _iso(p90),
            },
            # never complete in the horizon (NaT) is a normal outcome: not by the last due date;
            # as timestamps, so that a column of NaT only (no replication delivers) compares
            "p_full_delivery_by_last_due": float(
                (pd.to_datetime(full) <= pd.Timestamp(last_due)).mean()
            ),
            "p_delivered_in_horizon": float(full.notna().mean()),
            "tranches": [
                {
                    "tranche": int(r["tranche"]),
                    "due": r["due"].isoformat(),
                    "p_on_time": r["p_on_time"],
                    "p10": _iso(r["p10"]),
                    "p50": _iso(r["p50"]),
                    "p80": _iso(r["p80"]),
                    "p90": _iso(r["p90"]),
                    **_revised(r),
                }
                for r in mine.to_dict("records")
            ],
            "revenue_usd": _stats(reps[f"{name}.revenue_usd"]),
            "npv_usd": _stats(reps[f"{name}.npv_usd"]),
        }
    top = {
        kpi: [
            {"input": r["input"].removeprefix("input."), "spearman": r["spearman"]}
            for r in rows.head(TOP_DRIVERS).to_dict("records")
        ]
        for kpi, rows in drivers.groupby("kpi", sort=True)
    }
    return {
        "replications": len(reps),
        "seed": seed,
        "contracts": contracts,
        "portfolio": {k: _stats(reps[k]) for k in PORTFOLIO_KPIS},
        "drivers": top,
    }
