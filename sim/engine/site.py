"""SimPy processes for one site: grid phases, halls, mining, deliveries and installation.

Power: a `Container` holds the energized MW not yet reserved by a hall. A hall, once built,
waits (first come, first served) to reserve its grid MW, then commissions. Mining runs on
energized MW that no hall has reserved; MW it gives up to a hall are decommissioned for good.

Racks: tranches arrive as lots and wait in the site's inventory, for the site's crews to
install them (`sim.engine.installation`).

The processes read only the site's `SitePlan` (see `sim.engine.plan`): plain numbers.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping

import simpy

from sim.engine.acceptance import Acceptor
from sim.engine.calendar import stretch
from sim.engine.installation import Installation
from sim.engine.ledger import Ledger
from sim.engine.plan import (
    DeliveryPlan,
    DeliveryTranchePlan,
    GridPhasePlan,
    HallPlan,
    PlatformPlan,
    SitePlan,
    Start,
)
from sim.engine.recorder import Recorder, Stages
from sim.engine.sampler import Sampler
from sim.engine.state import HallState, Lot, Process, Until
from sim.engine.vocabulary import Kind, Level, Milestone, Stage
from sim.units import NOISE_EPS, QUANTITY_EPS, TIME_EPS, Days


class SiteModel(Installation):
    """The processes of one site, sharing its power, inventory and crews."""

    def __init__(
        self,
        env: simpy.Environment,
        site: SitePlan,
        platforms: Mapping[str, PlatformPlan],
        ledgers: Mapping[str, Ledger],
        sampler: Sampler,
        recorder: Recorder,
        acceptors: Mapping[str, Acceptor] | None = None,
    ) -> None:
        self.env = env
        self.site = site
        self.name = site.name
        self.platforms = platforms
        acceptors = acceptors or {}
        self.halls = [
            HallState(
                h,
                ledgers[h.contract.name] if h.contract is not None else None,
                acceptor=acceptors.get(h.contract.name) if h.contract is not None else None,
            )
            for h in site.halls
        ]
        self.sampler = sampler
        self.rec = recorder
        self.stages = Stages(recorder, site.name)
        self._level = self.stages.change
        self.power = simpy.Container(env, init=0.0)
        self.grid_mw = 0.0
        self.reserved_mw = 0.0
        self.mining_fleet_mw = site.mining.it_mw if site.mining else 0.0
        self.mining_mw = 0.0
        self.mining_potential_mw = 0.0
        self.inventory: deque[Lot] = deque()
        self.crews_busy = 0
        self.crew_freed = -math.inf
        self.taking_racks = []
        self._wake = env.event()
        self.energized: dict[str, simpy.Event] = {p.name: env.event() for p in site.grid}
        self.built: dict[str, simpy.Event] = {h.name: env.event() for h in site.halls}

    # -- start -------------------------------------------------------------------------
    def start(self) -> None:
        for phase in self.site.grid:
            self.env.process(self._grid_phase(phase))
        # By name, not file order: halls that tie (built or ready at the same moment) reserve
        # power and take racks in an order that does not depend on the lines of the file.
        for hall in sorted(self.halls, key=lambda h: h.plan.name):
            self.env.process(self._hall(hall))
        if self.site.crews is not None:
            self.start_crews()

    def _until(self, start: Start, done: Mapping[str, simpy.Event], work: str) -> Until:
        """Wait for ``start``: its day, or its predecessor (in ``done``) plus the lag; then
        its delay. Returns the time reached, and whether the approval gate set it."""
        if start.day is not None:
            t = start.day + start.delay
        else:
            assert start.after is not None
            yield done[start.after]
            t = self.env.now + start.lag + start.delay
        floor = t if start.not_before is None else max(t, start.not_before)
        gated = start.gate is not None and start.gate > floor
        t = start.gate if start.gate is not None and gated else floor
        t += stretch(t, 0.0, self.site.pauses, work)
        yield self._at(t)
        return t, gated

    # -- grid and mining ---------------------------------------------------------------
    def _grid_phase(self, phase: GridPhasePlan) -> Process:
        t, _ = yield from self._until(phase.start, self.energized, "grid")
        self._event(t, Kind.GRID, phase.name, Milestone.ENERGIZED, phase.mw)
        self._level(t, {Level.GRID_MW: phase.mw})
        self.grid_mw += phase.mw
        self.power.put(phase.mw)
        self._run_mining(t)
        self.energized[phase.name].succeed()

    def _run_mining(self, t: Days, decommission: bool = False) -> None:
        """Mining takes what energized, unreserved MW allow, up to the fleet still installed."""
        mining = self.site.mining
        if mining is None:
            return
        headroom_it = max(0.0, self.grid_mw - self.reserved_mw) / mining.pue
        if decommission and self.mining_fleet_mw > headroom_it + QUANTITY_EPS:
            removed = self.mining_fleet_mw - headroom_it
            self.mining_fleet_mw = headroom_it
            self._event(t, Kind.MINING, self.name, Milestone.DECOMMISSIONED, removed)
        running = min(self.mining_fleet_mw, headroom_it)
        delta = running - self.mining_mw
        if abs(delta) > NOISE_EPS:
            self.mining_mw = running
            self._level(t, {Level.MINING_MW: delta, Level.MINING_FACILITY_MW: delta * mining.pue})
        # What the fleet could run with no hall taking power: the baseline for the mining
        # revenue that conversion gives up.
        potential = min(mining.it_mw, self.grid_mw / mining.pue)
        if abs(potential - self.mining_potential_mw) > NOISE_EPS:
            self._level(t, {Level.MINING_POTENTIAL_MW: potential - self.mining_potential_mw})
            self.mining_potential_mw = potential

    # -- halls -------------------------------------------------------------------------
    def _hall(self, hall: HallState) -> Process:
        begins = hall.plan.construction_start
        start, gated = yield from self._until(begins, self.built, "construction")
        if gated or begins.after is None:  # else as its predecessor, built before it starts
            hall.stage = Stage.GATE if gated else Stage.HALL
        else:
            hall.stage = next(h.stage for h in self.halls if h.plan.name == begins.after)
        yield from self._build(hall.plan, start)  # capex; building -> waiting for power
        built = self.env.now
        yield self.power.get(hall.plan.grid_mw)  # first come, first served
        if self.env.now > built + TIME_EPS:
            hall.stage = Stage.GRID  # built, then waited for a phase to energize
        self._reserve(hall.plan)  # -> commissioning; mining gives way
        if hall.plan.ready_day is not None:  # recorded
            yield self._at(hall.plan.ready_day)
        else:
            yield self.env.timeout(self._stretch(hall.plan.commissioning, "commissioning"))
            yield self._at(hall.plan.ready_not_before or 0.0)
        self._ready(hall)  # -> ready; takes racks or is handed over

    def _build(self, hall: HallPlan, start: Days) -> Process:
        self._event(start, Kind.HALL, hall.name, Milestone.CONSTRUCTION_STARTED, hall.it_mw)
        self.stages.enter(start, hall.it_mw, Level.HALLS_BUILDING_MW)
        done = start + stretch(start, hall.construction, self.site.pauses, "construction")
        if hall.capex_usd and done > start:  # spent evenly over the construction period
            rate = hall.capex_usd / (done - start)
            self._level(start, {Level.CAPEX_RATE_USD_PER_DAY: rate})
            self._level(done, {Level.CAPEX_RATE_USD_PER_DAY: -rate})
        elif hall.capex_usd:
            self._level(start, {Level.CAPEX_PAID_USD: hall.capex_usd})
        yield self._at(done)
        self._event(done, Kind.HALL, hall.name, Milestone.CONSTRUCTION_COMPLETE, hall.it_mw)
        self.stages.move(
            done, hall.it_mw, frm=Level.HALLS_BUILDING_MW, to=Level.HALLS_WAITING_POWER_MW
        )
        self.built[hall.name].succeed()

    def _reserve(self, hall: HallPlan) -> None:
        now = self.env.now
        self.reserved_mw += hall.grid_mw
        self._event(now, Kind.HALL, hall.name, Milestone.POWER_RESERVED, hall.grid_mw)
        self._level(now, {Level.RESERVED_MW: hall.grid_mw})
        self.stages.move(
            now, hall.it_mw, frm=Level.HALLS_WAITING_POWER_MW, to=Level.HALLS_COMMISSIONING_MW
        )
        self._run_mining(now, decommission=True)

    def _ready(self, hall: HallState) -> None:
        plan, now = hall.plan, self.env.now
        hall.ready_at = now
        self._event(now, Kind.HALL, plan.name, Milestone.READY, plan.it_mw)
        self.stages.move(now, plan.it_mw, frm=Level.HALLS_COMMISSIONING_MW, to=Level.READY_IT_MW)
        if plan.takes_racks:
            hall.free_kw = plan.it_mw * 1000.0
            self._level(now, {Level.RACK_SPACE_KW: hall.free_kw})
            self.hall_takes_racks(hall)
        elif hall.ledger is not None:
            self._hand_over(hall.plan, hall.ledger, hall.stage)

    def _hand_over(
        self, hall: HallPlan, ledger: Ledger, stage: Stage, accepted: bool = True
    ) -> None:
        """A colocation hall goes to its tenant, who brings (and may pay for) the load."""
        now, contract = self.env.now, ledger.contract
        load = hall.it_mw * contract.tenant_load_factor
        self._event(now, Kind.HALL, hall.name, Milestone.HANDED_OVER, hall.basis_mw)
        facility = load * hall.average_pue
        self._level(
            now,
            {
                Level.AI_IT_MW: load,
                Level.AI_FACILITY_MW: facility,
                Level.COLO_HANDED_OVER_MW: hall.it_mw,
                Level.TENANT_FACILITY_MW: facility if contract.tenant_pays_power else 0.0,
            },
        )
        if accepted:  # else the tenant accepts later (see `sim.engine.history`)
            ledger.deliver(now, hall.basis_mw, 0.0, hall.name, stage)

    # -- deliveries --------------------------------------------------------------------
    def deliver(self, delivery: DeliveryPlan, tranche: DeliveryTranchePlan) -> None:
        """Schedule a delivery tranche to arrive, and its payment ``payment_terms`` later."""
        platform = self.platforms[delivery.platform]
        price = platform.price_usd_per_rack * tranche.racks
        if price:
            self._level(tranche.arrives + delivery.payment_terms, {Level.CAPEX_PAID_USD: price})
        self.env.process(self._tranche(delivery, tranche, platform))

    def _tranche(
        self, delivery: DeliveryPlan, tranche: DeliveryTranchePlan, platform: PlatformPlan
    ) -> Process:
        t = tranche.arrives
        yield self._at(t)
        self.rec.event(
            t,
            self.name,
            Kind.DELIVERY,
            delivery.name,
            Milestone.ARRIVED,
            tranche.racks,
            tranche=tranche.number,
        )
        self._level(t, {Level.RACKS_DELIVERED: tranche.racks, Level.RACKS_WAITING: tranche.racks})
        self.inventory.append(Lot(delivery.name, platform, tranche.racks, self.env.now))
        self._notify()
