"""Drivers in days and dollars: a tornado of what each uncertain input moves an outcome by.

For each outcome (a contract's full-delivery date, in days; revenue in the horizon, in USD)
and each uncertain input, the replications are split by the input's own value: the low
group has the input at or below its P10, the high group at or above its P90. The swing is
the outcome's P50 in the high group minus its P50 in the low group: how many days (or
dollars) the input moves the outcome between its P10 and its P90, everything else varying
as it does. Dates are in days since the scenario's start; a date never reached in the
horizon counts as the day after the horizon ends.

The filter rule: an input is shown for an outcome only when its Spearman rank correlation
with the outcome is at least 3 / sqrt(n) in size (n replications; a pure-noise input passes
this about 3 times in 1,000) and its swing is at least 1 day, or at least 0.1% of the
outcome's overall P50 for dollars. The rest are dropped as not mattering.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

TORNADO_COLUMNS = [
    "kpi",
    "unit",
    "input",
    "p50_at_input_p10",
    "p50_at_input_p90",
    "swing",
    "spearman",
]
NOISE_SIGMAS = 3.0
"""An input is kept when |Spearman| >= NOISE_SIGMAS / sqrt(n)."""
MIN_DAYS = 1.0
MIN_SHARE_OF_DOLLARS = 0.001


def _outcome(values: pd.Series, start: dt.date, end: dt.date) -> tuple[np.ndarray, str]:
    """Days since ``start`` (never reached: the day after ``end``) or dollars."""
    if values.dtype.kind == "M":
        days = (values - pd.Timestamp(start)) / pd.Timedelta(days=1)
        return days.fillna((end - start).days + 1).to_numpy(dtype=float), "days"
    return values.to_numpy(dtype=float), "usd"


def _row(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(P50 of y with x at or below its P10, P50 with x at or above its P90, Spearman)."""
    lo, hi = np.percentile(x, [10, 90], method="inverted_cdf")
    low = float(np.percentile(y[x <= lo], 50, method="inverted_cdf"))
    high = float(np.percentile(y[x >= hi], 50, method="inverted_cdf"))
    rho = pd.Series(x).rank().corr(pd.Series(y).rank())
    return low, high, float(rho)


def tornado_table(reps: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The kept inputs per outcome, largest swing first (see the module's filter rule)."""
    inputs = [c for c in reps.columns if c.startswith("input.")]
    targets = [c for c in reps.columns if c.endswith(".full_delivery")] + ["revenue_usd"]
    n = len(reps)
    rows: list[dict[str, Any]] = []
    if n < 10 or not inputs:
        return pd.DataFrame(rows, columns=TORNADO_COLUMNS)
    for target in [t for t in targets if t in reps]:
        y, unit = _outcome(reps[target], start, end)
        floor = MIN_DAYS if unit == "days" else MIN_SHARE_OF_DOLLARS * abs(float(np.median(y)))
        for column in inputs:
            low, high, rho = _row(reps[column].to_numpy(dtype=float), y)
            swing = high - low
            if math.isnan(rho) or abs(rho) < NOISE_SIGMAS / math.sqrt(n) or abs(swing) < floor:
                continue
            rows.append(
                {
                    "kpi": target,
                    "unit": unit,
                    "input": column,
                    "p50_at_input_p10": low,
                    "p50_at_input_p90": high,
                    "swing": swing,
                    "spearman": rho,
                }
            )
    table = pd.DataFrame(rows, columns=TORNADO_COLUMNS)
    order = table.assign(size=table["swing"].abs()).sort_values(
        ["kpi", "size", "input"], ascending=[True, False, True], kind="stable"
    )
    return order.drop(columns="size").reset_index(drop=True)


RULE = (
    f"kept when |Spearman| >= {NOISE_SIGMAS:g}/sqrt(n) and the swing is at least "
    f"{MIN_DAYS:g} day (dates) or {100 * MIN_SHARE_OF_DOLLARS:g}% of the P50 (dollars)"
)


def tornado_summary(tornado: pd.DataFrame, top: int = 10) -> dict[str, Any]:
    """JSON-ready: the filter rule, and per outcome its kept inputs, largest swing first."""
    return {
        "rule": RULE,
        "kpis": {
            str(kpi): [
                {
                    "input": str(r["input"]).removeprefix("input."),
                    "unit": str(r["unit"]),
                    "swing": float(r["swing"]),
                    "spearman": float(r["spearman"]),
                }
                for r in rows.head(top).to_dict("records")
            ]
            for kpi, rows in tornado.groupby("kpi", sort=True)
        },
    }
