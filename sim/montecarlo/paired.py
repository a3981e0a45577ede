"""What a comparison with replications shows: each run's tranche dates at P50 and P80 with
their on-time probabilities, and the paired deltas of the KPIs against the base.

Replication i of a variant and replication i of the base share their random numbers, so
delta_i = variant_i - base_i measures the change, not the noise. Dates are compared in days
(a date not reached in the horizon counts as the day after the horizon's end); money in US
dollars. A delta within `TIE` of zero is a tie: neither better nor worse. A KPI whose deltas
are all ties is "same".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario.schema import Scenario

TIE = {"days": 0.5, "usd": 0.005}
"""Deltas this close to zero are ties: under half a day, under a cent."""
TIE_OTHER = 1e-9
EPOCH = dt.date(1970, 1, 1)

TRANCHE_COLUMNS = [
    "variant",
    "contract",
    "tranche",
    "due",
    "p_on_time",
    "p50",
    "p80",
]
RISK_COLUMNS = [
    "variant",
    "kpi",
    "unit",
    "better_when",
    "base_p50",
    "p50",
    "delta_p10",
    "delta_p50",
    "delta_p90",
    "p_better",
    "p_same",
    "p_worse",
    "verdict",
]
LOWER_IS_BETTER = ("full_delivery", "delivered", "slip_days", "idle_mw_days", "rack_days_waiting")
HIGHER_IS_BETTER = ("revenue_usd", "gpu_months", "cash_usd", "npv_usd")


def _days(values: pd.Series, start: dt.date, missing: float) -> np.ndarray:
    """Days since ``start`` of a column of dates; ``missing`` where none was reached."""
    if values.dtype.kind != "M":
        return values.to_numpy(dtype=float)
    days = ((values - pd.Timestamp(start)) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    return np.where(np.isnan(days), missing, days)


def tranche_table(name: str, on_time: pd.DataFrame) -> pd.DataFrame:
    """One run's tranches from its on-time table: due date, P(on time), P50 and P80
    delivery dates (observed dates; None when that share of replications did not deliver
    in the horizon)."""
    out = on_time[["contract", "tranche", "due", "p_on_time", "p50", "p80"]].copy()
    for column in ("due", "p50", "p80"):
        out[column] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in out[column]]
    out.insert(0, "variant", name)
    return out[TRANCHE_COLUMNS].reset_index(drop=True)


UNITS = {
    "idle_mw_days": "MW-days",
    "rack_days_waiting": "rack-days",
    "gpu_months": "GPU-months",
    "peak_facility_mw": "MW",
}


def unit_of(kpi: str) -> str:
    """What a KPI's delta is counted in: days (dates and slips), usd, or its own unit."""
    if kpi.endswith(("full_delivery", "delivered", "slip_days")):
        return "days"
    if kpi.endswith("_usd"):
        return "usd"
    return UNITS.get(kpi.rsplit(".", 1)[-1], "value")


def _p50(values: np.ndarray, unit: str) -> float | str | None:
    """The median; for dates, the observed date (None: not reached in the horizon)."""
    if unit != "days":
        return float(np.percentile(values, 50))
    day = float(np.percentile(values, 50, method="inverted_cdf"))
    return (EPOCH + dt.timedelta(days=int(day))).isoformat()


def direction(kpi: str) -> int:
    """-1 when lower is better, +1 when higher is better, 0 when neither."""
    if kpi.endswith(LOWER_IS_BETTER):
        return -1
    if kpi.endswith(HIGHER_IS_BETTER):
        return 1
    return 0


def paired_row(kpi: str, a: np.ndarray, b: np.ndarray) -> dict[str, object] | None:
    """The paired comparison of one KPI, from its values in the variant's replications
    (``a``) and the base's (``b``), dates as days; None when it has no values to compare."""
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    if not len(a):
        return None
    unit = unit_of(kpi)
    delta = a - b
    sign = direction(kpi)
    tie = np.abs(delta) <= TIE.get(unit, TIE_OTHER)
    better = float(((sign * delta) > 0)[~tie].sum() / len(delta)) if sign else None
    worse = float(((sign * delta) < 0)[~tie].sum() / len(delta)) if sign else None
    same = float(tie.mean())
    method: Any = "inverted_cdf" if unit == "days" else "linear"  # dates: observed whole days
    p10, p50, p90 = (float(x) for x in np.percentile(delta, [10, 50, 90], method=method))
    if same == 1.0:
        verdict = "same"
    elif better is None or worse is None:
        verdict = "differs"
    else:
        verdict = "better" if better > worse else "worse" if worse > better else "mixed"
    return {
        "kpi": kpi,
        "unit": unit,
        "better_when": {1: "higher", -1: "lower"}.get(sign, ""),
        "base_p50": _p50(b, unit),
        "p50": _p50(a, unit),
        "delta_p10": p10,
        "delta_p50": p50,
        "delta_p90": p90,
        "p_better": better,
        "p_same": same,
        "p_worse": worse,
        "verdict": verdict,
    }


def risk_table(
    name: str, runs: tuple[Scenario, Scenario], variant: pd.DataFrame, base: pd.DataFrame
) -> pd.DataFrame:
    """Paired deltas of every KPI the variant and the base share that is better one way
    (dates in days, money in USD): P10/P50/P90, P(better), P(same), P(worse) and a verdict.
    ``runs`` are the (variant, base) scenarios; a date not reached in a run's horizon counts
    as the day after its end."""
    missing = [float((s.scenario.end - EPOCH).days + 1) for s in runs]
    rows = []
    for kpi in variant.columns:
        if kpi in ("replication", "seed") or kpi.startswith("input.") or kpi not in base:
            continue
        if not direction(kpi) or kpi.endswith(".slip_days"):  # slips repeat the dates
            continue
        row = paired_row(
            kpi, _days(variant[kpi], EPOCH, missing[0]), _days(base[kpi], EPOCH, missing[1])
        )
        if row is not None:
            rows.append({"variant": name, **row})
    return pd.DataFrame(rows, columns=RISK_COLUMNS)
