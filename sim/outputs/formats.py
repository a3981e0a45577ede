"""How numbers read where a person reads them (console, report, spreadsheet): money as
money, rates as percentages, counts with the right plural, KPIs by what they measure.

The files a program reads (CSV, JSON, Parquet) keep the exact values; only these texts round.
"""

from __future__ import annotations

import math
from typing import Any

MINUS = "−"


def money(value: Any) -> str:
    """US dollars, scaled for reading: $950, $133,056, $7.54M, $1.49B (None: a dash)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = MINUS if value < 0 else ""
    size = abs(float(value))
    if round(size) < 1e6:
        return f"{sign}${size:,.0f}"
    if round(size / 1e6, 2) < 1000:
        return f"{sign}${size / 1e6:,.2f}M"
    return f"{sign}${size / 1e9:,.2f}B"


def signed_money(value: Any) -> str:
    """A money delta, always with its sign: +$1.20M, −$350, $0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = money(value)
    return text if value < 0 or text == "$0" else "+" + text


def percent(share: Any, digits: int = 0) -> str:
    """A share or rate (0.753 -> 75%); None: a dash."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    text = f"{100 * share:.{digits}f}%"
    return text.replace("-", MINUS)


def plural(count: float, word: str, many: str | None = None) -> str:
    """ "1 site", "2 sites", "1,056 racks"; ``many`` for irregular plurals."""
    number = f"{count:,.0f}" if float(count).is_integer() else f"{count:,g}"
    return f"{number} {word if count == 1 else (many or word + 's')}"


def days(value: Any) -> str:
    """A delta in days: +12 d, −3 d, 0 d."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+,.0f} d".replace("-", MINUS) if value else "0 d"


def kpi_value(kpi: str, value: Any) -> str:
    """A KPI's value as a person reads it, by what its name says it measures."""
    if value is None or (not isinstance(value, str) and math.isnan(float(value))):
        return "–"
    if isinstance(value, str):
        return value
    if kpi.endswith("_usd"):
        return money(value)
    if kpi.endswith("irr"):
        return percent(value, 1)
    if kpi.endswith("_days"):
        text = f"{value:,.0f} d" if kpi.endswith("slip_days") else f"{value:,.0f}"
        return text.replace("-", MINUS)
    return f"{float(value):,.1f}"


def kpi_delta(kpi: str, delta: Any) -> str:
    """A KPI's delta against the base: days for dates and slips, money for dollars."""
    if delta is None or math.isnan(float(delta)):
        return "–"
    if kpi.endswith("_usd"):
        return signed_money(delta)
    if kpi.endswith(("full_delivery", "slip_days", "delivered", ".p50", ".p80")):
        return days(delta)
    if kpi.endswith("irr"):
        return (f"{100 * delta:+.1f} pts").replace("-", MINUS)
    return f"{float(delta):+,.1f}".replace("-", MINUS)
