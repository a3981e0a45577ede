"""The build step before a run (desmod's `elaborate`): a concrete scenario -> a frozen plan.

The plan is all the SimPy processes see: plain numbers (days since the start, MW, racks,
USD) and resolved references (which contract a hall serves, the MW it counts toward it,
the tenant's load, the contract units and GPUs an accepted rack counts for, the smallest
rack delivered to each site). Rules about the scenario are decided here or in
`sim.scenario.topology`, never in the engine.

Each milestone's timing is a `Start`: an absolute day, or a predecessor plus a lag, then a
delay. Pinning an actual (a hall ready on a recorded date, a construction with only its
remaining duration left) is a matter of building different plan values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Literal

from sim.engine.calendar import PausePlan
from sim.engine.rollout import AcceptancePlan, acceptance_plans, gate_day, pause_plan, retirements
from sim.scenario.amendments import windows
from sim.scenario.schema import Contract, Delivery, Hall, Platform, Scenario, Site
from sim.scenario.schema.contract import ColocationContract
from sim.scenario.topology import (
    basis_mw,
    contract_halls,
    deliveries_at,
    gpus_per_unit,
    rack_halls,
    tranches,
    units_per_rack,
)
from sim.units import MW, Days, to_days


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


def build_plan(scenario: Scenario) -> Plan:
    """The plan of a concrete scenario (no distributions left: see `sim.engine.realize`)."""
    start = scenario.scenario.start
    platforms = {n: _platform(n, p) for n, p in scenario.platforms.items()}
    contracts = {n: _contract(scenario, n, c) for n, c in scenario.contracts.items()}
    serving = {
        (scenario.contracts[name].site, hall): name
        for name, halls in contract_halls(scenario).items()
        for hall in halls
    }
    sites = []
    for site_name, site in scenario.sites.items():
        takes_racks = set(rack_halls(scenario, site_name))
        halls = []
        for hall_name, hall in site.halls.items():
            owner = serving.get((site_name, hall_name))
            contract = scenario.contracts[owner] if owner is not None else None
            halls.append(
                _hall(
                    scenario,
                    site_name,
                    hall_name,
                    hall,
                    contracts[owner] if owner is not None else None,
                    basis_mw(contract, hall),
                    hall_name in takes_racks,
                )
            )
        sites.append(_site(scenario, site_name, site, tuple(halls)))
    deliveries = tuple(_delivery(scenario, n, d) for n, d in scenario.deliveries.items())
    return Plan(
        horizon=to_days(scenario.scenario.end, start) + 1.0,
        sites=tuple(sites),
        platforms=MappingProxyType(platforms),
        contracts=MappingProxyType(contracts),
        deliveries=deliveries,
    )


def _site(scenario: Scenario, name: str, site: Site, halls: tuple[HallPlan, ...]) -> SitePlan:
    start = scenario.scenario.start
    grid = tuple(
        GridPhasePlan(
            p.name,
            p.mw,
            Start(
                to_days(p.energized, start) if p.energized is not None else None,
                p.after,
                _days(p.lead_time),
                _days(p.delay),
                gate=gate_day(p.gate, start),
            ),
        )
        for p in site.grid
    )
    mining = MiningPlan(site.mining.it_mw, site.mining.pue) if site.mining else None
    crews = site.crews
    kws = [scenario.platforms[d.platform].hall_kw_per_rack for d in deliveries_at(scenario, name)]
    return SitePlan(
        name,
        grid,
        halls,
        mining,
        CrewPlan(crews.count, crews.racks_per_week, crews.job_racks) if crews else None,
        min(kws, default=0.0),
        retired=retirements(site, start),
        pauses=tuple(pause_plan(p, start) for p in site.pauses),
    )


def _hall(
    scenario: Scenario,
    site: str,
    name: str,
    hall: Hall,
    contract: ContractPlan | None,
    basis: MW,
    takes_racks: bool,
) -> HallPlan:
    build = hall.construction
    return HallPlan(
        site=site,
        name=name,
        it_mw=hall.it_mw,
        grid_mw=hall.required_grid_mw,
        average_pue=hall.average_pue,
        cooling=hall.cooling,
        construction_start=Start(
            to_days(build.start, scenario.scenario.start) if build.start is not None else None,
            build.after,
            _days(build.lag),
            _days(build.delay),
            gate=gate_day(hall.gate, scenario.scenario.start),
        ),
        construction=_days(build.duration) + _days(build.slip),
        commissioning=_days(hall.commissioning),
        capex_usd=_number(hall.capex_usd_per_mw) * hall.it_mw,
        takes_racks=takes_racks,
        contract=contract,
        basis_mw=basis,
    )


def _contract(scenario: Scenario, name: str, contract: Contract) -> ContractPlan:
    start = scenario.scenario.start
    due = tuple(
        TranchePlan(
            i + 1,
            to_days(t.due, start),
            float(t.units),
            t.hall,
            to_days(w.opens, start) if w.opens is not None else -math.inf,
            to_days(w.closes, start) if w.closes is not None else math.inf,
        )
        for i, (t, w) in enumerate(zip(tranches(contract), windows(contract), strict=True))
    )
    accept = acceptance_plans(scenario, name)
    if isinstance(contract, ColocationContract):
        return ContractPlan(
            name,
            contract.site,
            due,
            MappingProxyType({}),
            _number(contract.tenant_load_factor),
            contract.tenant_pays_power,
            acceptance=accept,
        )
    per_rack = {
        n: RackUnits(units_per_rack(contract, p), gpus_per_unit(contract, p))
        for n, p in scenario.platforms.items()
    }
    return ContractPlan(
        name,
        contract.site,
        due,
        MappingProxyType(per_rack),
        bills_available=contract.billed_gpus == "available",
        acceptance=accept,
    )


def _platform(name: str, platform: Platform) -> PlatformPlan:
    return PlatformPlan(
        name,
        platform.gpus_per_rack,
        platform.hall_kw_per_rack,
        platform.cooling,
        _days(platform.burn_in),
        _number(platform.fallout),
        _days(platform.rework),
        platform.unavailability,
        _number(platform.price_usd_per_rack),
    )


def _delivery(scenario: Scenario, name: str, delivery: Delivery) -> DeliveryPlan:
    start = scenario.scenario.start
    tranches = tuple(
        DeliveryTranchePlan(
            i + 1, to_days(t.date, start) + _days(delivery.slip) + _days(t.slip), t.racks
        )
        for i, t in enumerate(delivery.tranches)
    )
    return DeliveryPlan(name, delivery.site, delivery.platform, delivery.payment_terms, tranches)


def _days(value: object) -> Days:
    """A realized duration (a plain number once `realize` has run)."""
    return _number(value)


_NUMBER = (int, float)
"""What `_number` takes (a tuple: ``int | float`` would build a union at each call)."""


def _number(value: object) -> float:
    """A realized number; a distribution left here is a bug in the caller (run `realize`)."""
    if isinstance(value, bool) or not isinstance(value, _NUMBER):
        raise TypeError(f"the plan needs a concrete scenario: got {value!r}; realize it first")
    return float(value)
