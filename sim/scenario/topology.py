"""Who serves whom: which halls serve each contract, and which halls take racks.

A contract is served by the halls its tranches name; a contract whose tranches name no hall
is served by every hall at its site that no other contract names. Halls serving a colocation
contract are handed over empty (the tenant brings the IT), so racks go only to the others.
"""

from __future__ import annotations

from sim.scenario.schema import Scenario
from sim.scenario.schema.contract import ColocationContract


def named_halls(scenario: Scenario) -> dict[str, list[str]]:
    """Contract -> the halls its tranches name, in tranche order."""
    return {
        name: list(dict.fromkeys(t.hall for t in c.tranches if t.hall is not None))
        for name, c in scenario.contracts.items()
    }


def contract_halls(scenario: Scenario) -> dict[str, list[str]]:
    """Contract -> the halls that serve it."""
    named = named_halls(scenario)
    claimed = {(scenario.contracts[c].site, h) for c, halls in named.items() for h in halls}
    out = {}
    for name, contract in scenario.contracts.items():
        site = scenario.sites.get(contract.site)
        if named[name]:
            out[name] = named[name]
        elif site is not None:
            out[name] = [h for h in site.halls if (contract.site, h) not in claimed]
        else:
            out[name] = []
    return out


def colocation_halls(scenario: Scenario) -> set[tuple[str, str]]:
    """(site, hall) pairs handed over to colocation tenants."""
    halls = contract_halls(scenario)
    return {
        (c.site, h)
        for name, c in scenario.contracts.items()
        if isinstance(c, ColocationContract)
        for h in halls[name]
    }


def rack_halls(scenario: Scenario, site_name: str) -> list[str]:
    """Halls at a site that take the operator's racks, in file order."""
    colo = colocation_halls(scenario)
    return [h for h in scenario.sites[site_name].halls if (site_name, h) not in colo]
