"""Which sites a run must simulate together: those that share something during the run.

A site's processes touch only its own power, inventory, crews and halls, and the ledgers and
acceptors of the contracts its halls serve. So two sites are coupled when one contract's
halls are at both, or a contract is said to be at one site and served by halls at another
(today a contract's halls are all at its own site, so each site is a group of its own, but
the grouping does not rely on it). Deliveries go to one site; the sampler's random streams
are keyed by hall (`HallPlan.key`), so a site's draws do not depend on other sites' events;
the plan itself is read-only.

Each group runs in a SimPy environment of its own (`sim.engine.model.simulate`), so the
event heap holds one group's pending events rather than every site's, and the cost of a site
does not grow with the number of sites in the file. Within a group, events happen in the
order they would in one environment holding every site: a group's events are scheduled only
by its own processes, in the same relative order.
"""

from __future__ import annotations

from sim.engine.plan import Plan


class _Sets:
    """Union-find over site names."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def add(self, name: str) -> None:
        self.parent.setdefault(name, name)

    def find(self, name: str) -> str:
        root = name
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[name] != root:  # path compression
            self.parent[name], name = root, self.parent[name]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def site_groups(plan: Plan) -> list[list[str]]:
    """The plan's sites in groups that share nothing during a run: each group's sites in
    scenario order, the groups in the order of their first site (then any site named only by
    a contract or delivery, in the order first named)."""
    sets = _Sets()
    for site in plan.sites:
        sets.add(site.name)
    for contract in plan.contracts.values():
        sets.add(contract.site)
    for delivery in plan.deliveries:
        sets.add(delivery.site)
    for site in plan.sites:
        for hall in site.halls:
            if hall.contract is not None:
                sets.union(hall.contract.site, site.name)
    groups: dict[str, list[str]] = {}
    for name in sets.parent:  # insertion order: sites, then contracts' and deliveries' sites
        groups.setdefault(sets.find(name), []).append(name)
    return list(groups.values())
