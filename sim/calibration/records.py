"""Planned-versus-actual records of milestones: read from CSV into slips in days, each an
exact value, a range (``actual_from``..``actual_to``), or a lower bound (``censored_after``:
not done by that date).

Columns: ``id``, ``kind``, ``deadline`` (the planned date; a plan naming a month, quarter or
year has its deadline on the period's last day), and one of ``actual`` (the date it
happened), ``actual_from`` + ``actual_to`` (it happened within that range: "early 2027"), or
``censored_after`` (it had not happened by that date). Other columns (project, milestone,
precision, source, note) are kept for the reader. A row with none of the outcome columns is
not a dated milestone (for example a shortfall in megawatts): it is reported and left out of
the fit, never dropped silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from sim.errors import Problem, ScenarioError

SHIPPED = Path(__file__).parent / "data" / "reference_class.csv"
"""The reference class shipped with dcsim (docs/calibration.md lists its rows and sources)."""

REQUIRED = ("id", "kind", "deadline")
OUTCOMES = ("actual", "actual_from", "actual_to", "censored_after")


@dataclass(frozen=True)
class Record:
    """One milestone: its slip lies in [lo, hi] days (lo == hi when exact, hi infinite when
    censored)."""

    id: str
    kind: str
    deadline: dt.date
    lo: float
    hi: float
    line: int

    @property
    def censored(self) -> bool:
        return math.isinf(self.hi)

    @property
    def exact(self) -> bool:
        return self.lo == self.hi


@dataclass(frozen=True)
class Records:
    """The dated records of a file, and the rows left out of the fit (with why)."""

    file: str
    dated: list[Record]
    skipped: list[tuple[str, str]]


def _date(text: str, file: str, line: int, column: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ScenarioError(
            [Problem(file, line, column, f"{text!r} is not a date", "write YYYY-MM-DD")]
        ) from None


def read_csv_rows(path: str | Path, what: str) -> tuple[str, list[dict[str, str]]]:
    """(the file's name, its rows by column) of a CSV file of ``what`` ("records",
    "actuals"); raises ScenarioError when the file cannot be read."""
    file = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return file, list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            [Problem(file, None, "(file)", f"cannot be read ({exc})", f"give {what} CSV")]
        ) from None


def read_records(path: str | Path) -> Records:
    """The records of a CSV file; raises ScenarioError (file, line, column) on bad rows."""
    file, rows = read_csv_rows(path, "a records")
    missing = [c for c in REQUIRED if not rows or c not in rows[0]]
    if missing:
        raise ScenarioError(
            [
                Problem(
                    file,
                    1,
                    "(header)",
                    f"no column {', '.join(missing)}" if rows else "no records",
                    "see docs/calibration.md for the columns of a records file",
                )
            ]
        )
    dated, skipped, problems = [], [], []
    for line, row in enumerate(rows, start=2):
        try:
            record = _record(row, file, line)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        if record is None:
            skipped.append((row["id"], "no actual date, range or censoring date"))
        else:
            dated.append(record)
    if problems:
        raise ScenarioError(problems)
    return Records(file, dated, skipped)


def _record(row: dict[str, str], file: str, line: int) -> Record | None:
    given = {c: (row.get(c) or "").strip() for c in OUTCOMES}
    deadline = _date(row["deadline"], file, line, "deadline")
    if given["actual"] and not any(given[c] for c in OUTCOMES[1:]):
        slip = float((_date(given["actual"], file, line, "actual") - deadline).days)
        return Record(row["id"], row["kind"], deadline, slip, slip, line)
    if given["actual_from"] and given["actual_to"] and not given["actual"]:
        lo = _date(given["actual_from"], file, line, "actual_from")
        hi = _date(given["actual_to"], file, line, "actual_to")
        if hi < lo or given["censored_after"]:
            raise ScenarioError(
                [Problem(file, line, "actual_to", "a range needs actual_from <= actual_to")]
            )
        return Record(
            row["id"], row["kind"], deadline, (lo - deadline).days, (hi - deadline).days, line
        )
    if given["censored_after"] and not any(given[c] for c in OUTCOMES[:3]):
        after = _date(given["censored_after"], file, line, "censored_after")
        return Record(
            row["id"], row["kind"], deadline, float((after - deadline).days), math.inf, line
        )
    if not any(given.values()):
        return None
    raise ScenarioError(
        [
            Problem(
                file,
                line,
                "actual",
                "give one outcome: actual, or actual_from and actual_to, or censored_after",
            )
        ]
    )
