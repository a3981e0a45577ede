"""Compare rollout schedules: a base and its variants (or two files), KPI by KPI.

Each run is the plan run; with replications, every run also gets a Monte Carlo under the
same seed, so its replications are paired with the base's (common random numbers) and the
deltas measure the change, not the noise: P10/P50/P90 of the paired delta and the
probability that the variant does better.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.kpis import DATE_KPIS, KPI, direction, kpi_of
from sim.analysis.portfolio import PORTFOLIO
from sim.errors import UsageError
from sim.montecarlo.paired import risk_table, tranche_table
from sim.result import Result
from sim.runner import RunOptions, run
from sim.scenario.loader import Loaded
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Comparison:
    """Runs side by side (the base first) and their KPI table."""

    results: dict[str, Result]
    table: pd.DataFrame
    """One row per run: its KPIs, and each KPI's delta against the base."""
    tranches: pd.DataFrame | None = None
    """With replications: each run's tranches, P(on time) and P50/P80 delivery dates."""
    risk: pd.DataFrame | None = None
    """With replications: one row per variant and KPI, the paired deltas against the base
    (P10/P50/P90 in days or USD), P(better), P(same), P(worse) and a verdict."""

    @property
    def base(self) -> str:
        return next(iter(self.results))


def plan_kpis(summary: dict[str, Any]) -> dict[str, Any]:
    """The KPIs compared, from a run's summary (`sim.analysis.kpis.kpi_row`; dates as ISO text)."""
    start = dt.date.fromisoformat(summary["scenario"]["start"])
    out: dict[str, Any] = {}
    for name, value in summary["kpis"].items():
        if kpi_of(name) in DATE_KPIS and value is not None:
            value = (start + dt.timedelta(days=int(value))).isoformat()
        out[name] = value
    out[KPI.IRR] = summary["finance"]["sites"][PORTFOLIO]["irr"]
    return out


def _delta(value: Any, base: Any) -> float | None:
    if value is None or base is None:
        return None
    if isinstance(value, str):  # ISO dates: the difference in days
        return float((dt.date.fromisoformat(value) - dt.date.fromisoformat(base)).days)
    return float(value) - float(base)


def paired(variant: pd.DataFrame, base: pd.DataFrame, kpi: str) -> dict[str, float | None]:
    """Paired deltas of one KPI across replications: P10/P50/P90 and P(variant better)
    (None when no replication has the KPI in both runs, e.g. a date never reached)."""
    missing = [side for side, table in (("variant", variant), ("base", base)) if kpi not in table]
    if missing:
        raise KeyError(f"KPI {kpi!r} missing from the {' and '.join(missing)} replications")
    a, b = variant[kpi], base[kpi]
    if a.dtype.kind == "M":
        horizon = max(a.max(), b.max())  # not delivered in the horizon: after its end
        a = (a.fillna(horizon + pd.Timedelta(days=1)) - pd.Timestamp(0)).dt.days.astype(float)
        b = (b.fillna(horizon + pd.Timedelta(days=1)) - pd.Timestamp(0)).dt.days.astype(float)
    delta = (a - b).to_numpy(dtype=float)
    delta = delta[~np.isnan(delta)]
    sign = direction(kpi)
    p10: float | None
    p50: float | None
    p90: float | None
    better: float | None
    tie = np.abs(delta) <= (0.005 if kpi.endswith("_usd") else 1e-9)  # ties: under a cent
    if len(delta):
        p10, p50, p90 = (float(p) for p in np.percentile(delta, [10, 50, 90]))
        better = float(((sign * delta > 0) & ~tie).mean()) if sign else None
    else:
        p10 = p50 = p90 = better = None
    return {
        f"{kpi}.delta_p10": p10,
        f"{kpi}.delta_p50": p50,
        f"{kpi}.delta_p90": p90,
        f"{kpi}.p_better": better,
        f"{kpi}.p_same": float(tie.mean()) if len(delta) else None,
    }


def compare(runs: Mapping[str, Loaded | Scenario], options: RunOptions | None = None) -> Comparison:
    """Run each scenario (the first is the base) with the same ``options`` and tabulate KPIs
    and deltas: ``sim.compare({"6 crews": s, "4 crews": s.with_overrides({...})})``."""
    if not isinstance(runs, Mapping) or not runs:
        got = "no runs" if isinstance(runs, Mapping) else type(runs).__name__
        raise UsageError(
            "compare takes the runs by name, the base first: "
            f"{{'base': scenario, 'fewer crews': other}} (got {got})"
        )
    results = {
        name: run(loaded, options=options or RunOptions(), label=name, since=False)
        for name, loaded in runs.items()
    }
    base_name = next(iter(results))
    base = plan_kpis(results[base_name].summary)
    rows = []
    for name, result in results.items():
        kpis = plan_kpis(result.summary)
        row: dict[str, Any] = {"variant": name}
        for kpi, value in kpis.items():
            row[kpi] = value
            row[f"{kpi}.delta"] = _delta(value, base.get(kpi))
        if result.monte_carlo is not None:
            mine = result.monte_carlo.replications
            theirs = results[base_name].monte_carlo.replications  # type: ignore[union-attr]
            for kpi in kpis:
                # a KPI of one file only (another contract) has no pair; the IRR is the plan's
                if kpi in base and kpi != KPI.IRR:
                    row.update(paired(mine, theirs, kpi))
        rows.append(row)
    tranches, risk = _risk(results)
    return Comparison(results, pd.DataFrame(rows), tranches, risk)


def _risk(results: dict[str, Result]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """With replications: every run's tranche table and each variant's paired risk table."""
    base_name = next(iter(results))
    base = results[base_name]
    if base.monte_carlo is None:
        return None, None
    tranches, risks = [], []
    for name, result in results.items():
        mc = result.monte_carlo
        assert mc is not None  # every run has the same options
        tranches.append(tranche_table(name, mc.on_time))
        if name != base_name:
            scenarios = (result.scenario, base.scenario)
            risks.append(
                risk_table(name, scenarios, mc.replications, base.monte_carlo.replications)
            )
    risk = pd.concat(risks, ignore_index=True) if risks else None
    return pd.concat(tranches, ignore_index=True), risk
