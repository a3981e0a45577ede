"""Leave-one-out backtest of the priors on their own records: each record is forecast by its
kind's prior fitted without it (a kind left too thin takes the pooled prior), and the
forecasts are scored as a planning team scores its own (see `sim.calibration.score`).

The forecast of a record is its fitted normal slip, not floored: the milestone's date may
come early, and P(on time) is the probability of a slip of zero days or less.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd

from sim.calibration.fit import POOLED, fit_priors
from sim.calibration.records import Record
from sim.calibration.score import Outcome, score


def _outcome(record: Record) -> Outcome:
    earliest = record.deadline + dt.timedelta(days=record.lo)
    if record.censored:
        return Outcome(earliest + dt.timedelta(days=1), None)
    return Outcome(earliest, record.deadline + dt.timedelta(days=record.hi))


def leave_one_out(
    records: Sequence[Record],
) -> tuple[pd.DataFrame, dict[tuple[str, int], Outcome], list[str]]:
    """The forecast of every record from the priors fitted without it, the outcomes, and
    the prior each forecast used."""
    rows: list[dict[str, Any]] = []
    used = []
    for i, record in enumerate(records):
        fits = fit_priors([r for j, r in enumerate(records) if j != i])
        fit = fits.get(record.kind, fits[POOLED])
        name = fit.name if not fit.pooled or fit.name == POOLED else f"{fit.name} (pooled)"
        used.append(name)
        row: dict[str, Any] = {"contract": record.id, "tranche": 1, "due": record.deadline}
        for p in (10, 50, 80, 90):
            row[f"p{p}"] = record.deadline + dt.timedelta(days=round(fit.quantile(p / 100)))
        row["p_on_time"] = fit.cdf(0.0)
        rows.append(row)
    forecast = pd.DataFrame(rows)
    return forecast, {(r.id, 1): _outcome(r) for r in records}, used


def backtest(records: Sequence[Record]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The leave-one-out scores of ``records`` (per record, with the prior used) and overall."""
    forecast, outcomes, used = leave_one_out(records)
    table, overall = score(forecast, outcomes)
    table.insert(1, "prior", used)
    return table.drop(columns="tranche").rename(columns={"contract": "record"}), overall
