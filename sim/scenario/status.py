"""Status updates: what the engine reads of a scenario's recorded past.

A status update records, up to a data date (`as_of`), what actually happened: phases
energized, halls built and ready, racks arrived, installed and accepted, tranches accepted,
mining retired. These pure functions give the engine the typed records (`actuals`), the due
date of a tranche in force at a date (`effective_due`, `revisions`) and the acceptance that
applies to a tranche (`tranche_acceptance`); the engine applies them in `sim.engine.status`. The
rules a status must satisfy are in `statuschecks`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from sim.scenario.amendments import all_tranches
from sim.scenario.schema import Contract, Scenario
from sim.scenario.schema.contract import ColoTranche, GpuTranche
from sim.scenario.schema.progress import Acceptance, Revision
from sim.scenario.schema.site import GridPhase
from sim.scenario.schema.status import HallActual, SiteActual, Status

Tranche = GpuTranche | ColoTranche


_Add = Callable[..., None]
"""Adds one actual record: (entity, milestone, date, quantity, unit)."""


@dataclass(frozen=True)
class Actual:
    """One recorded milestone: what happened to which entity, when, and how much."""

    entity: str
    """Key path of the entity in the scenario (`sites.childress.halls.horizon_1`)."""
    milestone: str
    """`energized`, `gate_cleared`, `construction_started`, `construction_finished`,
    `construction_progress`, `ready`, `arrived`, `installed`, `accepted` or `retired`."""
    date: dt.date
    """Date it happened (for `construction_progress`: the data date)."""
    day: float
    """The same date in simulation days from the scenario's start."""
    quantity: float | None = None
    """How much, in `unit` (None for a milestone with no quantity)."""
    unit: str = ""
    """`mw`, `racks`, `gpus`, `ehs` or `percent`."""


@dataclass(frozen=True)
class Actuals:
    """The data date and every recorded milestone, in date order."""

    as_of: dt.date
    as_of_day: float
    records: tuple[Actual, ...]

    def of(self, entity: str, milestone: str | None = None) -> list[Actual]:
        """The records of one entity (and one milestone, if given), in date order."""
        found = self._by_entity.get(entity, ())
        return [r for r in found if milestone is None or r.milestone == milestone]

    @cached_property
    def _by_entity(self) -> dict[str, list[Actual]]:
        """The records by entity, in date order (worked out on the first `of`)."""
        out: dict[str, list[Actual]] = {}
        for r in self.records:
            out.setdefault(r.entity, []).append(r)
        return out


def actuals(scenario: Scenario) -> Actuals | None:
    """The scenario's recorded past, or None when it has no `status` block."""
    status = scenario.status
    if status is None:
        return None
    return recorded(status, scenario.scenario.start, scenario)


def recorded(status: Status, start: dt.date, sizes: Scenario | None = None) -> Actuals:
    """The records of ``status`` in days from ``start``. The MW of a phase energized, and of
    a hall ready with no MW recorded, are those of ``sizes``' phase and hall (None without
    it: what the engine reads of a status depends on the status and the start alone)."""
    out: list[Actual] = []

    def add(
        entity: str, milestone: str, date: dt.date, qty: float | None = None, unit: str = ""
    ) -> None:
        out.append(Actual(entity, milestone, date, float((date - start).days), qty, unit))

    for site_name, site in status.sites.items():
        _site_actuals(sizes, status, site_name, site, add)
    for name, delivery in status.deliveries.items():
        for r in delivery.arrived:
            add(f"deliveries.{name}", "arrived", r.date, r.racks, "racks")
    for name, contract in status.contracts.items():
        for i, tranche in enumerate(contract.tranches):
            for a in tranche.accepted:
                add(f"contracts.{name}.tranches[{i}]", "accepted", a.date, a.units, a.unit)
    out.sort(key=lambda r: r.date)
    return Actuals(status.as_of, float((status.as_of - start).days), tuple(out))


def _site_actuals(
    scenario: Scenario | None, status: Status, site_name: str, site: SiteActual, add: _Add
) -> None:
    """One site's grid, hall and mining actuals, as records."""
    for phase_name, grid in site.grid.items():
        entity = f"sites.{site_name}.grid.{phase_name}"
        phase = _phase(scenario, site_name, phase_name)
        if grid.gate_cleared:
            add(entity, "gate_cleared", grid.gate_cleared)
        if grid.energized:
            add(entity, "energized", grid.energized, phase.mw if phase else None, "mw")
    for hall_name, hall in site.halls.items():
        _hall_actuals(scenario, status, site_name, hall_name, hall, add)
    if site.mining is not None:
        for step in site.mining.retired:
            qty, unit = (step.mw, "mw") if step.mw is not None else (step.hashrate_ehs, "ehs")
            add(f"sites.{site_name}.mining", "retired", step.date, qty, unit)


def _hall_actuals(
    scenario: Scenario | None,
    status: Status,
    site_name: str,
    hall_name: str,
    hall: HallActual,
    add: _Add,
) -> None:
    entity = f"sites.{site_name}.halls.{hall_name}"
    if hall.gate_cleared:
        add(entity, "gate_cleared", hall.gate_cleared)
    work = hall.construction
    if work is not None and work.started:
        add(entity, "construction_started", work.started)
    if work is not None and work.finished:
        add(entity, "construction_finished", work.finished)
    if work is not None and work.percent_complete is not None:
        add(entity, "construction_progress", status.as_of, work.percent_complete, "percent")
    if hall.ready is not None:
        mw = _ready_mw(scenario, site_name, hall_name, hall)
        add(entity, "ready", hall.ready.date, mw, "mw")
    for r in hall.installed:
        add(entity, "installed", r.date, r.racks, "racks")
    for r in hall.accepted:
        add(entity, "accepted", r.date, r.racks, "racks")


def revisions(scenario: Scenario, contract: str, index: int) -> list[Revision]:
    """A tranche's revised due dates: those in the scenario, then those in the status."""
    tranche = all_tranches(scenario.contracts[contract])[index]
    found = list(tranche.revised)
    status = scenario.status
    if status is not None and contract in status.contracts:
        recorded = status.contracts[contract].tranches
        if index < len(recorded):
            found += recorded[index].revised
    return found


def effective_due(tranche: Tranche, at: dt.date, extra: Iterable[Revision] = ()) -> dt.date:
    """The due date in force on ``at``: the latest revision made on or before it, else the
    contracted (baseline) `due`. Revisions made on the same day: the last one written."""
    due = tranche.due
    latest: dt.date | None = None
    for revision in [*tranche.revised, *extra]:
        if revision.date <= at and (latest is None or revision.date >= latest):
            due, latest = revision.due, revision.date
    return due


def tranche_acceptance(contract: Contract, index: int) -> Acceptance:
    """The acceptance that applies to the tranche at ``index`` of ``contract``: its own, the
    contract's, or the default (each lot accepted the day it is ready)."""
    return all_tranches(contract)[index].acceptance or contract.acceptance or Acceptance()


def _phase(scenario: Scenario | None, site: str, phase: str) -> GridPhase | None:
    s = scenario.sites.get(site) if scenario is not None else None
    return next((p for p in s.grid if p.name == phase), None) if s else None


def _ready_mw(
    scenario: Scenario | None, site: str, hall_name: str, hall: HallActual
) -> float | None:
    if hall.ready is not None and hall.ready.mw is not None:
        return hall.ready.mw
    s = scenario.sites.get(site) if scenario is not None else None
    return s.halls[hall_name].it_mw if s and hall_name in s.halls else None
