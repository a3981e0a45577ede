"""Checks of the roll-out fields a scenario may carry besides its plan: revised due dates in
order, amendments, mining retirements and hashprice paths. The status block's own checks are
in `statuschecks`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence

from sim.errors import PathKey, did_you_mean
from sim.scenario.checks import Finding
from sim.scenario.schema import Scenario
from sim.scenario.schema.contract import (
    ColocationAmendment,
    ColoTranche,
    GpuCloudAmendment,
    GpuTranche,
)
from sim.scenario.schema.progress import Revision
from sim.scenario.schema.site import Mining


def unknown(
    path: PathKey, what: str, name: str, choices: Iterable[str], where: str = ""
) -> Finding:
    """A reference to a name the scenario does not define, with the closest valid name."""
    return Finding(path, f"no {what} `{name}`{where}", did_you_mean(name, choices))


def rollout_findings(scenario: Scenario) -> Iterator[Finding]:
    for site_name, site_plan in scenario.sites.items():
        if site_plan.mining is not None:
            yield from _mining_plan(("sites", site_name, "mining"), site_plan.mining)
    for name, contract in scenario.contracts.items():
        path = ("contracts", name)
        tranches: Sequence[GpuTranche | ColoTranche] = contract.tranches
        for i, tranche in enumerate(tranches):
            yield from revision_order((*path, "tranches", i, "revised"), tranche.revised)
        site = scenario.sites.get(contract.site)
        removed: dict[int, int] = {}
        previous: dt.date | None = None
        amendments: Sequence[GpuCloudAmendment | ColocationAmendment] = contract.amendments
        for j, amendment in enumerate(amendments):
            here = (*path, "amendments", j)
            if previous is not None and amendment.date < previous:
                yield Finding(
                    (*here, "date"),
                    f"amendment dated {amendment.date} comes after one dated {previous}",
                    "list amendments in date order",
                )
            previous = amendment.date
            if contract.signed is not None and amendment.date < contract.signed:
                yield Finding(
                    (*here, "date"),
                    f"amendment dated {amendment.date} is before the contract was signed "
                    f"({contract.signed})",
                )
            for k, index in enumerate(amendment.remove_tranches):
                if index >= len(contract.tranches):
                    yield Finding(
                        (*here, "remove_tranches", k),
                        f"no tranches[{index}]: the contract's tranches go from tranches[0] "
                        f"to tranches[{len(contract.tranches) - 1}]",
                        "give the position of a tranche in the contract's `tranches`",
                    )
                elif index in removed:
                    yield Finding(
                        (*here, "remove_tranches", k),
                        f"tranches[{index}] is already removed by amendments[{removed[index]}]",
                    )
                removed.setdefault(index, j)
            added_tranches: Sequence[GpuTranche | ColoTranche] = amendment.add_tranches
            for k, added in enumerate(added_tranches):
                where = (*here, "add_tranches", k)
                if isinstance(added, GpuTranche):  # a GPU cloud contract's amendment
                    unit = "racks" if added.racks is not None else "gpus"
                    if unit != contract.unit:
                        yield Finding(
                            (*where, unit),
                            f"the contract counts {contract.unit}, not {unit}",
                            f"give `{contract.unit}`",
                        )
                if added.hall is not None and site is not None and added.hall not in site.halls:
                    yield unknown(
                        (*where, "hall"),
                        "hall",
                        added.hall,
                        site.halls,
                        f" at site `{contract.site}`",
                    )


def revision_order(path: PathKey, revised: list[Revision]) -> Iterator[Finding]:
    for j in range(1, len(revised)):
        if revised[j].date < revised[j - 1].date:
            yield Finding(
                (*path, j, "date"),
                f"revision dated {revised[j].date} comes after one dated {revised[j - 1].date}",
                "list revisions in the order they were made",
            )


def _mining_plan(path: PathKey, mining: Mining) -> Iterator[Finding]:
    total = 0.0
    for j, step in enumerate(mining.retirements):
        if step.mw is not None:
            total += step.mw
        elif step.hashrate_ehs is not None:  # the schema requires exactly one of the two
            total += step.hashrate_ehs * mining.j_per_th
        if total > mining.it_mw + 1e-9:
            key = "mw" if step.mw is not None else "hashrate_ehs"
            yield Finding(
                (*path, "retirements", j, key),
                f"retirements add up to {total:g} MW but the fleet is {mining.it_mw:g} MW",
                "retire no more than the fleet",
            )
            break
    points = mining.hashprice_path
    for j in range(1, len(points)):
        if points[j].start <= points[j - 1].start:
            yield Finding(
                (*path, "hashprice_path", j, "start"),
                f"{points[j].start} is not after the previous point ({points[j - 1].start})",
                "list the hashprice path in date order, one point per date",
            )
