"""Scenario schema for a site: grid energization phases, halls, crews and mining load."""

import datetime as dt
from typing import Literal, Self

from pydantic import ConfigDict, Field, model_validator

from sim.scenario.schema.base import at_least_one, exactly_one, only_with
from sim.scenario.schema.durations import ZERO_DURATION_PATTERN
from sim.scenario.schema.progress import Gate, HashpricePoint, MiningRetirement, Pause
from sim.scenario.schema.types import (
    Duration,
    Name,
    NonNegativeFloat,
    Number,
    PositiveFloat,
    PositiveInt,
    StrictModel,
    UncertainNonNegative,
)


class GridPhase(StrictModel):
    """MW added to a site's interconnect, on a date or after another phase."""

    model_config = ConfigDict(
        json_schema_extra={
            **exactly_one("energized", "after"),
            **only_with("lead_time", "after", "energized", ZERO_DURATION_PATTERN),
        }
    )
    RULES = (
        "Give exactly one of `energized` or `after`.",
        "`lead_time` goes with `after`, not with `energized`.",
    )

    name: Name
    """Name of the phase, unique within the site (used by `after`)."""
    mw: PositiveFloat
    """Interconnect capacity this phase adds, in MW."""
    energized: dt.date | None = None
    """Date the phase is energized. Give this or `after`."""
    after: Name | None = None
    """Name of the phase (same site) this one follows; it energizes `lead_time` after it."""
    lead_time: Duration = 0.0
    """With `after`: time from the predecessor's energization to this one's."""
    delay: Duration = 0.0
    """Delay past the planned energization (an uncertain date offset, e.g. a late
    transformer: `{lognormal: {median: 30d, p90: 120d}}`)."""
    gate: Gate | None = None
    """An approval the phase waits for: it is not energized before the gate clears."""

    @model_validator(mode="after")
    def _one_anchor(self) -> Self:
        if (self.energized is None) == (self.after is None):
            raise ValueError(
                "a grid phase needs exactly one of `energized` (a date) or `after` "
                "(another phase's name, with `lead_time`)"
            )
        if self.energized is not None and self.lead_time:
            raise ValueError("`lead_time` goes with `after`, not with `energized`")
        return self


class Construction(StrictModel):
    """When a hall's construction starts and how long it takes."""

    model_config = ConfigDict(
        json_schema_extra={
            **exactly_one("start", "after"),
            **only_with("lag", "after", "start", ZERO_DURATION_PATTERN),
        }
    )
    RULES = (
        "Give exactly one of `start` or `after`.",
        "`lag` goes with `after`, not with `start`.",
    )

    start: dt.date | None = None
    """Date construction starts. Give this or `after`."""
    after: Name | None = None
    """Name of a hall at the same site whose construction must finish first (sequencing)."""
    lag: Duration = 0.0
    """With `after`: time between that hall's construction finishing and this one starting."""
    duration: Duration
    """Planned time from construction start to mechanical completion."""
    delay: Duration = 0.0
    """Delay of the start past its date (or past `after` plus `lag`)."""
    slip: Duration = 0.0
    """Slip of mechanical completion past the planned `duration` (construction takes
    `duration` + `slip`): where a reference-class prior of completion against plan goes. A
    construction under way at a status's data date draws it given that the work is not yet
    finished."""

    @model_validator(mode="after")
    def _one_anchor(self) -> Self:
        if (self.start is None) == (self.after is None):
            raise ValueError(
                "construction needs exactly one of `start` (a date) or `after` (a hall's name)"
            )
        if self.start is not None and self.lag:
            raise ValueError("`lag` goes with `after`, not with `start`")
        return self


class Hall(StrictModel):
    """A data hall (building): critical IT capacity that needs grid power before commissioning."""

    model_config = ConfigDict(json_schema_extra=at_least_one("gross_mw", "pue"))
    RULES = (
        "Give `gross_mw` or `pue`, or both.",
        "`gross_mw` >= `it_mw`: gross MW include the IT load.",
        "With both: `pue` x `it_mw` <= `gross_mw`: the annual average draw cannot exceed "
        "the design peak.",
        "`grid_mw` >= the hall's gross MW (`gross_mw`, or `it_mw` x `pue`).",
    )

    label: str = ""
    """How plots and reports name the hall (default: its key), e.g. `Horizon 1`."""
    it_mw: PositiveFloat
    """Critical IT capacity, in MW."""
    gross_mw: PositiveFloat | None = None
    """Design gross (facility) MW at peak; defaults to `it_mw` x `pue`. Give this or `pue`."""
    pue: Number | None = Field(default=None, ge=1.0, le=3.0)
    """Annual average power usage effectiveness (facility / IT); defaults to gross / IT."""
    cooling: Literal["liquid", "air"] = "liquid"
    """Cooling technology; a liquid-only platform cannot be installed in an air hall."""
    construction: Construction
    """Construction start and duration."""
    commissioning: Duration = 0.0
    """Commissioning (L2-L5) time, from the day the hall's grid power is reserved."""
    grid_mw: PositiveFloat | None = None
    """Grid capacity the hall reserves before commissioning; defaults to its gross MW."""
    capex_usd_per_mw: UncertainNonNegative = 0.0
    """Construction cost in USD per MW of critical IT, spent evenly over the construction
    period. What is spent before the scenario start is carried into the first row."""
    gate: Gate | None = None
    """An approval (a permit) the hall waits for: construction does not start before the
    gate clears."""

    @model_validator(mode="after")
    def _power(self) -> Self:
        if self.gross_mw is None and self.pue is None:
            raise ValueError("a hall needs `gross_mw` or `pue` (or both)")
        if self.gross_mw is not None and self.gross_mw < self.it_mw:
            raise ValueError(
                f"`gross_mw` ({self.gross_mw:g}) is below `it_mw` ({self.it_mw:g}); "
                "gross MW includes the IT load"
            )
        if (
            self.pue is not None
            and self.gross_mw is not None
            and self.pue * self.it_mw > self.gross_mw * (1 + 1e-9)
        ):
            raise ValueError(
                f"`pue` {self.pue:g} x `it_mw` {self.it_mw:g} exceeds `gross_mw` "
                f"{self.gross_mw:g}; the annual average draw cannot exceed the design peak"
            )
        if self.grid_mw is not None and self.grid_mw < self.design_gross_mw * (1 - 1e-9):
            raise ValueError(
                f"`grid_mw` ({self.grid_mw:g}) is below the hall's gross MW "
                f"({self.design_gross_mw:g})"
            )
        return self

    @property
    def design_gross_mw(self) -> float:
        """Gross MW at peak: `gross_mw`, or `it_mw` x `pue`."""
        if self.gross_mw is not None:
            return self.gross_mw
        assert self.pue is not None
        return self.it_mw * self.pue

    @property
    def average_pue(self) -> float:
        """Facility / IT power on average: `pue`, or gross / IT."""
        return self.pue if self.pue is not None else self.design_gross_mw / self.it_mw

    @property
    def required_grid_mw(self) -> float:
        """Grid MW reserved for the hall: `grid_mw`, or its gross MW."""
        return self.grid_mw if self.grid_mw is not None else self.design_gross_mw


class Crews(StrictModel):
    """Installation crews at a site (a pool that installs racks lot by lot)."""

    count: PositiveInt
    """Number of crews working in parallel."""
    racks_per_week: PositiveFloat
    """Racks one crew installs (and plumbs) per week."""
    lot_racks: PositiveInt | None = None
    """Racks one crew takes per job; defaults to one week of work (`racks_per_week`, at least 1)."""
    cost_usd_per_week: NonNegativeFloat = 0.0
    """What one crew costs per week while the site's installation campaign lasts: from its
    first rack's arrival until its last rack is installed (to the end of the horizon while
    racks still wait). Counted as `crew_cost_usd` in the money table and in `cost_usd`."""

    @property
    def job_racks(self) -> int:
        """Racks per installation job."""
        if self.lot_racks is not None:
            return self.lot_racks
        return max(1, int(self.racks_per_week))


class Mining(StrictModel):
    """A bitcoin-mining (ASIC) fleet running on energized MW the AI load does not use."""

    model_config = ConfigDict(json_schema_extra=exactly_one("mw", "hashrate_ehs"))
    RULES = ("Give exactly one of `mw` or `hashrate_ehs`.",)

    mw: PositiveFloat | None = None
    """ASIC (IT) load in MW. Give this or `hashrate_ehs`."""
    hashrate_ehs: PositiveFloat | None = None
    """Installed hashrate in EH/s; IT MW = EH/s x J/TH."""
    j_per_th: PositiveFloat
    """Fleet efficiency in joules per terahash (numerically, MW per EH/s)."""
    pue: Number = Field(default=1.05, ge=1.0, le=2.0)
    """Facility / IT power of the mining load (cooling and losses)."""
    hashprice_usd_per_ph_day: UncertainNonNegative = 0.0
    """Mining revenue in USD per PH/s of hashrate per day (before the first point of
    `hashprice_path`)."""
    hashprice_path: list[HashpricePoint] = Field(default_factory=list)
    """Dated hashprice changes, in date order (for example the halving expected in April
    2028); empty keeps `hashprice_usd_per_ph_day` for the whole horizon."""
    retirements: list[MiningRetirement] = Field(default_factory=list)
    """Dated steps that retire part of the fleet on their own schedule; empty means mining
    yields power only as halls take it."""

    @model_validator(mode="after")
    def _size(self) -> Self:
        if (self.mw is None) == (self.hashrate_ehs is None):
            raise ValueError("mining needs exactly one of `mw` or `hashrate_ehs`")
        return self

    @property
    def it_mw(self) -> float:
        """ASIC load in MW."""
        if self.mw is not None:
            return self.mw
        assert self.hashrate_ehs is not None
        return self.hashrate_ehs * self.j_per_th


class Site(StrictModel):
    """A campus: a grid interconnect growing in phases, halls, crews and mining."""

    label: str = ""
    """How plots and reports name the site (default: its key), e.g. `Childress, TX`."""
    power_price_usd_per_mwh: UncertainNonNegative = 0.0
    """All-in price of grid energy at the site, in USD per MWh."""
    grid: list[GridPhase] = Field(min_length=1)
    """Energization phases of the interconnect."""
    mining: Mining | None = None
    """The bitcoin-mining fleet, if any."""
    crews: Crews | None = None
    """Installation crews; a site that receives racks needs them."""
    halls: dict[Name, Hall] = Field(default_factory=dict)
    """Data halls by name."""
    pauses: list[Pause] = Field(default_factory=list)
    """Windows during which dated work at the site does not progress."""
