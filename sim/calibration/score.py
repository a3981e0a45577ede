"""Keep score of forecasts: per milestone, the forecast P10/P50/P80/P90 against what happened.

A forecast is the `on_time.csv` of a Monte Carlo results folder (per contract tranche: due
date, P(on time), P10/P50/P90 delivery dates; a blank date is "not delivered within the
horizon", later than any date). P80 is not in that file today: it is computed from the
folder's `replications.parquet` when that is there (the same method as the other
percentiles), and left blank, with a note, when it is not.

Actuals are a CSV with columns ``contract``, ``tranche`` and one outcome per row: ``actual``
(the date it happened), ``actual_from`` and ``actual_to`` (it happened within that range),
or ``censored_after`` (it had not happened by that date). An outcome is thus a range of
dates, ``earliest`` to ``latest`` (latest unknown when censored), and each score is given
when that range settles it and left blank (counted as unsettled) when it does not:

- inside the 80% band: the whole range within [P10, P90] (yes) or outside it (no);
- the P50 error in days: the actual date (or the middle of a range) minus the P50;
- on time: the range ends by the due date (1) or starts after it (0); the Brier score of
  the forecast P(on time) is (p - outcome)^2, 0 for a perfect forecast, 0.25 for a coin.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.records import OUTCOMES, Row, read_csv_rows
from sim.errors import Problem, ScenarioError, did_you_mean

COLUMNS = [
    "contract",
    "tranche",
    "due",
    "p10",
    "p50",
    "p80",
    "p90",
    "p_on_time",
    "actual",
    "inside_80",
    "p50_error_days",
    "on_time",
    "brier",
]
NEVER = dt.date.max
"""A forecast date left blank: not delivered within the horizon, later than any date."""


@dataclass(frozen=True)
class Outcome:
    """What happened to a milestone: between ``earliest`` and ``latest`` (None: not yet)."""

    earliest: dt.date
    latest: dt.date | None

    def show(self) -> str:
        if self.latest is None:
            return f"after {self.earliest - dt.timedelta(days=1)}"
        if self.latest == self.earliest:
            return str(self.earliest)
        return f"{self.earliest}..{self.latest}"


def _date(text: Any) -> dt.date | None:
    if text is None or (isinstance(text, float) and math.isnan(text)) or str(text).strip() == "":
        return None
    return dt.date.fromisoformat(str(text).strip()[:10])


class _Row(Row):
    """An actuals or forecast row: its cells, and its (contract, tranche)."""

    def key(self, hint: str) -> tuple[str, int] | None:
        """(contract, tranche) of the row; None when either is missing or bad (reported)."""
        contract, tranche = self.text("contract"), self.text("tranche")
        if not contract:
            self.problem("contract", "no contract", hint)
        if not tranche:
            self.problem("tranche", "no tranche", "give the tranche's number (1 for the first)")
            return None
        try:
            number = int(tranche)
        except ValueError:
            self.problem(
                "tranche",
                f"{tranche!r} is not a whole number",
                "give the tranche's number (1 for the first)",
            )
            return None
        return (contract, number) if contract else None


FORECAST = ("contract", "tranche", "due", "p_on_time", "p10", "p50", "p90")
"""The columns of on_time.csv that a score needs (p80 too when there)."""


def read_forecast(folder: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """The forecast of a Monte Carlo results folder, and notes on what could not be read;
    raises ScenarioError (file, line, column) listing every bad row."""
    folder = Path(folder)
    path = folder / "on_time.csv"
    if not path.is_file():
        raise ScenarioError(
            [
                Problem(
                    str(folder),
                    None,
                    "(folder)",
                    "has no on_time.csv, so it is not the results folder of a Monte Carlo run",
                    "run `dcsim run SCENARIO -n 1000 --out DIR` and score DIR",
                )
            ]
        )
    file, header, rows = read_csv_rows(path, "a forecast")
    missing = [c for c in FORECAST if c not in header]
    if missing:
        raise ScenarioError(
            [
                Problem(
                    file,
                    1,
                    "(header)",
                    f"no column {', '.join(missing)}",
                    "score the folder of a Monte Carlo run, as `dcsim run -n N` writes it",
                )
            ]
        )
    dates = [c for c in ("due", "p10", "p50", "p80", "p90") if c in header]
    rerun = "rerun `dcsim run SCENARIO -n N --out DIR` rather than edit on_time.csv"
    problems: list[Problem] = []
    first: dict[tuple[str, int], int] = {}
    table: list[dict[str, Any]] = []
    for line, cells in rows:
        row = _Row(file, line, cells, problems)
        key = row.key(rerun)
        if key in first:
            row.problem("tranche", f"{key[0]} tranche {key[1]} is also on line {first[key]}", rerun)
        p = row.text("p_on_time")
        try:
            p_on_time = float(p)
        except ValueError:
            p_on_time = math.nan
        if not 0 <= p_on_time <= 1:
            row.problem("p_on_time", f"{p!r} is not a probability", "write a number from 0 to 1")
        parsed: dict[str, dt.date | None] = {
            c: row.date(c, "write YYYY-MM-DD, or leave it blank: not within the horizon")
            for c in dates
        }
        if key is not None:
            first.setdefault(key, line)
            table.append({"contract": key[0], "tranche": key[1], "p_on_time": p_on_time, **parsed})
    if problems:
        raise ScenarioError(problems)
    forecast = pd.DataFrame(table, columns=["contract", "tranche", "p_on_time", *dates])
    notes = []
    if "p80" not in forecast.columns:
        reps = folder / "replications.parquet"
        if reps.is_file():
            forecast["p80"] = _p80_from_replications(forecast, pd.read_parquet(reps))
            notes.append("P80 computed from replications.parquet (on_time.csv has none)")
        else:
            forecast["p80"] = None
            notes.append(
                "P80 left blank: on_time.csv has none and there is no replications.parquet"
            )
    return forecast, notes


def _p80_from_replications(table: pd.DataFrame, reps: pd.DataFrame) -> list[dt.date | None]:
    out: list[dt.date | None] = []
    for contract, tranche in zip(table["contract"], table["tranche"], strict=True):
        column = f"{contract}.tranche_{int(tranche)}.delivered"
        if column not in reps.columns:
            out.append(None)
            continue
        days = ((reps[column] - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy(
            dtype=float
        )
        d = float(np.percentile(np.where(np.isnan(days), np.inf, days), 80, method="inverted_cdf"))
        out.append(None if math.isinf(d) else dt.date(1970, 1, 1) + dt.timedelta(days=int(d)))
    return out


def tranches(forecast: pd.DataFrame) -> set[tuple[str, int]]:
    """The (contract, tranche) of every forecast row."""
    return {
        (str(c), int(t)) for c, t in zip(forecast["contract"], forecast["tranche"], strict=True)
    }


ACTUALS = "see docs/calibration.md for the columns of an actuals file"


def read_actuals(
    path: str | Path, forecast: set[tuple[str, int]] | None = None
) -> dict[tuple[str, int], Outcome]:
    """Outcomes by (contract, tranche); raises ScenarioError (file, line, column) listing
    every bad row, and (when ``forecast``, its tranches, is given) every tranche it lacks."""
    file, header, rows = read_csv_rows(path, "an actuals")
    missing = [c for c in ("contract", "tranche") if c not in header]
    if not any(c in header for c in OUTCOMES):
        missing.append("actual (or actual_from and actual_to, or censored_after)")
    if header and missing:
        raise ScenarioError(
            [Problem(file, 1, "(header)", f"no column {', '.join(missing)}", ACTUALS)]
        )
    if not rows:
        raise ScenarioError([Problem(file, 1, "(header)", "no actuals", ACTUALS)])
    out: dict[tuple[str, int], Outcome] = {}
    first: dict[tuple[str, int], int] = {}
    problems: list[Problem] = []
    for line, cells in rows:
        row = _Row(file, line, cells, problems)
        key = row.key("give the contract's name, as in the scenario")
        if key in first:
            row.problem(
                "tranche",
                f"{key[0]} tranche {key[1]} is also on line {first[key]}",
                "give one row per tranche",
            )
        elif key is not None and forecast is not None and key not in forecast:
            _stray(row, key, forecast)
        outcome = _outcome(row)
        if key is not None and key not in first:
            first[key] = line
            if outcome is not None:
                out[key] = outcome
    if problems:
        raise ScenarioError(problems)
    return out


def _stray(row: _Row, key: tuple[str, int], forecast: set[tuple[str, int]]) -> None:
    contract, tranche = key
    numbers = sorted(t for c, t in forecast if c == contract)
    if not numbers:
        hint = did_you_mean(contract, {c for c, _ in forecast})
        row.problem("contract", f"no contract {contract!r} in the forecast", hint)
    else:
        shown = ", ".join(map(str, numbers))
        row.problem(
            "tranche",
            f"{contract} has no tranche {tranche} in the forecast",
            f"its tranches: {shown}",
        )


def _outcome(row: _Row) -> Outcome | None:
    """The outcome of an actuals row; None when it is missing or bad (reported)."""
    dates = {c: row.date(c) for c in OUTCOMES}
    given = {c for c in OUTCOMES if row.text(c)}
    actual, start, end, after = (dates[c] for c in OUTCOMES)
    if given not in ({"actual"}, {"actual_from", "actual_to"}, {"censored_after"}):
        row.problem(
            "actual",
            "give one outcome: actual, or actual_from <= actual_to, "
            "or censored_after (not done by)",
            ACTUALS,
        )
        return None
    if actual is not None:
        return Outcome(actual, actual)
    if start is not None and end is not None:
        if start > end:
            row.problem(
                "actual_to",
                f"actual_from {start} is after actual_to {end}",
                "give the range earliest first",
            )
            return None
        return Outcome(start, end)
    if after is not None:
        return Outcome(after + dt.timedelta(days=1), None)
    return None  # a bad date, reported


def score(
    forecast: pd.DataFrame, actuals: dict[tuple[str, int], Outcome]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-milestone scores (the rows of `COLUMNS`) and the overall coverage and Brier."""
    strays = sorted(set(actuals) - tranches(forecast))
    if strays:
        raise ScenarioError(
            [
                Problem(
                    "(actuals)",
                    None,
                    f"{c} tranche {t}",
                    "is not in the forecast",
                    "check the names",
                )
                for c, t in strays
            ]
        )
    rows = []
    for record in forecast.to_dict("records"):
        key = (str(record["contract"]), int(record["tranche"]))
        rows.append(_score_row({str(k): v for k, v in record.items()}, actuals.get(key)))
    table = pd.DataFrame(rows, columns=COLUMNS)
    inside = table["inside_80"].dropna()
    brier = table["brier"].dropna()
    overall = {
        "milestones": len(table),
        "with_actuals": int(table["actual"].notna().sum()),
        "band_settled": len(inside),
        "coverage_80": float(inside.mean()) if len(inside) else None,
        "on_time_settled": len(brier),
        "mean_brier": float(brier.mean()) if len(brier) else None,
        "mean_abs_p50_error_days": (
            float(table["p50_error_days"].dropna().abs().mean())
            if table["p50_error_days"].notna().any()
            else None
        ),
    }
    return table, overall


def _score_row(record: dict[str, Any], outcome: Outcome | None) -> dict[str, Any]:
    due = _date(record["due"])
    q = {k: _date(record.get(k)) for k in ("p10", "p50", "p80", "p90")}
    p = float(record["p_on_time"])
    row = {"contract": record["contract"], "tranche": int(record["tranche"]), "due": due, **q}
    row |= {"p_on_time": p, "actual": outcome.show() if outcome else None}
    row |= {"inside_80": None, "p50_error_days": None, "on_time": None, "brier": None}
    if outcome is None:
        return row
    lo, hi = q["p10"] or NEVER, q["p90"] or NEVER
    if outcome.latest is not None and lo <= outcome.earliest and outcome.latest <= hi:
        row["inside_80"] = 1
    elif (outcome.latest is not None and outcome.latest < lo) or outcome.earliest > hi:
        row["inside_80"] = 0
    if outcome.latest is not None and q["p50"] is not None:
        middle = outcome.earliest + (outcome.latest - outcome.earliest) / 2
        row["p50_error_days"] = (middle - q["p50"]).days
    if due is not None and outcome.latest is not None and outcome.latest <= due:
        row["on_time"] = 1
    elif due is not None and outcome.earliest > due:
        row["on_time"] = 0
    if row["on_time"] is not None:
        row["brier"] = (p - row["on_time"]) ** 2
    return row
