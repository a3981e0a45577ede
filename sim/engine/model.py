"""Build the SimPy model of a plan and run it: a pure function of (plan, sampler).

The lifecycle, as in desmod: realize (`sim.engine.realize`) -> plan (`sim.engine.plan`) ->
build (here) -> run -> record (`Recorder`) -> tables (`sim.analysis.timeline`).
"""

from __future__ import annotations

import simpy

from sim.engine.acceptance import Acceptor
from sim.engine.credited import CreditedLedger
from sim.engine.history import StatusSiteModel
from sim.engine.ledger import Ledger
from sim.engine.plan import ContractPlan, DeliveryPlan, DeliveryTranchePlan, Plan, TranchePlan
from sim.engine.recorder import Recorder
from sim.engine.sampler import Deterministic, Sampler
from sim.engine.site import SiteModel


def simulate(plan: Plan, sampler: Sampler | None = None) -> Recorder:
    """Run a plan (see `sim.engine.plan.build_plan`) over its horizon and return what
    happened, as plain rows."""
    sampler = sampler if sampler is not None else Deterministic()
    env = simpy.Environment()
    recorder = Recorder()
    ledgers = {
        name: CreditedLedger(c, recorder) if c.recorded else Ledger(c, recorder)
        for name, c in plan.contracts.items()
    }
    for name, c in plan.contracts.items():
        if c.recorded:
            env.process(_recorded(env, ledgers[name], c))
        for removed in c.tranches:
            if removed.closes < plan.horizon:
                env.process(_removed(env, ledgers[name], removed))
    acceptors = {
        name: Acceptor(env, c, plan.as_of) for name, c in plan.contracts.items() if c.acceptance
    }
    sites: dict[str, SiteModel] = {}
    for site in plan.sites:
        accepting = any(h.contract is not None and h.contract.name in acceptors for h in site.halls)
        plain = site.as_of is None and not accepting and not site.retired
        model = SiteModel if plain else StatusSiteModel
        sites[site.name] = model(env, site, plan.platforms, ledgers, sampler, recorder, acceptors)
        sites[site.name].start()
    for delivery, tranche in arrival_order(plan):
        sites[delivery.site].deliver(delivery, tranche)
    env.run(until=plan.horizon)
    return recorder


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
