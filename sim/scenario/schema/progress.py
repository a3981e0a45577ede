"""Scenario schema for how a roll-out really unfolds: acceptance, revised due dates,
amendments, approval gates, pause windows and dated mining retirements.

Every field here has a default that means "as before": acceptance per lot with no extra
time, no revisions, no amendments, no gates, no pauses, mining retiring only as halls take
its power. docs/status-updates.md says what the engine does with each.
"""

import datetime as dt
from typing import Literal, Self

from pydantic import Field, model_validator

from sim.scenario.schema.types import Duration, PositiveFloat, StrictModel, UncertainNonNegative


class Acceptance(StrictModel):
    """Customer acceptance: how long after units are ready the customer accepts them, and in what
    blocks. Only accepted units fill tranches, bill, earn prepayment and late credits and count
    as online; ready units wait (`racks_awaiting_acceptance`, `colo_awaiting_acceptance_mw`)."""

    duration: Duration = 0.0
    """Time from the units being ready (racks burnt in, MW handed over) to the customer's
    acceptance; a distribution like any other duration."""
    per: Literal["lot", "tranche", "hall"] = "lot"
    """What is accepted at once: each installation lot (or MW) as it is ready, the whole
    tranche once all its units are ready, or a whole hall once all its units are ready."""


class Revision(StrictModel):
    """A revised due date for a tranche, made on a date (the baseline `due` stays). Slips and
    on-time probabilities are reported against both (`due_revised`: the revision in force at the
    status's `as_of`, else the latest); money, late credits included, follows the baseline."""

    RULES = ("Exactly one of `mw` or `hashrate_ehs`.",)

    date: dt.date
    """Date the revision was made or announced (quote from the source)."""
    due: dt.date
    """The revised due date."""
    note: str = ""
    """Where the revision comes from, for reports."""


class Gate(StrictModel):
    """An approval the work waits for (a regulator's interconnection review, a permit), with an
    uncertain date: the work does not start before it clears."""

    name: str = ""
    """What is being approved, for reports."""
    expected: dt.date
    """Date the approval is expected."""
    delay: Duration = 0.0
    """Delay past `expected` (an uncertain date offset)."""


PauseWork = Literal["grid", "construction", "commissioning", "installation"]


def _all_work() -> list[PauseWork]:
    return ["grid", "construction", "commissioning", "installation"]


class Pause(StrictModel):
    """A window during which dated work at a site does not progress (a regulator's pause on large-
    load interconnections, a weather stoppage): the listed work stops at the window's start and
    resumes at its end, so it ends later by the overlap."""

    RULES = ("Exactly one of `end` or `duration`.", "`end` is not before `start`.")

    start: dt.date
    """First day of the pause."""
    end: dt.date | None = None
    """Last day of the pause. Give this or `duration`."""
    duration: Duration | None = None
    """Length of the pause, when its end is uncertain. Give this or `end`."""
    work: list[PauseWork] = Field(
        default_factory=_all_work,
        min_length=1,
    )
    """Which work stops: grid energization, construction, commissioning, installation."""
    reason: str = ""
    """Why the work stops, for reports."""

    @model_validator(mode="after")
    def _one_end(self) -> Self:
        if (self.end is None) == (self.duration is None):
            raise ValueError("a pause needs exactly one of `end` (a date) or `duration`")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"`end` ({self.end}) is before `start` ({self.start})")
        return self


class MiningRetirement(StrictModel):
    """A dated step that retires part of the mining fleet, whatever the halls need (EH/s are
    converted at the fleet's J/TH)."""

    RULES = ("Exactly one of `mw` or `hashrate_ehs`.",)

    date: dt.date
    """Date the step is planned."""
    mw: PositiveFloat | None = None
    """ASIC (IT) MW retired. Give this or `hashrate_ehs`."""
    hashrate_ehs: PositiveFloat | None = None
    """Hashrate retired, in EH/s."""
    delay: Duration = 0.0
    """Delay past `date` (an uncertain date offset)."""

    @model_validator(mode="after")
    def _size(self) -> Self:
        if (self.mw is None) == (self.hashrate_ehs is None):
            raise ValueError("a retirement needs exactly one of `mw` or `hashrate_ehs`")
        return self


class HashpricePoint(StrictModel):
    """From a date on, the hashprice takes a new value (for example after a halving); mining
    revenue uses the value in force each day."""

    start: dt.date
    """First day of the new hashprice."""
    usd_per_ph_day: UncertainNonNegative
    """Mining revenue in USD per PH/s per day from `start`; a number or a distribution."""
