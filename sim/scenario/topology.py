"""Who serves whom: which halls serve each contract, and which halls take racks.

A contract is served by the halls its tranches name; a contract whose tranches name no hall
is served by every hall at its site that no other contract names. Halls serving a colocation
contract are handed over empty (the tenant brings the IT), so racks go only to the others.

Also decided here, once for the engine, the timeline and the checks: what one contract unit
is in GPUs and racks, and whether a hall counts its IT or its gross MW toward a contract.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from sim.identitycache import IdentityCache
from sim.scenario.amendments import all_tranches
from sim.scenario.schema import Contract, Delivery, Hall, Platform, Scenario
from sim.scenario.schema.contract import ColocationContract


def named_halls(scenario: Scenario) -> dict[str, list[str]]:
    """Contract -> the halls its tranches name, in tranche order."""
    return _named(scenario.contracts)


def _named(contracts: Mapping[str, Contract]) -> dict[str, list[str]]:
    return {
        name: list(dict.fromkeys(t.hall for t in tranches(c) if t.hall is not None))
        for name, c in contracts.items()
    }


@dataclass(frozen=True)
class Topology:
    """Who serves whom in one scenario, worked out once in one pass over its contracts and
    deliveries (see `topology`), so that questions asked per site or per contract cost the
    same however many sites and contracts the scenario has."""

    contract_halls: Mapping[str, tuple[str, ...]]
    """Contract -> the halls that serve it."""
    colocation: frozenset[tuple[str, str]]
    """(site, hall) pairs handed over to colocation tenants."""
    deliveries_at: Mapping[str, tuple[str, ...]]
    """Site -> the names of the deliveries to it, in file order."""


_KEPT: IdentityCache[Topology] = IdentityCache()
"""Per scenario object."""
_SHARED: IdentityCache[Topology] = IdentityCache()
"""Per contract objects, site halls and delivery sites."""


def topology(scenario: Scenario) -> Topology:
    """The scenario's `Topology`. Scenarios are frozen, so it is remembered for as long as
    the scenario object lives (a changed copy is a new object, with its own).

    A new scenario object with the same contract objects, site halls and delivery sites
    (all `_build` reads: a Monte Carlo replication's concrete scenario and the one it was
    drawn from) finds the same `Topology`, kept while those contracts live."""
    return _KEPT.get((scenario,), lambda: _shared(scenario))


def _shared(scenario: Scenario) -> Topology:
    contracts = scenario.contracts
    halls = tuple((n, tuple(site.halls)) for n, site in scenario.sites.items())
    deliveries = tuple((n, d.site) for n, d in scenario.deliveries.items())
    if not contracts:  # (kept by nothing that dies)
        return _build(contracts, dict(halls), deliveries)
    return _SHARED.get(
        tuple(contracts.values()),
        lambda: _build(contracts, dict(halls), deliveries),
        (tuple(contracts), halls, deliveries),
    )


def _build(
    contracts: Mapping[str, Contract],
    site_halls: Mapping[str, tuple[str, ...]],
    deliveries: tuple[tuple[str, str], ...],
) -> Topology:
    """Who serves whom, from the contracts, each site's halls and each delivery's site."""
    named = _named(contracts)
    claimed = {(contracts[c].site, h) for c, halls in named.items() for h in halls}
    served: dict[str, tuple[str, ...]] = {}
    for name, contract in contracts.items():
        site = site_halls.get(contract.site)
        if named[name]:
            served[name] = tuple(named[name])
        elif site is not None:
            served[name] = tuple(h for h in site if (contract.site, h) not in claimed)
        else:
            served[name] = ()
    colocation = frozenset(
        (c.site, h)
        for name, c in contracts.items()
        if isinstance(c, ColocationContract)
        for h in served[name]
    )
    deliveries_at: dict[str, list[str]] = {}
    for name, site_name in deliveries:
        deliveries_at.setdefault(site_name, []).append(name)
    return Topology(
        MappingProxyType(served),
        colocation,
        MappingProxyType({s: tuple(names) for s, names in deliveries_at.items()}),
    )


def contract_halls(scenario: Scenario) -> Mapping[str, tuple[str, ...]]:
    """Contract -> the halls that serve it."""
    return topology(scenario).contract_halls


def colocation_halls(scenario: Scenario) -> frozenset[tuple[str, str]]:
    """(site, hall) pairs handed over to colocation tenants."""
    return topology(scenario).colocation


def rack_halls(scenario: Scenario, site_name: str) -> list[str]:
    """Halls at a site that take the operator's racks, in file order."""
    colo = colocation_halls(scenario)
    return [h for h in scenario.sites[site_name].halls if (site_name, h) not in colo]


def deliveries_at(scenario: Scenario, site_name: str) -> list[Delivery]:
    """The deliveries to a site, in file order."""
    names = topology(scenario).deliveries_at.get(site_name, ())
    return [scenario.deliveries[n] for n in names]


def basis_mw(contract: Contract | None, hall: Hall) -> float:
    """MW one hall counts toward a contract: gross MW for a colocation contract on a gross
    basis, else the hall's critical IT MW."""
    if isinstance(contract, ColocationContract) and contract.mw_basis == "gross":
        return hall.design_gross_mw
    return hall.it_mw


def units_per_rack(contract: Contract, platform: Platform) -> float:
    """Contract units one accepted rack of ``platform`` counts for: its GPUs for a contract in
    GPUs, else one (a rack)."""
    return rack_units(contract, platform.gpus_per_rack)


def rack_units(contract: Contract, gpus_per_rack: int) -> float:
    """`units_per_rack` of a platform with ``gpus_per_rack`` GPUs in a rack."""
    return float(gpus_per_rack) if contract.unit == "gpus" else 1.0


def gpus_per_unit(contract: Contract, gpus_per_rack: int | None) -> float:
    """GPUs in one contract unit delivered on racks of ``gpus_per_rack`` GPUs: 1 for GPUs, a
    rack's GPUs for racks, 0 for MW (or racks of no known platform: None). For the units
    due, see `due_gpus_per_unit`."""
    if contract.unit == "gpus":
        return 1.0
    if contract.unit != "racks" or gpus_per_rack is None:
        return 0.0
    return float(gpus_per_rack)


def due_gpus_per_unit(scenario: Scenario, name: str) -> float:
    """GPUs in one unit of contract ``name`` as due (what sizes its planned billing): 1 for
    GPUs, 0 for MW, and for racks the GPUs per rack of the racks delivered to the contract's
    site that its halls can take (cooling), averaged over those deliveries' racks: with
    several platforms at a site, never whichever delivery the file lists first (0 when no
    such rack is delivered)."""
    contract = scenario.contracts[name]
    if contract.unit != "racks":
        return gpus_per_unit(contract, None)
    site = scenario.sites.get(contract.site)
    halls = contract_halls(scenario).get(name, ())
    coolings = {site.halls[h].cooling for h in halls if h in site.halls} if site else set()
    racks = gpus = 0.0
    for delivery in deliveries_at(scenario, contract.site):
        platform = scenario.platforms.get(delivery.platform)
        if platform is None:
            continue
        if platform.cooling != "any" and platform.cooling not in coolings:
            continue
        n = float(sum(t.racks for t in delivery.tranches))
        racks += n
        gpus += n * platform.gpus_per_rack
    return gpus / racks if racks else 0.0


class Tranche(Protocol):
    """What every contract tranche has, whatever its unit."""

    @property
    def due(self) -> dt.date: ...
    @property
    def hall(self) -> str | None: ...
    @property
    def units(self) -> float: ...


def tranches(contract: Contract) -> Sequence[Tranche]:
    """A contract's tranches: those written, in file order, then those its amendments add
    (`sim.scenario.amendments`)."""
    return all_tranches(contract)
