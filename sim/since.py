"""What changed since the previous status: a status update's run against the run of the file
it is layered on (the scenario, or last month's status), tranche by tranche.

Both runs use the same seed and replications, and random streams are keyed by input, so
the two draw the same numbers for what they share (common random numbers): a date that
moves, moves because of the new facts, not because of sampling noise.

From the two results' summaries and Monte Carlo tables only; JSON-ready data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from sim.result import Result


def since_previous(current: Result, previous: Result, file: str) -> dict[str, Any]:
    """Per tranche of the contracts both runs have: its plan date (and with replications its
    P50, P80 and on-time probability) in the previous run and now, and how far each moved;
    ``file`` is the previous file's name. Contracts only one run has are listed by name."""
    now = current.summary["contracts"]
    before = previous.summary["contracts"]
    status = current.scenario.status
    earlier = previous.scenario.status
    rows = []
    for name, contract in now.items():
        if name not in before:
            continue
        old_rows = {t["tranche"]: t for t in before[name]["tranches"]}
        for tranche in contract["tranches"]:
            old = old_rows.get(tranche["tranche"])
            if old is None:
                continue
            row: dict[str, Any] = {
                "contract": name,
                "tranche": tranche["tranche"],
                "due": tranche["due"],
                "plan": _moved(old["delivered"], tranche["delivered"]),
            }
            row.update(_bands(current, previous, name, tranche["tranche"]))
            rows.append(row)
    return {
        "previous": previous.scenario.scenario.name,
        "file": file,
        "as_of": status.as_of.isoformat() if status is not None else None,
        "previous_as_of": earlier.as_of.isoformat() if earlier is not None else None,
        "tranches": rows,
        "new_contracts": [n for n in now if n not in before],
        "dropped_contracts": [n for n in before if n not in now],
    }


def _bands(current: Result, previous: Result, name: str, tranche: int) -> dict[str, Any]:
    """P50, P80 and the on-time probability, before and now (with replications only)."""
    if current.monte_carlo is None or previous.monte_carlo is None:
        return {}
    now = _on_time_row(current.monte_carlo.on_time, name, tranche)
    before = _on_time_row(previous.monte_carlo.on_time, name, tranche)
    if now is None or before is None:
        return {}
    p_before, p_now = float(before["p_on_time"]), float(now["p_on_time"])
    return {
        "p50": _moved(_iso(before["p50"]), _iso(now["p50"])),
        "p80": _moved(_iso(before["p80"]), _iso(now["p80"])),
        "p_on_time": {"from": p_before, "to": p_now, "change": round(p_now - p_before, 12)},
    }


def _on_time_row(table: pd.DataFrame, name: str, tranche: int) -> dict[str, Any] | None:
    rows = table[(table["contract"] == name) & (table["tranche"] == tranche)]
    return {str(k): v for k, v in rows.iloc[0].items()} if len(rows) else None


def _iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


def _moved(before: str | None, now: str | None) -> dict[str, Any]:
    """A date before and now (None: not reached in the horizon) and the days it moved
    (None when either is not reached)."""
    days = None
    if before is not None and now is not None:
        days = (dt.date.fromisoformat(now) - dt.date.fromisoformat(before)).days
    return {"from": before, "to": now, "days": days}
