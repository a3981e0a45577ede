"""The top-level scenario model: the single source of truth for the scenario file format."""

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from sim.scenario.schema.contract import Contract
from sim.scenario.schema.hardware import Delivery, Platform
from sim.scenario.schema.search import Search
from sim.scenario.schema.site import Site
from sim.scenario.schema.status import Status
from sim.scenario.schema.types import Name, Number, StrictModel

Step = Literal["day", "week", "month"]

KEY_PATH_PATTERN = (
    r"^(scenario|sites|platforms|deliveries|contracts)(\.[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])*)*$"
)
"""A variant's key: a path into the scenario, keys joined by dots, list items as `[n]`."""


def _sites_or_imports(schema: dict[str, Any]) -> None:
    """JSON Schema: a file that imports others may take all its sites from them."""
    schema["required"] = [k for k in schema["required"] if k != "sites"]
    schema["anyOf"] = [{"required": ["sites"]}, {"required": ["imports"]}]


def _key_paths(schema: dict[str, Any]) -> None:
    """JSON Schema: each variant maps key paths to values (checked by the loader in place)."""
    for overrides in schema["patternProperties"].values():
        overrides["propertyNames"] = {"pattern": KEY_PATH_PATTERN}


class ScenarioInfo(StrictModel):
    """What the scenario is and the horizon it covers."""

    RULES = ("`end` is after `start`, and at most 18,300 days after it (50 years of 366 days).",)

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
    discount_rate: Number = Field(default=0.10, ge=0.0, le=1.0)
    """Annual discount rate for NPV (0.10 is 10% a year, the default; state your own cost of
    capital). Each calendar month's net cash flow is dated at the month's end (the last
    month at `end`) and discounted by (1 + rate)^(days from `valuation_date` / 365), as
    spreadsheet XNPV does. NPV and IRR cover the flows inside the horizon only."""
    valuation_date: dt.date | None = None
    """The date NPVs are valued at (default: `start`). With it set, moving `start` or `end`
    changes an NPV only through the flows that enter or leave the horizon."""

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

    model_config = ConfigDict(json_schema_extra=_sites_or_imports)

    RULES = (
        "`sites` is required, unless the file has `imports` (it may then take every site "
        "from them).",
        "Each import is a path relative to this file that stays inside its folder tree (not "
        "absolute, no `..` or symlink leading out); imports may not form a cycle; a site, "
        "platform, delivery, contract or variant name comes from one imported file only.",
        "Each key of a variant is a key path (keys joined by dots, list items as `[n]`, e.g. "
        "`deliveries.dell.tranches[2].date`) that leads through keys and list items the file "
        "has; its last key may also be one the file leaves at its default. A variant cannot "
        "change `imports` or `variants`. The value must be valid where it goes, like the rest "
        "of the file.",
    )

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
    variants: dict[Name, dict[str, Any]] = Field(
        default_factory=dict, exclude=True, json_schema_extra=_key_paths
    )
    """Named sets of overrides by key path (`deliveries.dell.slip: 60d`,
    `sites.childress.crews.count: 5`, `deliveries.dell.tranches[2].date: 2026-09-15`), run
    with `dcsim run --variant NAME` or compared with `dcsim compare`."""
    search: Search | None = None
    """What `dcsim search` looks for: decision variables, an objective and constraints
    (see the README's "Sweeps and search")."""

    def with_overrides(self, overrides: Mapping[str, Any]) -> "Scenario":
        """This scenario with values changed by key path, validated and cross-checked like a
        file; the scenario itself is unchanged::

            fewer = scenario.with_overrides({"sites.childress.crews.count": 5})

        Keys are the paths variants use (``deliveries.dell.tranches[2].date``); values are
        what the file would hold (``5``, ``"60d"``, ``datetime.date(2026, 9, 15)``, a
        distribution as a dict). A bad path or value raises `sim.errors.ScenarioError`
        naming the override."""
        return _OVERRIDES[0](self, overrides)


Overrider = Callable[[Scenario, Mapping[str, Any]], Scenario]
_OVERRIDES: list[Overrider] = []
"""The implementation of `Scenario.with_overrides`. It validates with the loader, which
imports this module, so the scenario package provides it when it is imported (always before
this module): see `bind_overrides`."""


def bind_overrides(implementation: Overrider) -> None:
    """Install the implementation of `Scenario.with_overrides` (done by `sim.scenario`)."""
    _OVERRIDES[:] = [implementation]
