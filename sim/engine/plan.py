"""The build step before a run (desmod's `elaborate`): a concrete scenario -> a frozen plan.

The plan is all the SimPy processes see: plain numbers (days since the start, MW, racks,
USD) and resolved references (which contract a hall serves, the MW it counts toward it,
the tenant's load, the contract units and GPUs an accepted rack counts for, the smallest
rack delivered to each site). Rules about the scenario are decided here or in
`sim.scenario.topology`, never in the engine.

Each milestone's timing is a `Start`: an absolute day, or a predecessor plus a lag, then a
delay. Pinning an actual (a hall ready on a recorded date, a construction with only its
remaining duration left) is a matter of building different plan values.

The plan's types are here; `sim.engine.planparts` builds each part from exactly the inputs
it is given, and `sim.engine.buildplan.build_plan` puts a scenario's plan together from its
parts, kept across Monte Carlo replications that share their inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from sim.engine.calendar import PausePlan
from sim.engine.rollout import AcceptancePlan
from sim.units import MW, Days


@dataclass(frozen=True)
class Start:
    """When a milestone's clock starts: at ``day``, or ``lag`` after the predecessor
    ``after`` completes; then ``delay`` later."""

    day: Days | None
    after: str | None
    lag: Days
    delay: Days
    not_before: Days | None = None
    """Not before this day (a status update's data date, for a milestone not recorded)."""
    gate: Days | None = None
    """Not before the approval gate clears (its expected day plus its delay)."""


@dataclass(frozen=True)
class GridPhasePlan:
    name: str
    mw: MW
    start: Start
    """When it energizes (`after` names another phase of the site)."""


@dataclass(frozen=True)
class RackUnits:
    """What one accepted rack of a platform counts for in a contract."""

    units: float
    gpus_per_unit: float


@dataclass(frozen=True)
class TranchePlan:
    number: int
    """1-based, in file order."""
    due: Days
    units: float
    hall: str | None = None
    """The hall whose units alone fill it; None: any of the contract's units."""
    opens: Days = -math.inf
    """It takes units from this day (a tranche added by an amendment)."""
    closes: Days = math.inf
    """It takes no units from this day (a tranche removed by an amendment)."""


@dataclass(frozen=True)
class ContractPlan:
    name: str
    site: str
    tranches: tuple[TranchePlan, ...]
    """In file order."""
    per_rack: Mapping[str, RackUnits]
    """Platform -> what one of its accepted racks counts for (GPU contracts only)."""
    tenant_load_factor: float = 1.0
    """Colocation: share of the handed-over IT MW the tenant draws."""
    tenant_pays_power: bool = False
    bills_available: bool = False
    """GPU cloud: only the GPUs online bill, not those out for repair (`billed_gpus`)."""
    recorded: tuple[tuple[Days, float, str | None], ...] = ()
    """Units recorded accepted by a status update (a GPU contract's tranches): (day, units,
    the tranche's hall or None)."""
    acceptance: tuple[AcceptancePlan, ...] = ()
    """Per tranche in file order; empty when every tranche is accepted as it is ready (each
    lot, no extra time: the default)."""


@dataclass(frozen=True)
class HallPlan:
    site: str
    name: str
    it_mw: MW
    grid_mw: MW
    """Grid MW the hall reserves before commissioning."""
    average_pue: float
    cooling: Literal["liquid", "air"]
    construction_start: Start
    """`after` names another hall of the site."""
    construction: Days
    commissioning: Days
    capex_usd: float
    takes_racks: bool
    contract: ContractPlan | None
    basis_mw: MW
    """MW the hall counts toward its contract when handed over (colocation)."""
    ready_day: Days | None = None
    """Recorded ready day (a status update): commissioning ends then, whatever it drew."""
    ready_not_before: Days | None = None
    """Not ready before this day (a status update's data date, readiness not recorded)."""
    installed: tuple[tuple[Days, int], ...] = ()
    """Recorded installations: (day, racks)."""
    accepted: tuple[tuple[Days, int], ...] = ()
    """Recorded acceptances of installed racks: (day, racks)."""
    handover_day: Days | None = None
    """Recorded handover to a colocation tenant."""

    @cached_property
    def key(self) -> str:
        """Random-stream key prefix of the hall (built once: a hall draws per lot)."""
        return f"{self.site}/{self.name}"


@dataclass(frozen=True)
class PlatformPlan:
    name: str
    gpus_per_rack: int
    hall_kw_per_rack: float
    cooling: Literal["liquid", "air", "any"]
    burn_in: Days
    fallout: float
    rework: Days
    unavailability: float
    price_usd_per_rack: float

    def fits(self, cooling: str) -> bool:
        return self.cooling in ("any", cooling)


@dataclass(frozen=True)
class DeliveryTranchePlan:
    number: int
    """1-based, in file order."""
    arrives: Days
    racks: int


@dataclass(frozen=True)
class DeliveryPlan:
    name: str
    site: str
    platform: str
    payment_terms: Days
    tranches: tuple[DeliveryTranchePlan, ...]


@dataclass(frozen=True)
class MiningPlan:
    it_mw: MW
    pue: float


@dataclass(frozen=True)
class CrewPlan:
    count: int
    racks_per_week: float
    job_racks: int


@dataclass(frozen=True)
class SitePlan:
    name: str
    grid: tuple[GridPhasePlan, ...]
    halls: tuple[HallPlan, ...]
    mining: MiningPlan | None
    crews: CrewPlan | None
    smallest_rack_kw: float
    """Hall kW of the smallest rack delivered to the site; less free space is stranded."""
    as_of: Days | None = None
    """A status update's data date: crews take no unrecorded job and no rack is accepted
    unrecorded before it."""
    retired: tuple[tuple[Days, MW], ...] = ()
    """Mining retirements, planned (`mining.retirements`) or recorded by a status update:
    (day, IT MW)."""
    pauses: tuple[PausePlan, ...] = ()
    """Windows in which the listed work does not progress."""


@dataclass(frozen=True)
class Plan:
    """Everything one run needs, in plain numbers."""

    horizon: Days
    """The run ends here: the day after the scenario's end date."""
    sites: tuple[SitePlan, ...]
    platforms: Mapping[str, PlatformPlan]
    contracts: Mapping[str, ContractPlan]
    deliveries: tuple[DeliveryPlan, ...]
    as_of: Days | None = None
    """A status update's data date (None without a status)."""
