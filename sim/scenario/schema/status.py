"""Scenario schema for a status update: a data date (`as_of`) and what actually happened.

A status block mirrors the scenario it updates: sites, their grid phases (by phase name) and
halls, deliveries and contracts (tranches by position), each keyed by the names the scenario
uses. Every actual is dated on or before `as_of`.
"""

import datetime as dt
from typing import Annotated, Self

from pydantic import ConfigDict, Field, model_validator

from sim.scenario.schema.base import exactly_one
from sim.scenario.schema.progress import Revision
from sim.scenario.schema.types import Name, PositiveFloat, PositiveInt, StrictModel


class GridActual(StrictModel):
    """What happened to a grid phase."""

    energized: dt.date | None = None
    """Date the phase was energized."""
    gate_cleared: dt.date | None = None
    """Date the phase's approval gate cleared."""


class ConstructionActual(StrictModel):
    """How far a hall's construction has come."""

    RULES = (
        "`finished` or `percent_complete`, not both.",
        "`finished` is not before `started`.",
    )

    started: dt.date | None = None
    """Date construction started."""
    finished: dt.date | None = None
    """Date construction finished (mechanical completion). Give this or `percent_complete`."""
    percent_complete: Annotated[float, Field(ge=0, lt=100, strict=True)] | None = None
    """Work done at `as_of`, in percent, while construction is still under way."""

    @model_validator(mode="after")
    def _one_progress(self) -> Self:
        if self.finished is not None and self.percent_complete is not None:
            raise ValueError(
                "construction is either `finished` (a date) or `percent_complete`, not both"
            )
        if self.started and self.finished and self.finished < self.started:
            raise ValueError(f"`finished` ({self.finished}) is before `started` ({self.started})")
        return self


class HallReady(StrictModel):
    """A hall commissioned and ready for IT (a colocation hall: ready to hand over)."""

    date: dt.date
    """Date the hall (or part of it) became ready."""
    mw: PositiveFloat | None = None
    """Critical IT MW ready; defaults to the whole hall."""


class Racks(StrictModel):
    """A dated count of racks."""

    date: dt.date
    """Date of the event."""
    racks: PositiveInt
    """Number of racks."""


class HallActual(StrictModel):
    """What happened in a hall."""

    gate_cleared: dt.date | None = None
    """Date the hall's approval gate cleared."""
    construction: ConstructionActual | None = None
    """Construction progress."""
    ready: HallReady | None = None
    """Date (and MW) the hall became ready after commissioning."""
    installed: list[Racks] = Field(default_factory=list)
    """Racks installed in the hall, by date."""
    accepted: list[Racks] = Field(default_factory=list)
    """Racks accepted by the customer in the hall, by date."""


class MiningRetired(StrictModel):
    """A step of the mining fleet actually retired."""

    model_config = ConfigDict(json_schema_extra=exactly_one("mw", "hashrate_ehs"))
    RULES = ("Exactly one of `mw` or `hashrate_ehs`.",)

    date: dt.date
    """Date the step was retired."""
    mw: PositiveFloat | None = None
    """ASIC (IT) MW retired. Give this or `hashrate_ehs`."""
    hashrate_ehs: PositiveFloat | None = None
    """Hashrate retired, in EH/s."""

    @model_validator(mode="after")
    def _size(self) -> Self:
        if (self.mw is None) == (self.hashrate_ehs is None):
            raise ValueError("a retired step needs exactly one of `mw` or `hashrate_ehs`")
        return self


class MiningActual(StrictModel):
    """What happened to a site's mining fleet."""

    retired: list[MiningRetired] = Field(default_factory=list)
    """Steps retired, by date."""


class SiteActual(StrictModel):
    """What happened at a site."""

    grid: dict[Name, GridActual] = Field(default_factory=dict)
    """Grid phases by name."""
    halls: dict[Name, HallActual] = Field(default_factory=dict)
    """Halls by name."""
    mining: MiningActual | None = None
    """The mining fleet."""


class DeliveryActual(StrictModel):
    """What actually arrived of a delivery."""

    arrived: list[Racks] = Field(default_factory=list)
    """Racks that arrived on site, by date."""


class Accepted(StrictModel):
    """Units of a contract tranche the customer accepted on a date."""

    model_config = ConfigDict(json_schema_extra=exactly_one("racks", "gpus", "mw"))
    RULES = ("Exactly one of `racks`, `gpus` or `mw`.",)

    date: dt.date
    """Date of acceptance (a colocation tranche: handover accepted by the tenant)."""
    racks: PositiveInt | None = None
    """Racks accepted (a gpu_cloud contract counted in racks)."""
    gpus: PositiveInt | None = None
    """GPUs accepted (a gpu_cloud contract counted in GPUs)."""
    mw: PositiveFloat | None = None
    """MW accepted (a colocation contract, on its `mw_basis`)."""

    @model_validator(mode="after")
    def _one_unit(self) -> Self:
        given = [k for k in ("racks", "gpus", "mw") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an acceptance needs exactly one of `racks`, `gpus` or `mw`")
        return self

    @property
    def units(self) -> float:
        return float(next(v for v in (self.racks, self.gpus, self.mw) if v is not None))

    @property
    def unit(self) -> str:
        return next(k for k in ("racks", "gpus", "mw") if getattr(self, k) is not None)


class TrancheActual(StrictModel):
    """What happened to a contract tranche."""

    accepted: list[Accepted] = Field(default_factory=list)
    """Units accepted, by date."""
    revised: list[Revision] = Field(default_factory=list)
    """Revised due dates made up to `as_of`, after those in the scenario's tranche."""


class ContractActual(StrictModel):
    """What happened to a contract."""

    tranches: list[TrancheActual] = Field(default_factory=list)
    """One entry per tranche of the contract, in the same order (`{}` for a tranche with
    nothing to record); may stop before the last tranche."""


class Status(StrictModel):
    """A status update: the data date and the actuals recorded up to it. Every run (the plan run
    and each replication) pins the actuals, samples only the remaining duration of work under
    way, and schedules nothing unrecorded before `as_of`."""

    as_of: dt.date
    """The data date: every actual is on or before it, and nothing unrecorded happens before
    it."""
    note: str = ""
    """What this update records and where from, for reports."""
    sites: dict[Name, SiteActual] = Field(default_factory=dict)
    """Sites by name."""
    deliveries: dict[Name, DeliveryActual] = Field(default_factory=dict)
    """Deliveries by name."""
    contracts: dict[Name, ContractActual] = Field(default_factory=dict)
    """Contracts by name."""
