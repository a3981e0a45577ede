"""The parts of a plan, each built from exactly the inputs it is given (see `sim.engine.plan`).

Each builder takes the scenario objects it reads first, then plain values (names, the
start date, flags), and reads its arguments and nothing else (nor do the helpers it calls):
no scenario to reach into. So the arguments are a complete key for the part, and
`sim.engine.buildplan` keeps each part per arguments (objects by identity), building again
in a Monte Carlo replication only the parts whose objects `realize` copied because they hold
a drawn value. A builder that read more than its arguments would make that key unsafe: add
what it reads as an argument instead.
"""

from __future__ import annotations

import datetime as dt
import math
from types import MappingProxyType

from sim.engine.plan import (
    ContractPlan,
    CrewPlan,
    DeliveryPlan,
    DeliveryTranchePlan,
    GridPhasePlan,
    HallPlan,
    MiningPlan,
    PlatformPlan,
    RackUnits,
    Start,
    TranchePlan,
)
from sim.engine.rollout import acceptance_plans, gate_day
from sim.scenario.amendments import windows
from sim.scenario.schema import Contract, Crews, Delivery, GridPhase, Hall, Mining, Platform
from sim.scenario.schema.contract import ColocationContract
from sim.scenario.topology import basis_mw, gpus_per_unit, rack_units, tranches
from sim.units import Days, to_days


def grid_phase_plan(phase: GridPhase, start: dt.date) -> GridPhasePlan:
    return GridPhasePlan(
        phase.name,
        phase.mw,
        Start(
            to_days(phase.energized, start) if phase.energized is not None else None,
            phase.after,
            days(phase.lead_time),
            days(phase.delay),
            gate=gate_day(phase.gate, start),
        ),
    )


def mining_plan(mining: Mining) -> MiningPlan:
    return MiningPlan(mining.it_mw, mining.pue)


def crew_plan(crews: Crews) -> CrewPlan:
    return CrewPlan(crews.count, crews.racks_per_week, crews.job_racks)


def hall_plan(
    hall: Hall,
    contract: Contract | None,
    serving: ContractPlan | None,
    site: str,
    name: str,
    start: dt.date,
    takes_racks: bool,
) -> HallPlan:
    """A hall's plan: ``contract`` is the contract it serves (None: none), ``serving`` that
    contract's plan."""
    build = hall.construction
    return HallPlan(
        site=site,
        name=name,
        it_mw=hall.it_mw,
        grid_mw=hall.required_grid_mw,
        average_pue=hall.average_pue,
        cooling=hall.cooling,
        construction_start=Start(
            to_days(build.start, start) if build.start is not None else None,
            build.after,
            days(build.lag),
            days(build.delay),
            gate=gate_day(hall.gate, start),
        ),
        construction=days(build.duration) + days(build.slip),
        commissioning=days(hall.commissioning),
        capex_usd=number(hall.capex_usd_per_mw) * hall.it_mw,
        takes_racks=takes_racks,
        contract=serving,
        basis_mw=basis_mw(contract, hall),
    )


def contract_plan(
    contract: Contract, name: str, start: dt.date, gpus_per_rack: tuple[tuple[str, int], ...]
) -> ContractPlan:
    """A contract's plan; ``gpus_per_rack`` is each platform's (name, GPUs per rack), all a
    GPU contract reads of the platforms."""
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
    accept = acceptance_plans(contract)
    if isinstance(contract, ColocationContract):
        return ContractPlan(
            name,
            contract.site,
            due,
            MappingProxyType({}),
            number(contract.tenant_load_factor),
            contract.tenant_pays_power,
            acceptance=accept,
        )
    per_rack = {
        n: RackUnits(rack_units(contract, gpus), gpus_per_unit(contract, gpus))
        for n, gpus in gpus_per_rack
    }
    return ContractPlan(
        name,
        contract.site,
        due,
        MappingProxyType(per_rack),
        bills_available=contract.billed_gpus == "available",
        acceptance=accept,
    )


def platform_plan(platform: Platform, name: str) -> PlatformPlan:
    return PlatformPlan(
        name,
        platform.gpus_per_rack,
        platform.hall_kw_per_rack,
        platform.cooling,
        days(platform.burn_in),
        number(platform.fallout),
        days(platform.rework),
        platform.unavailability,
        number(platform.price_usd_per_rack),
    )


def delivery_plan(delivery: Delivery, name: str, start: dt.date) -> DeliveryPlan:
    arrivals = tuple(
        DeliveryTranchePlan(
            i + 1, to_days(t.date, start) + days(delivery.slip) + days(t.slip), t.racks
        )
        for i, t in enumerate(delivery.tranches)
    )
    return DeliveryPlan(name, delivery.site, delivery.platform, delivery.payment_terms, arrivals)


_NUMBER = (int, float)
"""What `number` and `days` take (a tuple: ``int | float`` would build a union at each call)."""


def number(value: object) -> float:
    """A realized number; a distribution left here is a bug in the caller (run `realize`)."""
    if isinstance(value, bool) or not isinstance(value, _NUMBER):
        raise TypeError(f"the plan needs a concrete scenario: got {value!r}; realize it first")
    return float(value)


def days(value: object) -> Days:
    """A realized duration (a plain number once `realize` has run; `number`, inlined: a
    plan calls it about 60 times)."""
    if isinstance(value, bool) or not isinstance(value, _NUMBER):
        raise TypeError(f"the plan needs a concrete scenario: got {value!r}; realize it first")
    return float(value)
