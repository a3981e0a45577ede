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


def _parse_date(text: str) -> dt.date:
    """A date written YYYY-MM-DD, or a date and time (as a spreadsheet may write it); raises
    ValueError."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return dt.datetime.fromisoformat(text).date()


class Row:
    """The cells of one CSV row, read into values; what is wrong goes to ``problems``, located
    by file, line and column."""

    def __init__(self, file: str, line: int, row: dict[str, str], problems: list[Problem]):
        self.file, self.line, self.row, self.problems = file, line, row, problems

    def text(self, column: str) -> str:
        return self.row.get(column, "").strip()

    def problem(self, column: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.file, self.line, column, message, hint))

    def date(self, column: str, hint: str = "write YYYY-MM-DD") -> dt.date | None:
        """The date in ``column``; None when blank or not a date (reported)."""
        text = self.text(column)
        if not text:
            return None
        try:
            return _parse_date(text)
        except ValueError:
            self.problem(column, f"{text!r} is not a date", hint)
            return None


def read_csv_rows(
    path: str | Path, what: str
) -> tuple[str, list[str], list[tuple[int, dict[str, str]]]]:
    """(the file's name, its header, its rows by column each with the line it ends on) of a
    CSV file of ``what`` ("records", "actuals"); raises ScenarioError when the file cannot
    be read. A cell a short row lacks is blank."""
    file = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:  # a BOM, as Excel writes
            reader = csv.DictReader(handle)
            rows = [
                (reader.line_num, {k: v or "" for k, v in row.items() if isinstance(k, str)})
                for row in reader
            ]
            return file, list(reader.fieldnames or []), rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(
            [Problem(file, None, "(file)", f"cannot be read ({exc})", f"give {what} CSV")]
        ) from None


def read_records(path: str | Path) -> Records:
    """The records of a CSV file; raises ScenarioError (file, line, column) listing every bad
    row."""
    file, header, rows = read_csv_rows(path, "a records")
    missing = [c for c in REQUIRED if c not in header]
    if not rows or missing:
        raise ScenarioError(
            [
                Problem(
                    file,
                    1,
                    "(header)",
                    f"no column {', '.join(missing)}" if header and missing else "no records",
                    "see docs/calibration.md for the columns of a records file",
                )
            ]
        )
    dated, skipped, problems = [], [], []
    first: dict[str, int] = {}
    for line, row in rows:
        record_id = row["id"].strip()
        if record_id in first:  # (a blank id is reported by _record)
            problems.append(
                Problem(
                    file,
                    line,
                    "id",
                    f"{record_id!r} is also the id on line {first[record_id]}",
                    "give each record an id of its own",
                )
            )
        if record_id:
            first.setdefault(record_id, line)
        record, found = _record(row, file, line)
        if found:
            problems += found
        elif record is None:
            skipped.append((record_id, "no actual date, range or censoring date"))
        else:
            dated.append(record)
    if problems:
        raise ScenarioError(problems)
    return Records(file, dated, skipped)


def _record(cells: dict[str, str], file: str, line: int) -> tuple[Record | None, list[Problem]]:
    """The record of a row (None when it has no outcome), and what is wrong with the row."""
    row = Row(file, line, cells, [])
    record_id, kind = row.text("id"), row.text("kind")
    if not record_id:
        row.problem("id", "no id", "give each record an id of its own")
    if not kind:
        row.problem("kind", "no kind", "give the kind of milestone (first_phase, ...)")
    if not row.text("deadline"):
        row.problem("deadline", "no deadline", "write the planned date, YYYY-MM-DD")
    deadline = row.date("deadline")
    actual, start, end, after = (row.date(c) for c in OUTCOMES)
    given = {c for c in OUTCOMES if row.text(c)}
    if given and given not in ({"actual"}, {"actual_from", "actual_to"}, {"censored_after"}):
        message = "give one outcome: actual, or actual_from and actual_to, or censored_after"
        row.problem("actual", message)
        return None, row.problems
    if start is not None and end is not None and end < start:
        row.problem("actual_to", "a range needs actual_from <= actual_to")
    if row.problems or deadline is None:
        return None, row.problems
    if actual is not None:
        slip = float((actual - deadline).days)
        return Record(record_id, kind, deadline, slip, slip, line), []
    if start is not None and end is not None:
        lo, hi = (start - deadline).days, (end - deadline).days
        return Record(record_id, kind, deadline, lo, hi, line), []
    if after is not None:
        return Record(record_id, kind, deadline, float((after - deadline).days), math.inf, line), []
    return None, []  # no outcome: not a dated milestone
