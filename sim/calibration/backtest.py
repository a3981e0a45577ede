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

from sim.calibration.fit import POOLED, fit_priors, too_few
from sim.calibration.records import Record
from sim.calibration.score import Outcome, score
from sim.errors import Problem, ScenarioError


def _outcome(record: Record) -> Outcome:
    earliest = record.deadline + dt.timedelta(days=record.lo)
    if record.censored:
        return Outcome(earliest + dt.timedelta(days=1), None)
    return Outcome(earliest, record.deadline + dt.timedelta(days=record.hi))


MIN_RECORDS = 3
"""Records with an actual date or range a backtest needs: each is forecast from a fit to the
others, and a fit needs two (a centre and a spread)."""


def leave_one_out(
    records: Sequence[Record], source: str = "(records)"
) -> tuple[pd.DataFrame, dict[tuple[str, int], Outcome], list[str]]:
    """The forecast of every record from the priors fitted without it, the outcomes, and
    the prior each forecast used (``source`` names the records in errors)."""
    bounded = sum(not r.censored for r in records)
    if bounded < MIN_RECORDS:
        raise ScenarioError(
            [
                Problem(
                    source,
                    None,
                    "(backtest)",
                    f"{too_few(len(records), bounded)} for a leave-one-out backtest: each "
                    "record is forecast from a fit to the others, so it needs at least "
                    f"{MIN_RECORDS} with an actual date or range",
                    "add records with an actual date or range",
                )
            ]
        )
    rows: list[dict[str, Any]] = []
    used = []
    problems: list[Problem] = []
    for i, record in enumerate(records):
        try:
            fits = fit_priors([r for j, r in enumerate(records) if j != i], source)
        except ScenarioError as exc:
            problems += [
                Problem(
                    source,
                    record.line,
                    "(backtest)",
                    f"with record {record.id} left out, the others cannot be fitted: {p.message}",
                    p.hint,
                )
                for p in exc.problems
            ]
            continue
        fit = fits.get(record.kind, fits[POOLED])
        name = fit.name if not fit.pooled or fit.name == POOLED else f"{fit.name} (pooled)"
        used.append(name)
        row: dict[str, Any] = {"contract": record.id, "tranche": 1, "due": record.deadline}
        for p in (10, 50, 80, 90):
            row[f"p{p}"] = record.deadline + dt.timedelta(days=round(fit.quantile(p / 100)))
        row["p_on_time"] = fit.cdf(0.0)
        rows.append(row)
    if problems:
        raise ScenarioError(problems)
    forecast = pd.DataFrame(rows)
    return forecast, {(r.id, 1): _outcome(r) for r in records}, used


def backtest(
    records: Sequence[Record], source: str = "(records)"
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The leave-one-out scores of ``records`` (per record, with the prior used) and overall
    (``source`` names the records in errors)."""
    forecast, outcomes, used = leave_one_out(records, source)
    table, overall = score(forecast, outcomes)
    table.insert(1, "prior", used)
    return table.drop(columns="tranche").rename(columns={"contract": "record"}), overall
