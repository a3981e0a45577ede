"""Units: durations with suffixes, and the conversion between dates and simulation time.

Simulation time is a float number of days since the scenario's start date. Durations in
scenario files carry a unit suffix (``90d``, ``8w``, ``6mo``, ``5y``); months and years are
fixed lengths (a Julian year of 365.25 days and a twelfth of it), because durations are
offsets that may later be drawn from distributions, not calendar arithmetic.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

Days = float
"""A span of simulation time, in days."""
MW = float
"""Power, in megawatts."""

TIME_EPS: Days = 1e-9
"""Float noise in simulation time: a time this close below a day boundary counts as that day."""
CAPACITY_EPS = 1e-6
"""Slack when fitting racks into a hall's free kW (kW sums carry float noise)."""
QUANTITY_EPS = 1e-9
"""Slack when comparing summed quantities (MW, units) against a total or threshold."""
NOISE_EPS = 1e-12
"""A change smaller than this is float noise, not a change worth recording."""

DAYS_PER_UNIT: dict[str, float] = {
    "d": 1.0,
    "w": 7.0,
    "mo": 365.25 / 12.0,
    "y": 365.25,
}
DAYS_PER_YEAR = DAYS_PER_UNIT["y"]
HOURS_PER_DAY = 24.0

_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(d|w|mo|y)\s*$")
DURATION_HINT = "write a number with a unit: 90d (days), 8w (weeks), 6mo (months) or 5y (years)"


def parse_duration(text: str) -> Days:
    """Parse ``"90d"``, ``"8w"``, ``"6mo"`` or ``"5y"`` into days.

    >>> parse_duration("2w")
    14.0
    """
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration; {DURATION_HINT}")
    value = float(match.group(1))
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite duration")
    return value * DAYS_PER_UNIT[match.group(2)]


def format_days(days: Days) -> str:
    """Render days exactly, in the largest unit that divides them (``14.0`` -> ``"2w"``,
    ``213.0625`` -> ``"7mo"``); parsing the result gives back the same number."""
    if days == 0:
        return "0d"
    for unit in ("y", "mo", "w", "d"):
        count = days / DAYS_PER_UNIT[unit]
        if days and count == round(count) and count * DAYS_PER_UNIT[unit] == days:
            return f"{round(count)}{unit}"
    return f"{format(Decimal(repr(days)), 'f')}d"


def to_date(days: Days, start: dt.date) -> dt.date:
    """The calendar date on which simulation time ``days`` falls."""
    return start + dt.timedelta(days=math.floor(days + TIME_EPS))


def to_days(date: dt.date, start: dt.date) -> Days:
    """Simulation time at the start of ``date`` (the inverse of `to_date`); negative before
    ``start``."""
    return float((date - start).days)
