"""A status update applied to the plan: the recorded past pinned, the rest at or after `as_of`.

The rules at the data date (`as_of`), as schedule-risk tools apply them:

- an actual is pinned exactly, in every replication and in the plan run;
- work under way samples only its remaining duration: its duration is drawn given that it is
  longer than the time already spent (see `sim.engine.realize`), or scaled by the share left
  when `percent_complete` is recorded;
- a milestone with no actual happens at or after `as_of`, whatever its plan date; nothing
  starts before `as_of` unless it is recorded.

The SimPy processes stay a plain story: they read pinned days and `not_before` floors from the
`Plan`, built here from the concrete plan and the scenario's `status` block.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

from sim.engine.plan import (
    ContractPlan,
    DeliveryPlan,
    DeliveryTranchePlan,
    GridPhasePlan,
    HallPlan,
    Plan,
    SitePlan,
    Start,
)
from sim.identitycache import Memo
from sim.scenario.schema import Scenario
from sim.scenario.schema.contract import ColocationContract
from sim.scenario.status import Actuals, actuals
from sim.scenario.status import recorded as status_records
from sim.units import Days


def in_progress(scenario: Scenario) -> dict[str, Days]:
    """Constructions under way at the data date (started, not finished, no
    `percent_complete`, hall not ready), by key path (``sites.S.halls.H.construction``), with
    the days already spent: their `duration` + `slip` is drawn given that it exceeds them."""
    status = scenario.status
    if status is None:
        return {}
    out: dict[str, Days] = {}
    for site_name, site in status.sites.items():
        for hall_name, hall in site.halls.items():
            work = hall.construction
            if work is None or work.started is None or hall.ready is not None:
                continue
            if work.finished is None and work.percent_complete is None:
                path = f"sites.{site_name}.halls.{hall_name}.construction"
                out[path] = float((status.as_of - work.started).days)
    return out


def apply_status(plan: Plan, scenario: Scenario, cached: bool = True) -> Plan:
    """The plan with the scenario's status applied (the plan itself when it has none).

    It reads of the status only what depends on the status and the start alone, kept per
    (status, start) objects across replications (``cached=False``: worked out again, from
    the whole scenario's `actuals`; the same plan)."""
    status = scenario.status
    if status is None:
        return plan
    recorded = _RECORDED(status, scenario.scenario.start) if cached else actuals(scenario)
    assert recorded is not None
    sites = tuple(_site(s, scenario, recorded) for s in plan.sites)
    deliveries = tuple(_delivery(d, recorded) for d in plan.deliveries)
    contracts = {n: _contract(c, scenario, recorded) for n, c in plan.contracts.items()}
    return dataclasses.replace(
        plan,
        sites=sites,
        deliveries=deliveries,
        contracts=MappingProxyType(contracts),
        as_of=recorded.as_of_day,
    )


_RECORDED = Memo(status_records, 1)
"""A status's records from a start (without the MW the sites hold, which the engine does not
read)."""


def _contract(contract: ContractPlan, scenario: Scenario, recorded: Actuals) -> ContractPlan:
    """A GPU contract's recorded tranche acceptances count on their dates (a colocation
    tranche's acceptance is its hall's handover: see `_handovers`)."""
    if isinstance(scenario.contracts[contract.name], ColocationContract):
        return contract
    found = tuple(
        (r.day, float(r.quantity or 0.0), tranche.hall)
        for i, tranche in enumerate(contract.tranches)
        for r in recorded.of(f"contracts.{contract.name}.tranches[{i}]", "accepted")
    )
    return (
        dataclasses.replace(contract, recorded=tuple(sorted(found, key=lambda r: (r[0], r[1]))))
        if found
        else contract
    )


def _site(site: SitePlan, scenario: Scenario, recorded: Actuals) -> SitePlan:
    grid = tuple(_phase(p, site.name, recorded) for p in site.grid)
    handovers = _handovers(scenario, site.name, recorded)
    halls = tuple(_hall(h, recorded, handovers.get(h.name)) for h in site.halls)
    return dataclasses.replace(
        site,
        grid=grid,
        halls=halls,
        as_of=recorded.as_of_day,
        retired=_retired(site, scenario, recorded),
    )


def _retired(
    site: SitePlan, scenario: Scenario, recorded: Actuals
) -> tuple[tuple[Days, float], ...]:
    """Recorded retirements on their days; they stand for the planned steps in date order, up
    to the MW they retired. The rest of the plan's steps happen on their days, or at the data
    date if that is past."""
    mining = scenario.sites[site.name].mining
    out: list[tuple[Days, float]] = []
    done = 0.0
    for r in recorded.of(f"sites.{site.name}.mining", "retired"):
        assert r.quantity is not None
        mw = r.quantity if r.unit == "mw" or mining is None else r.quantity * mining.j_per_th
        out.append((r.day, mw))
        done += mw
    for day, mw in site.retired:
        covered = min(done, mw)
        done -= covered
        if mw - covered > 1e-9:
            out.append((max(day, recorded.as_of_day), mw - covered))
    return tuple(out)


def _given(start: Start) -> bool:
    """A grid phase dated on or before the scenario's start is the existing grid: the given
    past, as the status checks count it."""
    gated = start.gate is not None and start.gate > 0.0
    return start.day is not None and start.after is None and start.day <= 0.0 and not gated


def _phase(phase: GridPhasePlan, site: str, recorded: Actuals) -> GridPhasePlan:
    entity = f"sites.{site}.grid.{phase.name}"
    energized = recorded.of(entity, "energized")
    if energized:
        return dataclasses.replace(phase, start=Start(energized[0].day, None, 0.0, 0.0))
    if _given(phase.start):
        return phase
    return dataclasses.replace(phase, start=_unrecorded(phase.start, recorded, entity))


def _unrecorded(start: Start, recorded: Actuals, entity: str) -> Start:
    """A start not recorded: at or after the data date, and after its gate (on the day it was
    recorded cleared, else as drawn)."""
    cleared = recorded.of(entity, "gate_cleared")
    gate = cleared[0].day if cleared else start.gate
    return dataclasses.replace(start, not_before=recorded.as_of_day, gate=gate)


def _hall(hall: HallPlan, recorded: Actuals, handover: Days | None) -> HallPlan:
    entity = f"sites.{hall.site}.halls.{hall.name}"
    as_of = recorded.as_of_day

    def day(milestone: str) -> Days | None:
        found = recorded.of(entity, milestone)
        return found[0].day if found else None

    started, finished, ready = (
        day("construction_started"),
        day("construction_finished"),
        day("ready"),
    )
    progress = recorded.of(entity, "construction_progress")
    duration = hall.construction
    if finished is None and ready is not None:
        # Ready implies built: construction ends by the ready day at the latest.
        if started is not None:
            finished = min(started + duration, ready)
        else:
            finished = ready - hall.commissioning
    if started is None and finished is not None:
        started = finished - duration
    if started is None:
        start = _unrecorded(hall.construction_start, recorded, entity)
        return dataclasses.replace(hall, construction_start=start, handover_day=handover)
    if finished is not None:
        duration = max(finished - started, 0.0)
    elif progress:
        share_left = 1.0 - (progress[0].quantity or 0.0) / 100.0
        duration = (as_of - started) + share_left * duration
    else:
        duration = max(duration, as_of - started)  # at or after the data date
    return dataclasses.replace(
        hall,
        construction_start=Start(started, None, 0.0, 0.0),
        construction=duration,
        ready_day=ready,
        ready_not_before=None if ready is not None else as_of,
        installed=_racks(recorded, entity, "installed"),
        accepted=_racks(recorded, entity, "accepted"),
        handover_day=handover,
    )


def _racks(recorded: Actuals, entity: str, milestone: str) -> tuple[tuple[Days, int], ...]:
    return tuple((r.day, int(r.quantity or 0)) for r in recorded.of(entity, milestone))


def _handovers(scenario: Scenario, site: str, recorded: Actuals) -> Mapping[str, Days]:
    """Colocation halls whose tranche's handover acceptance is recorded: hall -> day."""
    out: dict[str, Days] = {}
    for name, contract in scenario.contracts.items():
        if not isinstance(contract, ColocationContract) or contract.site != site:
            continue
        for i, tranche in enumerate(contract.tranches):
            found = recorded.of(f"contracts.{name}.tranches[{i}]", "accepted")
            if found and tranche.hall is not None:
                out[tranche.hall] = found[0].day
    return out


def _delivery(delivery: DeliveryPlan, recorded: Actuals) -> DeliveryPlan:
    """Recorded arrivals fill the delivery's tranches in order, on their dates; what has not
    arrived by the data date arrives on its drawn date, or at the data date if that is past."""
    arrived = [(r.day, int(r.quantity or 0)) for r in recorded.of(f"deliveries.{delivery.name}")]
    out: list[DeliveryTranchePlan] = []
    left = [t.racks for t in delivery.tranches]
    i = 0
    for when, racks in arrived:
        while racks > 0 and i < len(left):
            take = min(racks, left[i])
            out.append(DeliveryTranchePlan(delivery.tranches[i].number, when, take))
            racks -= take
            left[i] -= take
            if left[i] == 0:
                i += 1
    for t, rest in zip(delivery.tranches, left, strict=True):
        if rest > 0:
            arrives = t.arrives if t.arrives <= 0.0 else max(t.arrives, recorded.as_of_day)
            out.append(DeliveryTranchePlan(t.number, arrives, rest))
    return dataclasses.replace(delivery, tranches=tuple(out))
