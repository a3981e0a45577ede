"""SimPy processes for one site: grid phases, halls, mining, deliveries and installation.

Power: a `Container` holds the energized MW not yet reserved by a hall. A hall, once built,
waits (first come, first served) to reserve its grid MW, then commissions. Mining runs on
energized MW that no hall has reserved; MW it gives up to a hall are decommissioned for good.

Racks: tranches arrive as lots and wait in the site's inventory. A dispatcher hands work to
the free crews (a count): a job is up to `lot_racks` racks of one lot into the first ready
hall (in order of readiness, then name) with room and the right cooling. Installed racks
burn in; a fallout fraction goes to rework and is accepted later. Accepted racks are online,
less the share out for repair (failure rate x repair time): expected values in a plan run,
binomial draws per cohort in a Monte Carlo replication (see `sim.engine.sampler`).

The processes read only the site's `SitePlan` (see `sim.engine.plan`): plain numbers.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping

import simpy

from sim.engine.acceptance import Acceptor
from sim.engine.calendar import stretch
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
from sim.engine.state import HallState, Lot, Process, Until, job_stage
from sim.engine.vocabulary import Kind, Level, Milestone, Stage
from sim.units import CAPACITY_EPS, NOISE_EPS, QUANTITY_EPS, TIME_EPS, Days


class SiteModel:
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
        self.power = simpy.Container(env, init=0.0)
        self.grid_mw = 0.0
        self.reserved_mw = 0.0
        self.mining_fleet_mw = site.mining.it_mw if site.mining else 0.0
        self.mining_mw = 0.0
        self.mining_potential_mw = 0.0
        self.inventory: deque[Lot] = deque()
        self.crews_busy = 0
        """Crews on a job. The dispatcher gives a crew a job only when one is free, so a job
        never queues for a crew: a count is all a crew `Resource` would hold."""
        self.crew_freed = -math.inf
        """When a crew last finished a job (a job that starts then waited for it)."""
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
            self.env.process(self._dispatcher())

    def _at(self, t: Days) -> simpy.Timeout:
        return self.env.timeout(max(0.0, t - self.env.now))

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

    def _stretch(self, work: Days, kind: str) -> Days:  # pause windows included
        return stretch(self.env.now, work, self.site.pauses, kind)

    def _event(self, t: Days, kind: Kind, name: str, milestone: Milestone, quantity: float) -> None:
        self.rec.event(t, self.name, kind, name, milestone, quantity)

    def _level(self, t: Days, deltas: Mapping[Level, float]) -> None:
        self.rec.level(t, self.name, deltas)

    def _load(self, t: Days, hall: HallPlan, mw: float) -> None:
        """AI IT load changes by ``mw`` in ``hall`` (and its facility load with it)."""
        self._level(t, {Level.AI_IT_MW: mw, Level.AI_FACILITY_MW: mw * hall.average_pue})

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
            self._notify()
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

    # -- installation ------------------------------------------------------------------
    def _notify(self) -> None:
        if not self._wake.triggered:
            self._wake.succeed()

    def _dispatcher(self) -> Process:
        if self.site.as_of is not None:
            yield self._at(self.site.as_of)  # before it, only recorded installations
            yield self.env.timeout(0.0)  # and those recorded on the data date go first
        while True:
            self._dispatch()
            self._wake = self.env.event()
            yield self._wake

    def _ready_halls(self) -> list[HallState]:
        ready = [h for h in self.halls if h.plan.takes_racks and h.ready_at is not None]
        return sorted(ready, key=lambda h: (h.ready_at or 0.0, h.plan.name))

    def _next_job(self) -> tuple[Lot, HallState] | None:
        """The first waiting lot that fits a ready hall, and the first such hall."""
        halls = self._ready_halls()
        for lot in self.inventory:
            kw = lot.platform.hall_kw_per_rack
            for hall in halls:
                if hall.free_kw + CAPACITY_EPS >= kw and lot.platform.fits(hall.plan.cooling):
                    return lot, hall
        return None

    def _dispatch(self) -> None:
        """Give free crews jobs while waiting racks fit somewhere; the jobs start once every
        free crew has one."""
        crews = self.site.crews
        assert crews is not None
        jobs: list[tuple[HallState, PlatformPlan, int, Stage]] = []
        while self.crews_busy < crews.count and self.inventory:
            job = self._next_job()
            if job is None:
                break  # nothing waiting fits anywhere yet
            lot, hall = job
            kw = lot.platform.hall_kw_per_rack
            racks = min(crews.job_racks, lot.racks, int((hall.free_kw + CAPACITY_EPS) // kw))
            lot.racks -= racks
            if lot.racks == 0:
                self.inventory.remove(lot)
            hall.free_kw -= racks * kw
            hall.pending += racks
            if CAPACITY_EPS < hall.free_kw < self.site.smallest_rack_kw - CAPACITY_EPS:
                # Too little left for any rack delivered here: not room, whatever the level.
                self._level(self.env.now, {Level.RACK_SPACE_KW: -hall.free_kw})
            self.crews_busy += 1  # a free crew takes the job at once
            jobs.append((hall, lot.platform, racks, job_stage(lot, hall, self.crew_freed)))
        for hall, platform, racks, stage in jobs:
            self._install(hall, platform, racks, stage)

    # A job is three steps on the crew's clock, each a timeout with a callback (a SimPy
    # process per job cost two more events and changed no date): it starts (`_install`), its
    # racks are installed (`_job_done`), and after burn-in they are accepted or reworked
    # (`_burnt_in`). ``stage`` (`sim.engine.state.job_stage`) goes with them to acceptance.
    def _install(self, hall: HallState, platform: PlatformPlan, racks: int, stage: Stage) -> None:
        """A crew starts installing ``racks`` racks of ``platform`` in ``hall``."""
        assert self.site.crews is not None
        t = self.env.now
        self.stages.move(t, racks, frm=Level.RACKS_WAITING, to=Level.RACKS_INSTALLING)
        self._level(
            t, {Level.RACK_SPACE_KW: -racks * platform.hall_kw_per_rack, Level.CREWS_BUSY: 1}
        )
        work = self._stretch(racks / self.site.crews.racks_per_week * 7.0, "installation")
        self._after(work, lambda: self._job_done(hall, platform, racks, stage))

    def _job_done(self, hall: HallState, platform: PlatformPlan, racks: int, stage: Stage) -> None:
        """The crew is done and free again; the racks draw power and start their burn-in."""
        self.crews_busy -= 1
        t = self.crew_freed = self.env.now
        self._event(t, Kind.HALL, hall.plan.name, Milestone.RACKS_INSTALLED, racks)
        self.stages.move(t, racks, frm=Level.RACKS_INSTALLING, to=Level.RACKS_BURN_IN)
        self._level(t, {Level.RACKS_INSTALLED: racks, Level.CREWS_BUSY: -1})
        self._load(t, hall.plan, racks * platform.hall_kw_per_rack / 1000.0)
        self._notify()
        self._after(platform.burn_in, lambda: self._burnt_in(hall, platform, racks, stage))

    def _after(self, delay: Days, then: Callable[[], None]) -> None:
        self.env.timeout(delay).callbacks.append(lambda _: then())  # ``then`` in ``delay`` days

    def _burnt_in(self, hall: HallState, platform: PlatformPlan, racks: int, stage: Stage) -> None:
        """Burn-in ends: a fallout share goes to rework, the rest is accepted. ``stage`` set
        the time the racks' job started, and so the time they are accepted."""
        failed = self.sampler.fallout(hall.plan.key, racks, platform.fallout)
        t = self.env.now
        if failed:
            self._event(t, Kind.HALL, hall.plan.name, Milestone.BURN_IN_FALLOUT, failed)
            self.stages.move(t, failed, frm=Level.RACKS_BURN_IN, to=Level.RACKS_REWORK)
            self._load(t, hall.plan, -(failed * platform.hall_kw_per_rack / 1000.0))
            self.env.process(self._rework(hall, platform, failed, stage))
        if racks - failed:
            self._accept(hall, platform, racks - failed, Level.RACKS_BURN_IN, stage)

    def _rework(self, hall: HallState, platform: PlatformPlan, racks: int, stage: Stage) -> Process:
        yield self.env.timeout(platform.rework)
        self._load(self.env.now, hall.plan, racks * platform.hall_kw_per_rack / 1000.0)
        self._accept(hall, platform, racks, Level.RACKS_REWORK, stage)

    def _accept(
        self, hall: HallState, platform: PlatformPlan, racks: int, frm: Level, stage: Stage
    ) -> None:
        """Racks pass acceptance (at once: see `sim.engine.history` for customer acceptance):
        online, less the share out for repair."""
        t = self.env.now
        down = self.sampler.out_of_service(hall.plan.key, racks, platform.unavailability)
        up = racks - down
        accepted = (
            Milestone.REWORK_ACCEPTED if frm is Level.RACKS_REWORK else Milestone.RACKS_ACCEPTED
        )
        self._event(t, Kind.HALL, hall.plan.name, accepted, racks)
        self.stages.move(t, racks, frm=frm, to=Level.RACKS_ACCEPTED)
        self._level(
            t,
            {
                Level.RACKS_ONLINE: up,
                Level.RACKS_IN_REPAIR: down,
                Level.GPUS_ONLINE: up * platform.gpus_per_rack,
            },
        )
        self._load(t, hall.plan, -(down * platform.hall_kw_per_rack / 1000.0))
        if hall.ledger is not None:
            counts = hall.ledger.contract.per_rack[platform.name]
            billed = counts.gpus_per_unit
            if hall.ledger.contract.bills_available:
                billed *= up / racks  # the GPUs out for repair do not bill
            hall.ledger.deliver(t, racks * counts.units, billed, hall.plan.name, stage)
