"""Build the SimPy model of a plan and run it: a pure function of (plan, sampler).

The lifecycle, as in desmod: realize (`sim.engine.realize`) -> plan (`sim.engine.plan`) ->
build (here) -> run -> record (`Recorder`) -> tables (`sim.analysis.timeline`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import simpy

from sim.engine.acceptance import Acceptor
from sim.engine.coupling import site_groups
from sim.engine.credited import CreditedLedger
from sim.engine.history import StatusSiteModel
from sim.engine.ledger import Ledger
from sim.engine.plan import (
    ContractPlan,
    DeliveryPlan,
    DeliveryTranchePlan,
    Plan,
    SitePlan,
    TranchePlan,
)
from sim.engine.recorder import Recorder
from sim.engine.sampler import Deterministic, Sampler
from sim.engine.site import SiteModel


def simulate(plan: Plan, sampler: Sampler | None = None, *, together: bool = False) -> Recorder:
    """Run a plan (see `sim.engine.plan.build_plan`) over its horizon and return what
    happened, as plain rows.

    Sites that share nothing (`sim.engine.coupling.site_groups`) run apart, one group after
    another in an environment of its own, so a site costs the same however many others the
    plan holds; each group's rows are recorded together. ``together`` runs every site in one
    environment instead (for tests: every site's and contract's rows are the same, only
    interleaved differently)."""
    sampler = sampler if sampler is not None else Deterministic()
    recorder = Recorder()
    ledgers = {
        name: CreditedLedger(c, recorder) if c.recorded else Ledger(c, recorder)
        for name, c in plan.contracts.items()
    }
    groups = [[s.name for s in plan.sites]] if together else site_groups(plan)
    group_of = {site: i for i, group in enumerate(groups) for site in group}
    parts = [_Part() for _ in groups]
    for name, c in plan.contracts.items():
        parts[group_of.get(c.site, 0)].contracts.append((name, c))
    for site in plan.sites:
        parts[group_of[site.name]].sites.append(site)
    for delivery, tranche in arrival_order(plan):
        parts[group_of.get(delivery.site, 0)].arrivals.append((delivery, tranche))
    for part in parts:
        _run(plan, part, ledgers, sampler, recorder)
    return recorder


@dataclass
class _Part:
    """What one environment runs: some sites, their contracts and their arrivals, each in
    the order the whole plan has them."""

    contracts: list[tuple[str, ContractPlan]] = field(default_factory=list)
    sites: list[SitePlan] = field(default_factory=list)
    arrivals: list[tuple[DeliveryPlan, DeliveryTranchePlan]] = field(default_factory=list)


def _run(
    plan: Plan, part: _Part, ledgers: dict[str, Ledger], sampler: Sampler, recorder: Recorder
) -> None:
    """Build the processes of ``part`` in one environment and run it to the horizon."""
    env = simpy.Environment()
    for name, c in part.contracts:
        if c.recorded:
            env.process(_recorded(env, ledgers[name], c))
        for removed in c.tranches:
            if removed.closes < plan.horizon:
                env.process(_removed(env, ledgers[name], removed))
    acceptors = {name: Acceptor(env, c, plan.as_of) for name, c in part.contracts if c.acceptance}
    sites: dict[str, SiteModel] = {}
    for site in part.sites:
        accepting = any(h.contract is not None and h.contract.name in acceptors for h in site.halls)
        plain = site.as_of is None and not accepting and not site.retired
        model = SiteModel if plain else StatusSiteModel
        sites[site.name] = model(env, site, plan.platforms, ledgers, sampler, recorder, acceptors)
        sites[site.name].start()
    for delivery, tranche in part.arrivals:
        sites[delivery.site].deliver(delivery, tranche)
    env.run(until=plan.horizon)
    for site_model in sites.values():
        site_model.stop_crews()


def _recorded(env: simpy.Environment, ledger: Ledger, contract: ContractPlan):  # type: ignore[no-untyped-def]
    """Recorded acceptances of a GPU contract's tranches, on their days."""
    gpus = next(iter(contract.per_rack.values())).gpus_per_unit if contract.per_rack else 0.0
    for day, units, hall in contract.recorded:
        yield env.timeout(max(0.0, day - env.now))
        assert isinstance(ledger, CreditedLedger)
        ledger.record(env.now, units, gpus, hall)


def _removed(env: simpy.Environment, ledger: Ledger, tranche: TranchePlan):  # type: ignore[no-untyped-def]
    """A tranche removed by an amendment: on that day, what it still needs is dropped."""
    yield env.timeout(max(0.0, tranche.closes - env.now))
    ledger.remove(env.now, tranche)


def arrival_order(plan: Plan) -> list[tuple[DeliveryPlan, DeliveryTranchePlan]]:
    """The order in which delivery tranches join their site's inventory: by arrival time,
    then delivery name and line. Never file order, and a tranche dated before the start still
    queues behind an earlier one (both arrive at the start, see `SiteModel.deliver`)."""
    pairs = [(d, t) for d in plan.deliveries for t in d.tranches]
    return sorted(pairs, key=lambda p: (p[1].arrives, p[0].name, p[1].number))
