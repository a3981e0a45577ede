"""A concrete scenario's plan, assembled from parts kept across Monte Carlo replications.

`build_plan` puts together the parts `sim.engine.planparts` builds: platforms, deliveries,
contracts, and per site its grid phases, halls, mining fleet, crews, retirements and pauses.
Each part's builder reads its arguments and nothing else, so each is kept per arguments
(`sim.identitycache.Memo`: objects by identity, while they live; plain values by value).
A replication's concrete scenario shares every object `realize` did not copy with the
uncertain scenario, so only the parts that read a copied object (one that holds a drawn
value, or holds one that does) are built again; the plan is equal to one built from scratch
(``cached=False``), part for part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from sim.engine.calendar import PausePlan
from sim.engine.inputs import NOTHING_COPIED, Copied
from sim.engine.plan import (
    ContractPlan,
    CrewPlan,
    DeliveryPlan,
    GridPhasePlan,
    HallPlan,
    MiningPlan,
    Plan,
    PlatformPlan,
    SitePlan,
)
from sim.engine.planparts import (
    contract_plan,
    crew_plan,
    delivery_plan,
    grid_phase_plan,
    hall_plan,
    mining_plan,
    platform_plan,
)
from sim.engine.rollout import pause_plan, retirements
from sim.identitycache import Memo
from sim.scenario.schema import (
    Contract,
    Crews,
    Delivery,
    GridPhase,
    Hall,
    Mining,
    Platform,
    Scenario,
    Site,
)
from sim.scenario.schema.progress import Pause
from sim.scenario.topology import contract_halls, deliveries_at, rack_halls
from sim.units import MW, Days, to_days

__all__ = ["FRESH", "KEPT", "Parts", "build_plan"]


@dataclass(frozen=True)
class Parts:
    """The part builders a plan is assembled with."""

    platform: Callable[[Platform, str], PlatformPlan]
    delivery: Callable[[Delivery, str, dt.date], DeliveryPlan]
    contract: Callable[[Contract, str, dt.date, tuple[tuple[str, int], ...]], ContractPlan]
    phase: Callable[[GridPhase, dt.date], GridPhasePlan]
    hall: Callable[[Hall, Contract | None, ContractPlan | None, str, str, dt.date, bool], HallPlan]
    mining: Callable[[Mining], MiningPlan]
    crews: Callable[[Crews], CrewPlan]
    retired: Callable[[Mining, dt.date], tuple[tuple[Days, MW], ...]]
    pause: Callable[[Pause, dt.date], PausePlan]


FRESH = Parts(
    platform_plan,
    delivery_plan,
    contract_plan,
    grid_phase_plan,
    hall_plan,
    mining_plan,
    crew_plan,
    retirements,
    pause_plan,
)
"""Every part built from scratch."""
KEPT = Parts(
    Memo(platform_plan, 1),
    Memo(delivery_plan, 1),
    Memo(contract_plan, 1),
    Memo(grid_phase_plan, 1),
    Memo(hall_plan, 3),
    Memo(mining_plan, 1),
    Memo(crew_plan, 1),
    Memo(retirements, 1),
    Memo(pause_plan, 1),
)
"""Every part kept per arguments: each part's objects first, by identity (`Memo`)."""


def build_plan(scenario: Scenario, copied: Copied = NOTHING_COPIED, cached: bool = True) -> Plan:
    """The plan of a concrete scenario (no distributions left: see `sim.engine.realize`).
    ``cached=False`` builds every part from scratch (the same plan).

    ``copied`` are the models `realize` copied for this replication (`Realization.copied`): a
    part that reads one is built from scratch too, since no later replication will find it,
    so keeping it would only cost (about as much again as building it). They decide only
    whether a part is kept, never what it is."""
    kept = KEPT if cached else FRESH
    made = copied.ids if cached else frozenset()

    def parts(one: object, other: object = None) -> Parts:
        """The builders of a part that reads ``one`` (and ``other``)."""
        return FRESH if id(one) in made or id(other) in made else kept

    start = scenario.scenario.start
    platforms = {n: parts(p).platform(p, n) for n, p in scenario.platforms.items()}
    gpus = tuple((n, p.gpus_per_rack) for n, p in scenario.platforms.items())
    contracts = {n: parts(c).contract(c, n, start, gpus) for n, c in scenario.contracts.items()}
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
                parts(hall, contract).hall(
                    hall,
                    contract,
                    contracts[owner] if owner is not None else None,
                    site_name,
                    hall_name,
                    start,
                    hall_name in takes_racks,
                )
            )
        kws = [
            scenario.platforms[d.platform].hall_kw_per_rack
            for d in deliveries_at(scenario, site_name)
        ]
        sites.append(_site(parts, site_name, site, start, tuple(halls), min(kws, default=0.0)))
    deliveries = tuple(parts(d).delivery(d, n, start) for n, d in scenario.deliveries.items())
    return Plan(
        horizon=to_days(scenario.scenario.end, start) + 1.0,
        sites=tuple(sites),
        platforms=MappingProxyType(platforms),
        contracts=MappingProxyType(contracts),
        deliveries=deliveries,
    )


def _site(
    parts: Callable[..., Parts],
    name: str,
    site: Site,
    start: dt.date,
    halls: tuple[HallPlan, ...],
    smallest_rack_kw: float,
) -> SitePlan:
    mining, crews = site.mining, site.crews
    return SitePlan(
        name,
        tuple(parts(p).phase(p, start) for p in site.grid),
        halls,
        parts(mining).mining(mining) if mining is not None else None,
        parts(crews).crews(crews) if crews is not None else None,
        smallest_rack_kw,
        retired=parts(mining).retired(mining, start) if mining is not None else (),
        pauses=tuple(parts(p).pause(p, start) for p in site.pauses),
    )
