"""Build the SimPy model of a scenario and run it: a pure function of (scenario, sampler)."""

from __future__ import annotations

import simpy

from sim.engine.ledger import Ledger
from sim.engine.recorder import Recorder
from sim.engine.sampler import Deterministic, Sampler
from sim.engine.site import HallState, SiteModel
from sim.schema import Scenario
from sim.schema.contract import ColocationContract
from sim.topology import contract_halls, rack_halls


def simulate(scenario: Scenario, sampler: Sampler | None = None) -> Recorder:
    """Run a concrete scenario (no distributions left: see `sim.realize`) over its horizon
    and return what happened, as plain rows."""
    sampler = sampler if sampler is not None else Deterministic()
    env = simpy.Environment()
    recorder = Recorder()
    start = scenario.scenario.start
    horizon = float((scenario.scenario.end - start).days) + 1.0

    ledgers = {name: Ledger(name, c, recorder) for name, c in scenario.contracts.items()}
    serving = {
        (scenario.contracts[name].site, hall): name
        for name, halls in contract_halls(scenario).items()
        for hall in halls
    }
    sites: dict[str, SiteModel] = {}
    for site_name, site in scenario.sites.items():
        takes_racks = set(rack_halls(scenario, site_name))
        halls = []
        for hall_name, hall in site.halls.items():
            owner = serving.get((site_name, hall_name))
            ledger = ledgers[owner] if owner is not None else None
            basis = hall.it_mw
            if owner is not None:
                contract = scenario.contracts[owner]
                if isinstance(contract, ColocationContract) and contract.mw_basis == "gross":
                    basis = hall.design_gross_mw
            halls.append(HallState(hall_name, hall, ledger, hall_name in takes_racks, basis))
        model = SiteModel(env, site_name, site, scenario.platforms, halls, sampler, recorder, start)
        sites[site_name] = model
        model.start()

    for site_name, model in sites.items():
        kws = [
            scenario.platforms[d.platform].hall_kw_per_rack
            for d in scenario.deliveries.values()
            if d.site == site_name
        ]
        model.smallest_rack_kw = min(kws, default=0.0)
    # Tranches join the site's inventory by arrival time, then delivery name and line: never
    # in file order, and one dated before the start still queues behind an earlier one
    # (both arrive at the start).
    arrivals = sorted(
        (float((tranche.date - start).days) + delivery.slip + tranche.slip, name, index)
        for name, delivery in scenario.deliveries.items()
        for index, tranche in enumerate(delivery.tranches)
    )
    for t, name, index in arrivals:
        delivery = scenario.deliveries[name]
        sites[delivery.site].deliver(
            name,
            index,
            t,
            delivery.tranches[index].racks,
            delivery.payment_terms,
            delivery.platform,
        )

    env.run(until=horizon)
    return recorder
