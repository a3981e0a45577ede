"""Checks across entities that a per-field schema cannot make: references, cycles, capacity.

Each check yields findings located by key path; the loader turns them into problems with
file and line. Errors stop the scenario; warnings (a contract that can never be met) are
reported and the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from sim.errors import PathKey, Severity, did_you_mean
from sim.scenario.schema import Scenario
from sim.scenario.schema.contract import ColocationContract, ColoTranche, GpuTranche
from sim.scenario.topology import (
    basis_mw,
    contract_halls,
    deliveries_at,
    named_halls,
    rack_halls,
    units_per_rack,
)

RULES = (
    "Grid phase names are unique within their site; a phase's `after` names a phase of the "
    "same site, and phases may not wait for each other in a cycle.",
    "A hall's `construction.after` names a hall of the same site, and halls may not wait for "
    "each other in a cycle.",
    "Each hall's grid need (`grid_mw`, else its gross MW) is at most its site's total grid "
    "(the sum of the `mw` of its phases).",
    "Warning: a site's halls together need more grid than the site's total. Halls reserve "
    "power first come first served and keep it, so the last one is never ready.",
    "A delivery's `platform` and `site` exist, and the site has `crews`.",
    "The racks of each platform delivered to a site fit in the site's halls that can take "
    "them: halls no colocation contract names, with the cooling the platform needs, at "
    "`allocated_it_kw_per_rack` (else `it_kw_per_rack`) of critical IT per rack.",
    "A contract's `site` exists, and each tranche's `hall` is a hall of that site. A hall "
    "serves one contract, and at most one contract per site leaves its halls unnamed (it "
    "takes the halls no other contract names).",
    "Warning: a contract asks for more than its halls (and, for `gpu_cloud`, the racks "
    "delivered to its site) can ever give.",
)
"""The checks below, in words, for the reference (docs/scenario.md)."""


@dataclass(frozen=True)
class Finding:
    path: PathKey
    message: str
    hint: str = ""
    severity: Severity = "error"


def _unknown(
    path: PathKey, what: str, name: str, choices: Iterable[str], where: str = ""
) -> Finding:
    """A reference to a name that is not defined, with the closest valid name."""
    return Finding(path, f"no {what} `{name}`{where}", did_you_mean(name, choices))


def check(scenario: Scenario) -> list[Finding]:
    """All cross-entity findings, in file order as far as possible."""
    return [
        *_grid(scenario),
        *_halls(scenario),
        *_deliveries(scenario),
        *_contracts(scenario),
    ]


def _find_cycle(edges: Mapping[str, str | None]) -> list[str] | None:
    """A cycle in a graph where each node has at most one predecessor, or None."""
    for start in edges:
        seen: list[str] = []
        node: str | None = start
        while node is not None and node in edges:
            if node in seen:
                return [*seen[seen.index(node) :], node]
            seen.append(node)
            node = edges[node]
    return None


def _grid(scenario: Scenario) -> Iterator[Finding]:
    for site_name, site in scenario.sites.items():
        names: dict[str, int] = {}
        for i, phase in enumerate(site.grid):
            path = ("sites", site_name, "grid", i)
            if phase.name in names:
                yield Finding(
                    (*path, "name"),
                    f"grid phase `{phase.name}` is defined twice (also grid[{names[phase.name]}])",
                    "give each phase its own name",
                )
            names.setdefault(phase.name, i)
        for i, phase in enumerate(site.grid):
            if phase.after is not None and phase.after not in names:
                yield _unknown(
                    ("sites", site_name, "grid", i, "after"),
                    "grid phase",
                    phase.after,
                    names,
                    f" at site `{site_name}`",
                )
        duplicated = len(names) < len(site.grid)  # cycles only make sense with unique names
        cycle = None if duplicated else _find_cycle({p.name: p.after for p in site.grid})
        if cycle:
            first = names[cycle[0]]
            yield Finding(
                ("sites", site_name, "grid", first, "after"),
                "grid phases depend on each other in a cycle: " + " -> ".join(cycle),
                "anchor one of them to a date with `energized`",
            )


def _halls(scenario: Scenario) -> Iterator[Finding]:
    for site_name, site in scenario.sites.items():
        max_grid = sum(p.mw for p in site.grid)
        for hall_name, hall in site.halls.items():
            path = ("sites", site_name, "halls", hall_name)
            after = hall.construction.after
            if after is not None and after not in site.halls:
                yield _unknown(
                    (*path, "construction", "after"),
                    "hall",
                    after,
                    site.halls,
                    f" at site `{site_name}`",
                )
            if hall.required_grid_mw > max_grid + 1e-9:
                # Point at the key that sets the need: grid_mw, else gross_mw, else it_mw.
                key = next(
                    k for k in ("grid_mw", "gross_mw", "it_mw") if getattr(hall, k) is not None
                )
                yield Finding(
                    (*path, key),
                    f"the hall needs {hall.required_grid_mw:g} MW of grid but site "
                    f"`{site_name}` can never have more than {max_grid:g} MW",
                    "add a grid phase or make the hall smaller",
                )
        need = sum(h.required_grid_mw for h in site.halls.values())
        fits = all(h.required_grid_mw <= max_grid + 1e-9 for h in site.halls.values())
        if fits and need > max_grid + 1e-9:
            # Each hall fits on its own (checked above), but halls reserve their power first
            # come first served and keep it: whichever comes last never gets power.
            yield Finding(
                ("sites", site_name, "halls"),
                f"the halls need {need:g} MW of grid together but site `{site_name}` can "
                f"never have more than {max_grid:g} MW (short by {need - max_grid:g})",
                "the last hall to reserve power is never ready; add a grid phase or make "
                "the halls smaller",
                "warning",
            )
        cycle = _find_cycle({n: h.construction.after for n, h in site.halls.items()})
        if cycle:
            yield Finding(
                ("sites", site_name, "halls", cycle[0], "construction", "after"),
                "halls wait for each other in a cycle: " + " -> ".join(cycle),
                "give one of them a `start` date",
            )


def _deliveries(scenario: Scenario) -> Iterator[Finding]:
    racks_by_site: dict[tuple[str, str], int] = {}
    for name, delivery in scenario.deliveries.items():
        path = ("deliveries", name)
        platform = scenario.platforms.get(delivery.platform)
        if platform is None:
            yield _unknown((*path, "platform"), "platform", delivery.platform, scenario.platforms)
        site = scenario.sites.get(delivery.site)
        if site is None:
            yield _unknown((*path, "site"), "site", delivery.site, scenario.sites)
        if platform is None or site is None:
            continue
        if site.crews is None:
            yield Finding(
                (*path, "site"),
                f"site `{delivery.site}` receives racks but has no `crews` to install them",
                f"add `crews:` under sites.{delivery.site}",
            )
        key = (delivery.site, delivery.platform)
        racks_by_site[key] = racks_by_site.get(key, 0) + sum(t.racks for t in delivery.tranches)
    for (site_name, platform_name), racks in racks_by_site.items():
        site = scenario.sites[site_name]
        platform = scenario.platforms[platform_name]
        halls = [
            site.halls[h]
            for h in rack_halls(scenario, site_name)
            if platform.cooling in ("any", site.halls[h].cooling)
        ]
        capacity = int(sum(h.it_mw for h in halls) * 1000 / platform.hall_kw_per_rack + 1e-9)
        if racks > capacity:
            first = next(
                n
                for n, d in scenario.deliveries.items()
                if d.site == site_name and d.platform == platform_name
            )
            yield Finding(
                ("deliveries", first, "tranches"),
                f"{racks} racks of `{platform_name}` are delivered to `{site_name}`, "
                f"but its halls that can take them hold only {capacity} "
                f"({platform.hall_kw_per_rack:g} kW of critical IT each)",
                "add a hall, or deliver fewer racks",
            )


def _contracts(scenario: Scenario) -> Iterator[Finding]:
    named = named_halls(scenario)
    owner: dict[tuple[str, str], str] = {}
    for name, halls in named.items():
        for hall in halls:
            owner.setdefault((scenario.contracts[name].site, hall), name)
    unnamed_at: dict[str, str] = {}
    for name, contract in scenario.contracts.items():
        path = ("contracts", name)
        site = scenario.sites.get(contract.site)
        if site is None:
            yield _unknown((*path, "site"), "site", contract.site, scenario.sites)
            continue
        if not named[name]:
            if contract.site in unnamed_at:
                yield Finding(
                    (*path, "tranches"),
                    f"contracts `{unnamed_at[contract.site]}` and `{name}` both take "
                    f"whatever halls at `{contract.site}` are left",
                    "name the `hall` of each tranche so each hall serves one contract",
                )
            unnamed_at.setdefault(contract.site, name)
        tranches: Sequence[GpuTranche | ColoTranche] = contract.tranches
        for i, tranche in enumerate(tranches):
            if tranche.hall is None:
                continue
            if tranche.hall not in site.halls:
                yield _unknown(
                    (*path, "tranches", i, "hall"),
                    "hall",
                    tranche.hall,
                    site.halls,
                    f" at site `{contract.site}`",
                )
            elif owner[(contract.site, tranche.hall)] != name:
                yield Finding(
                    (*path, "tranches", i, "hall"),
                    f"hall `{tranche.hall}` already serves contract "
                    f"`{owner[(contract.site, tranche.hall)]}`",
                    "a hall serves one contract",
                )
    served = contract_halls(scenario)
    for name in scenario.contracts:
        if scenario.contracts[name].site in scenario.sites:
            yield from _contract_capacity(scenario, name, served[name])


def _contract_capacity(scenario: Scenario, name: str, halls: Sequence[str]) -> Iterator[Finding]:
    """Warn when a contract asks for more than its halls and deliveries can ever give."""
    contract = scenario.contracts[name]
    site = scenario.sites[contract.site]
    halls = [h for h in halls if h in site.halls]
    total = contract.total_units
    if isinstance(contract, ColocationContract):
        capacity = sum(basis_mw(contract, site.halls[h]) for h in halls)
        unit = "MW"
    else:
        unit = contract.unit
        capacity = 0.0
        hall_kw = sum(site.halls[h].it_mw for h in halls) * 1000
        for delivery in deliveries_at(scenario, contract.site):
            platform = scenario.platforms.get(delivery.platform)
            if platform is None:
                continue
            racks = min(
                sum(t.racks for t in delivery.tranches),
                int(hall_kw / platform.hall_kw_per_rack + 1e-9),
            )
            hall_kw -= racks * platform.hall_kw_per_rack
            capacity += racks * units_per_rack(contract, platform)
    if capacity + 1e-9 < total:
        yield Finding(
            ("contracts", name, "tranches"),
            f"the contract asks for {total:g} {unit} but its halls and deliveries can "
            f"give at most {capacity:g} (short by {total - capacity:g})",
            "it can never be met in full",
            "warning",
        )
