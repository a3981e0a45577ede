"""Plan values of the roll-out fields: customer acceptance, approval gates, pause windows and
the mining fleet's own retirement steps (see `sim.engine.plan`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sim.engine.calendar import PausePlan
from sim.scenario.schema import Contract
from sim.scenario.schema.progress import Gate, Pause
from sim.scenario.schema.site import Mining
from sim.scenario.status import tranche_acceptance
from sim.scenario.topology import tranches
from sim.units import MW, Days, to_days


@dataclass(frozen=True)
class AcceptancePlan:
    """How long after units are ready the customer accepts them, and in what blocks."""

    duration: Days
    per: Literal["lot", "tranche", "hall"]


def acceptance_plans(contract: Contract) -> tuple[AcceptancePlan, ...]:
    """Each tranche's acceptance; empty when all are the default (per lot, no time)."""
    found = tuple(
        AcceptancePlan(_days(a.duration), a.per)
        for a in (tranche_acceptance(contract, i) for i in range(len(tranches(contract))))
    )
    return () if all(a.per == "lot" and a.duration == 0 for a in found) else found


def pause_plan(pause: Pause, start: dt.date) -> PausePlan:
    begin = to_days(pause.start, start)
    end = (
        to_days(pause.end, start) + 1.0 if pause.end is not None else begin + _days(pause.duration)
    )
    return PausePlan(begin, end, frozenset(pause.work))


def retirements(mining: Mining | None, start: dt.date) -> tuple[tuple[Days, MW], ...]:
    """The mining fleet's own retirement steps: (day, IT MW), in date order."""
    if mining is None:
        return ()
    steps = [
        (
            to_days(r.date, start) + _days(r.delay),
            r.mw if r.mw is not None else (r.hashrate_ehs or 0.0) * mining.j_per_th,
        )
        for r in mining.retirements
    ]
    return tuple(sorted(steps))


def gate_day(gate: Gate | None, start: dt.date) -> Days | None:
    return to_days(gate.expected, start) + _days(gate.delay) if gate is not None else None


def _days(value: object) -> Days:
    """A realized duration; a distribution left here is a bug in the caller (realize it)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"the plan needs a concrete scenario: got {value!r}; realize it first")
    return float(value)
