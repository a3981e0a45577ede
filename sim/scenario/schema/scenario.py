"""The top-level scenario model: the single source of truth for the scenario file format."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from sim.scenario.schema.contract import Contract
from sim.scenario.schema.hardware import Delivery, Platform
from sim.scenario.schema.site import Site
from sim.scenario.schema.status import Status
from sim.scenario.schema.types import Name, StrictModel

Step = Literal["day", "week", "month"]


class ScenarioInfo(StrictModel):
    """What the scenario is and the horizon it covers."""

    name: Name
    """Scenario name; the default run folder is `results/<name>/`."""
    description: str = ""
    """One or two sentences on what the scenario models, for reports."""
    start: dt.date
    """First day of the simulated horizon."""
    end: dt.date
    """Last day of the simulated horizon."""
    step: Step = "week"
    """Timeline resolution: day, week (every 7 days from `start`) or month (month ends)."""

    @field_validator("end")
    @classmethod
    def _horizon(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is None:
            return end
        if end <= start:
            raise ValueError(f"`end` ({end}) must be after `start` ({start})")
        if (end - start).days > 366 * 50:
            raise ValueError("the horizon is longer than 50 years; shorten it")
        return end


class Scenario(StrictModel):
    """A capacity-planning scenario: sites, hardware, deliveries and contracts."""

    imports: list[str] = Field(default_factory=list, exclude=True)
    """Scenario files to compose into this one (paths relative to this file, inside its
    folder). Their sites, platforms, deliveries and contracts are merged; a name defined in
    two imports is an error; this file's own keys override what it imports (mappings key by
    key, lists whole); the imported files' `scenario` blocks are ignored, except that a file
    that imports exactly one file inherits that file's, its own `scenario` keys overriding it
    key by key (so a status update may write only `scenario: {name: ...}`)."""
    scenario: ScenarioInfo
    """Name, horizon and timeline step."""
    sites: dict[Name, Site] = Field(min_length=1)
    """Sites (campuses) by name."""
    platforms: dict[Name, Platform] = Field(default_factory=dict)
    """Hardware platforms (rack types) by name."""
    deliveries: dict[Name, Delivery] = Field(default_factory=dict)
    """Hardware deliveries (procurement orders) by name."""
    contracts: dict[Name, Contract] = Field(default_factory=dict)
    """Customer contracts by name."""
    status: Status | None = None
    """A status update: the data date `as_of` and what actually happened up to it (see
    docs/status-updates.md). A status file imports its scenario and adds this block."""
    variants: dict[Name, dict[str, Any]] = Field(default_factory=dict, exclude=True)
    """Named sets of overrides by key path (`deliveries.dell.slip: 60d`,
    `sites.childress.crews.count: 5`, `deliveries.dell.tranches[2].date: 2026-09-15`), run
    with `dcsim run --variant NAME` or compared with `dcsim compare`."""
