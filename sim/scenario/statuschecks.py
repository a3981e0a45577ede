"""Cross-entity checks of a status update and of the roll-out fields of a scenario.

A per-field schema cannot see that a hall is ready before the grid can power it, that more
racks are accepted than have arrived, or that an actual names a hall the scenario does not
have. These checks yield located findings, as `checks.check` does, and the loader reports
them with file and line. The rules are listed in docs/status-updates.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pydantic import BaseModel

from sim.errors import PathKey
from sim.scenario.checks import Finding
from sim.scenario.rolloutchecks import revision_order, rollout_findings, unknown
from sim.scenario.schema import Scenario
from sim.scenario.schema.contract import ColocationContract
from sim.scenario.schema.site import Hall, Site
from sim.scenario.schema.status import (
    GridActual,
    HallActual,
    MiningRetired,
    Racks,
    Status,
    TrancheActual,
)


def check(scenario: Scenario) -> list[Finding]:
    """Findings for the status block and the roll-out fields, in file order where possible."""
    found = [*rollout_findings(scenario)]
    if scenario.status is not None:
        found += [*_status(scenario, scenario.status)]
    return found


def _status(scenario: Scenario, status: Status) -> Iterator[Finding]:
    info = scenario.scenario
    if not info.start <= status.as_of <= info.end:
        yield Finding(
            ("status", "as_of"),
            f"`as_of` ({status.as_of}) is outside the horizon ({info.start} to {info.end})",
            "give a data date within the scenario's horizon",
        )
    yield from _after_as_of(status)
    # With a misspelt delivery its arrivals are unknown; compare no racks against them.
    known = all(name in scenario.deliveries for name in status.deliveries)
    arrived = _arrivals(scenario, status) if known else None
    for site_name, actual in status.sites.items():
        path = ("status", "sites", site_name)
        site = scenario.sites.get(site_name)
        if site is None:
            yield unknown(path, "site", site_name, scenario.sites)
            continue
        yield from _grid_actuals(path, site_name, site, actual.grid)
        for hall_name, hall in actual.halls.items():
            if hall_name not in site.halls:
                yield unknown(
                    (*path, "halls", hall_name),
                    "hall",
                    hall_name,
                    site.halls,
                    f" at site `{site_name}`",
                )
                continue
            yield from _hall((*path, "halls", hall_name), site.halls[hall_name], hall)
        yield from _power(scenario, path, site, actual.grid, actual.halls)
        site_arrived = None if arrived is None else arrived.get(site_name, [])
        yield from _racks(path, site_name, actual.halls, site_arrived)
        if actual.mining is not None:
            yield from _mining_actual(path, site_name, site, actual.mining.retired)
    yield from _deliveries(scenario, status)
    for name, contract_actual in status.contracts.items():
        path = ("status", "contracts", name)
        if name not in scenario.contracts:
            yield unknown(path, "contract", name, scenario.contracts)
            continue
        yield from _contract(scenario, path, name, contract_actual.tranches, arrived)


def _grid_actuals(
    path: PathKey, site_name: str, site: Site, grid_actuals: dict[str, GridActual]
) -> Iterator[Finding]:
    """Recorded grid phases exist, and a cleared gate is a gate the phase has."""
    names = {p.name: p for p in site.grid}
    for phase_name, grid in grid_actuals.items():
        if phase_name not in names:
            yield unknown(
                (*path, "grid", phase_name),
                "grid phase",
                phase_name,
                names,
                f" at site `{site_name}`",
            )
        elif grid.gate_cleared is not None and names[phase_name].gate is None:
            yield Finding(
                (*path, "grid", phase_name, "gate_cleared"),
                f"grid phase `{phase_name}` has no `gate` to clear",
                f"add `gate:` to the phase in sites.{site_name}.grid, or drop this date",
            )
        if grid.energized and grid.gate_cleared and grid.energized < grid.gate_cleared:
            yield Finding(
                (*path, "grid", phase_name, "energized"),
                f"energized on {grid.energized}, before its gate cleared ({grid.gate_cleared})",
                "correct one of the two dates",
            )


def _deliveries(scenario: Scenario, status: Status) -> Iterator[Finding]:
    """Recorded deliveries exist and never bring more racks than they order."""
    for name, delivery in status.deliveries.items():
        path = ("status", "deliveries", name)
        if name not in scenario.deliveries:
            yield unknown(path, "delivery", name, scenario.deliveries)
            continue
        ordered = sum(t.racks for t in scenario.deliveries[name].tranches)
        got = sum(r.racks for r in delivery.arrived)
        if got > ordered:
            yield Finding(
                (*path, "arrived"),
                f"{got} racks arrived but delivery `{name}` orders only {ordered}",
                "add the extra racks to the delivery's tranches, or correct the arrivals",
            )


def _dates(value: object, path: PathKey) -> Iterator[tuple[PathKey, dt.date]]:
    """Every recorded date in a status block, with its key path (revised `due` dates are
    forecasts, not actuals, and are skipped)."""
    if isinstance(value, BaseModel):
        for key in type(value).model_fields:
            if key == "due" or key == "as_of":
                continue
            yield from _dates(getattr(value, key), (*path, key))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _dates(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _dates(item, (*path, i))
    elif isinstance(value, dt.date):
        yield path, value


def _after_as_of(status: Status) -> Iterator[Finding]:
    for path, date in _dates(status, ("status",)):
        if date > status.as_of:
            yield Finding(
                path,
                f"{date} is after `as_of` ({status.as_of}): a status records only what has "
                "happened",
                "move `as_of` later, or leave the event out until it happens",
            )


def _hall(path: PathKey, hall: Hall, actual: HallActual) -> Iterator[Finding]:
    work = actual.construction
    if actual.gate_cleared is not None and hall.gate is None:
        yield Finding(
            (*path, "gate_cleared"),
            f"hall `{path[-1]}` has no `gate` to clear",
            "add `gate:` to the hall, or drop this date",
        )
    if (
        work is not None
        and work.started
        and actual.gate_cleared
        and work.started < actual.gate_cleared
    ):
        yield Finding(
            (*path, "construction", "started"),
            f"construction started {work.started}, before the gate cleared ({actual.gate_cleared})",
        )
    if actual.ready is None:
        return
    ready = actual.ready.date
    if actual.ready.mw is not None and actual.ready.mw > hall.it_mw + 1e-9:
        yield Finding(
            (*path, "ready", "mw"),
            f"{actual.ready.mw:g} MW ready but the hall has {hall.it_mw:g} MW of IT",
        )
    if work is not None and work.percent_complete is not None:
        yield Finding(
            (*path, "ready", "date"),
            f"the hall is ready but its construction is only {work.percent_complete:g}% complete",
            "record the construction as `finished: DATE`",
        )
    elif work is not None and work.finished is not None and ready < work.finished:
        yield Finding(
            (*path, "ready", "date"),
            f"the hall is ready on {ready}, before its construction finished ({work.finished})",
        )


def _power(
    scenario: Scenario,
    path: PathKey,
    site: Site,
    grid: dict[str, GridActual],
    halls: dict[str, HallActual],
) -> Iterator[Finding]:
    """A hall cannot be ready before the grid can power it, with the halls ready before it.

    The grid at a date is the phases energized before the scenario starts (existing
    capacity) plus the phases recorded as energized by that date."""
    start = scenario.scenario.start
    steps = [
        (p.energized, p.mw) for p in site.grid if p.energized is not None and p.energized <= start
    ]
    steps += [
        (g.energized, p.mw)
        for p in site.grid
        if (g := grid.get(p.name)) is not None
        and g.energized is not None
        and not (p.energized is not None and p.energized <= start)
    ]
    ready = sorted(
        (h.ready.date, name, h)
        for name, h in halls.items()
        if h.ready is not None and name in site.halls
    )
    need = 0.0
    for date, name, actual in ready:
        hall = site.halls[name]
        share = (actual.ready.mw or hall.it_mw) / hall.it_mw  # type: ignore[union-attr]
        need += hall.required_grid_mw * min(share, 1.0)
        have = sum(mw for day, mw in steps if day <= date)
        if need > have + 1e-9:
            yield Finding(
                (*path, "halls", name, "ready", "date"),
                f"the hall is ready on {date} but the grid then has {have:g} MW energized, "
                f"{need:g} MW needed by the halls ready by that date",
                "record the grid phase that powers it under `grid:` with its `energized` date",
            )


def _arrivals(scenario: Scenario, status: Status) -> dict[str, list[Racks]]:
    by_site: dict[str, list[Racks]] = {}
    for name, actual in status.deliveries.items():
        delivery = scenario.deliveries.get(name)
        if delivery is not None:
            by_site.setdefault(delivery.site, []).extend(actual.arrived)
    return by_site


def _cumulative_excess(lhs: list[Racks], rhs: list[Racks]) -> tuple[int, Racks, int, int] | None:
    """The first record of ``lhs`` by which its running total exceeds that of ``rhs`` on the
    same date: (its index, the record, the lhs total, the rhs total), or None."""
    order = sorted(range(len(lhs)), key=lambda i: lhs[i].date)
    total = 0
    for i in order:
        total += lhs[i].racks
        have = sum(r.racks for r in rhs if r.date <= lhs[i].date)
        if total > have:
            return i, lhs[i], total, have
    return None


def _racks(
    path: PathKey, site_name: str, halls: dict[str, HallActual], arrived: list[Racks] | None
) -> Iterator[Finding]:
    installed_all = [(name, i, r) for name, h in halls.items() for i, r in enumerate(h.installed)]
    accepted_all = [(name, i, r) for name, h in halls.items() for i, r in enumerate(h.accepted)]
    for what, records in (("installed", installed_all), ("accepted", accepted_all)):
        if arrived is None:
            break
        excess = _cumulative_excess([r for _, _, r in records], arrived)
        if excess is not None:
            name, i, record = records[excess[0]]
            yield Finding(
                (*path, "halls", name, what, i, "racks"),
                f"by {record.date}, {excess[2]} racks are {what} at site `{site_name}` but only "
                f"{excess[3]} have arrived",
                "record the arrivals under status.deliveries.<name>.arrived",
            )
            break  # racks accepted beyond the arrivals follow from those installed
    for name, hall in halls.items():
        for i, record in enumerate([*hall.installed, *hall.accepted]):
            if hall.ready is None or record.date < hall.ready.date:
                what = "installed" if i < len(hall.installed) else "accepted"
                j = i if what == "installed" else i - len(hall.installed)
                when = (
                    f"before the hall was ready ({hall.ready.date})"
                    if hall.ready
                    else ("but the hall has no `ready` date")
                )
                yield Finding(
                    (*path, "halls", name, what, j, "date"),
                    f"racks {what} on {record.date} {when}",
                    "record the hall's `ready: {date: ...}`",
                )
                break
        if hall.installed:
            excess = _cumulative_excess(hall.accepted, hall.installed)
            if excess is not None:
                yield Finding(
                    (*path, "halls", name, "accepted", excess[0], "racks"),
                    f"by {excess[1].date}, {excess[2]} racks are accepted in hall `{name}` but "
                    f"only {excess[3]} are installed",
                )


def _mining_actual(
    path: PathKey, site_name: str, site: Site, retired: list[MiningRetired]
) -> Iterator[Finding]:
    if site.mining is None:
        yield Finding(
            (*path, "mining"),
            f"site `{site_name}` has no `mining` fleet to retire",
            f"add `mining:` under sites.{site_name}, or drop this record",
        )
        return
    total = 0.0
    for j, step in enumerate(retired):
        if step.mw is not None:
            total += step.mw
        elif step.hashrate_ehs is not None:  # the schema requires exactly one of the two
            total += step.hashrate_ehs * site.mining.j_per_th
        if total > site.mining.it_mw + 1e-9:
            yield Finding(
                (*path, "mining", "retired", j),
                f"{total:g} MW retired by now but the fleet is {site.mining.it_mw:g} MW",
            )
            return


def _contract(
    scenario: Scenario,
    path: PathKey,
    name: str,
    tranches: list[TrancheActual],
    arrived: dict[str, list[Racks]] | None,
) -> Iterator[Finding]:
    contract = scenario.contracts[name]
    unit = "mw" if isinstance(contract, ColocationContract) else contract.unit
    flagged = False
    for i, actual in enumerate(tranches):
        here = (*path, "tranches", i)
        if i >= len(contract.tranches):
            yield Finding(
                here,
                f"no tranches[{i}]: contract `{name}` has {len(contract.tranches)} tranches",
                "one entry per tranche of the contract, in the same order",
            )
            continue
        tranche = contract.tranches[i]
        yield from revision_order((*here, "revised"), actual.revised)
        if tranche.revised and actual.revised and actual.revised[0].date < tranche.revised[-1].date:
            yield Finding(
                (*here, "revised", 0, "date"),
                f"revision dated {actual.revised[0].date} comes before the scenario's last "
                f"revision of this tranche ({tranche.revised[-1].date})",
                "a status adds revisions made after those in the scenario",
            )
        total = 0.0
        for j, accepted in enumerate(actual.accepted):
            if accepted.unit != unit:
                yield Finding(
                    (*here, "accepted", j, accepted.unit),
                    f"contract `{name}` counts {unit}, not {accepted.unit}",
                    f"give `{unit}`",
                )
                continue
            total += accepted.units
            if total > tranche.units + 1e-9:
                flagged = True
                yield Finding(
                    (*here, "accepted", j, unit),
                    f"{total:g} {unit} accepted but the tranche is {tranche.units:g}",
                )
                break
            if isinstance(contract, ColocationContract) and tranche.hall is not None:
                status = scenario.status
                hall = status.sites.get(contract.site) if status else None
                ready = hall.halls.get(tranche.hall) if hall else None
                if ready is None or ready.ready is None or accepted.date < ready.ready.date:
                    yield Finding(
                        (*here, "accepted", j, "date"),
                        f"accepted on {accepted.date} but hall `{tranche.hall}` is not recorded "
                        "as ready by then",
                        f"record status.sites.{contract.site}.halls.{tranche.hall}.ready",
                    )
    site_actual = scenario.status.sites.get(contract.site) if scenario.status else None
    hall_records = site_actual is not None and any(h.accepted for h in site_actual.halls.values())
    if unit == "racks" and arrived is not None and not flagged and not hall_records:
        # Racks accepted per hall are checked against the arrivals there; a status that
        # records acceptance only on the contract is checked here.
        records = [a for t in tranches for a in t.accepted if a.unit == "racks"]
        flat = [Racks(date=a.date, racks=int(a.units)) for a in records]
        excess = _cumulative_excess(flat, arrived.get(contract.site, []))
        if excess is not None:
            yield Finding(
                (*path, "tranches"),
                f"by {excess[1].date}, {excess[2]} racks are accepted under contract `{name}` "
                f"but only {excess[3]} have arrived at `{contract.site}`",
                "record the arrivals under status.deliveries.<name>.arrived",
            )
