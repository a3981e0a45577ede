"""SimPy processes for one site: grid phases, halls, mining, deliveries and installation.

Power: a `Container` holds the energized MW not yet reserved by a hall. A hall, once built,
waits (first come, first served) to reserve its grid MW, then commissions. Mining runs on
energized MW that no hall has reserved; MW it gives up to a hall are decommissioned for good.

Racks: tranches arrive as lots and wait in the site's inventory. A dispatcher hands work to
the crews (a `Resource`): a job is up to `lot_racks` racks of one lot into the first ready
hall (in order of readiness) with room and the right cooling. Installed racks burn in; a
fallout fraction goes to rework and is accepted later. Accepted racks are online, less the
share out for repair (failure rate x repair time): expected values in a plan run, binomial
draws per cohort in a Monte Carlo replication (see `sim.engine.sampler`).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Generator, Mapping
from dataclasses import dataclass

import simpy
from simpy.resources.resource import Request

from sim.engine.ledger import Ledger
from sim.engine.recorder import Recorder
from sim.engine.sampler import Sampler
from sim.schema import Hall, Platform, Site

Process = Generator[simpy.Event, object, None]


@dataclass
class HallState:
    name: str
    spec: Hall
    ledger: Ledger | None
    takes_racks: bool
    basis_mw: float = 0.0
    ready_at: float | None = None
    free_kw: float = 0.0


@dataclass
class Lot:
    delivery: str
    platform: str
    racks: int


class SiteModel:
    """The processes of one site, sharing its power, inventory and crews."""

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: Site,
        platforms: Mapping[str, Platform],
        halls: list[HallState],
        sampler: Sampler,
        recorder: Recorder,
        start: dt.date,
    ) -> None:
        self.env = env
        self.start_date = start
        self.name = name
        self.spec = spec
        self.platforms = platforms
        self.halls = {h.name: h for h in halls}
        self.sampler = sampler
        self.rec = recorder
        self.power = simpy.Container(env, init=0.0)
        self.grid_mw = 0.0
        self.reserved_mw = 0.0
        self.mining_fleet_mw = spec.mining.it_mw if spec.mining else 0.0
        self.mining_mw = 0.0
        self.mining_potential_mw = 0.0
        self.inventory: deque[Lot] = deque()
        self.smallest_rack_kw = 0.0
        """Hall kW of the smallest rack delivered to the site; less free space is stranded."""
        self.crews = simpy.Resource(env, capacity=spec.crews.count) if spec.crews else None
        self._wake = env.event()
        self.energized: dict[str, simpy.Event] = {p.name: env.event() for p in spec.grid}
        self.built: dict[str, simpy.Event] = {h: env.event() for h in self.halls}

    # -- start -------------------------------------------------------------------------
    def start(self) -> None:
        for phase_index in range(len(self.spec.grid)):
            self.env.process(self._grid_phase(phase_index))
        for hall in self.halls.values():
            self.env.process(self._hall(hall))
        if self.crews is not None:
            self.env.process(self._dispatcher())

    def _at(self, t: float) -> simpy.Timeout:
        return self.env.timeout(max(0.0, t - self.env.now))

    def _key(self, *parts: str) -> str:
        return "/".join((self.name, *parts))

    # -- grid and mining ---------------------------------------------------------------
    def _grid_phase(self, index: int) -> Process:
        phase = self.spec.grid[index]
        if phase.energized is not None:
            t = self._offset(phase.energized) + phase.delay
        else:
            assert phase.after is not None
            yield self.energized[phase.after]
            t = self.env.now + phase.lead_time + phase.delay
        yield self._at(t)
        self.rec.event(t, self.name, f"grid/{phase.name}", "energized", phase.mw)
        self.rec.level(t, self.name, grid_mw=phase.mw)
        self.grid_mw += phase.mw
        self.power.put(phase.mw)
        self._run_mining(t)
        self.energized[phase.name].succeed()

    def _offset(self, date: dt.date) -> float:
        return float((date - self.start_date).days)

    def _run_mining(self, t: float, decommission: bool = False) -> None:
        """Mining takes what energized, unreserved MW allow, up to the fleet still installed."""
        mining = self.spec.mining
        if mining is None:
            return
        headroom_it = max(0.0, self.grid_mw - self.reserved_mw) / mining.pue
        if decommission and self.mining_fleet_mw > headroom_it + 1e-9:
            removed = self.mining_fleet_mw - headroom_it
            self.mining_fleet_mw = headroom_it
            self.rec.event(t, self.name, "mining", "decommissioned", removed)
        running = min(self.mining_fleet_mw, headroom_it)
        delta = running - self.mining_mw
        if abs(delta) > 1e-12:
            self.mining_mw = running
            self.rec.level(t, self.name, mining_mw=delta, mining_facility_mw=delta * mining.pue)
        # What the fleet could run with no hall taking power: the baseline for the mining
        # revenue that conversion gives up.
        potential = min(mining.it_mw, self.grid_mw / mining.pue)
        if abs(potential - self.mining_potential_mw) > 1e-12:
            self.rec.level(t, self.name, mining_potential_mw=potential - self.mining_potential_mw)
            self.mining_potential_mw = potential

    # -- halls -------------------------------------------------------------------------
    def _hall(self, hall: HallState) -> Process:
        spec = hall.spec
        build = spec.construction
        if build.start is not None:
            start = self._offset(build.start) + build.delay
        else:
            assert build.after is not None
            yield self.built[build.after]
            start = self.env.now + build.lag + build.delay
        yield self._at(start)
        entity = f"hall/{hall.name}"
        self.rec.event(start, self.name, entity, "construction_started", spec.it_mw)
        self.rec.level(start, self.name, halls_building_mw=spec.it_mw)
        done = start + build.duration
        capex = spec.capex_usd_per_mw * spec.it_mw
        if capex and done > start:  # spent evenly over the construction period
            rate = capex / (done - start)
            self.rec.level(start, self.name, capex_rate_usd_per_day=rate)
            self.rec.level(done, self.name, capex_rate_usd_per_day=-rate)
        elif capex:
            self.rec.level(start, self.name, capex_paid_usd=capex)
        yield self._at(done)
        self.rec.event(done, self.name, entity, "construction_complete", spec.it_mw)
        self.rec.level(
            done, self.name, halls_building_mw=-spec.it_mw, halls_waiting_power_mw=spec.it_mw
        )
        self.built[hall.name].succeed()

        need = spec.required_grid_mw
        yield self.power.get(need)
        now = self.env.now
        self.reserved_mw += need
        self.rec.event(now, self.name, entity, "power_reserved", need)
        self.rec.level(
            now,
            self.name,
            reserved_mw=need,
            halls_waiting_power_mw=-spec.it_mw,
            halls_commissioning_mw=spec.it_mw,
        )
        self._run_mining(now, decommission=True)

        yield self.env.timeout(spec.commissioning)
        now = self.env.now
        hall.ready_at = now
        self.rec.event(now, self.name, entity, "ready", spec.it_mw)
        self.rec.level(now, self.name, ready_it_mw=spec.it_mw, halls_commissioning_mw=-spec.it_mw)
        if hall.takes_racks:
            hall.free_kw = spec.it_mw * 1000.0
            self.rec.level(now, self.name, rack_space_kw=hall.free_kw)
            self._notify()
        elif hall.ledger is not None:
            tenant = getattr(hall.ledger.contract, "tenant_load_factor", 1.0)
            load = spec.it_mw * tenant
            self.rec.event(now, self.name, entity, "handed_over", hall.basis_mw)
            pays = getattr(hall.ledger.contract, "tenant_pays_power", False)
            self.rec.level(
                now,
                self.name,
                ai_it_mw=load,
                ai_facility_mw=load * spec.average_pue,
                colo_handed_over_mw=spec.it_mw,
                tenant_facility_mw=load * spec.average_pue if pays else 0.0,
            )
            hall.ledger.deliver(now, hall.basis_mw, 0.0)

    # -- deliveries --------------------------------------------------------------------
    def deliver(
        self, delivery: str, index: int, t: float, racks: int, pay_after: float, platform: str
    ) -> None:
        """Schedule a tranche of ``racks`` to arrive at time ``t``, paid ``pay_after`` later."""
        price = self.platforms[platform].price_usd_per_rack * racks
        if price:
            self.rec.level(t + pay_after, self.name, capex_paid_usd=price)
        self.env.process(self._tranche(delivery, platform, index, t, racks))

    def _tranche(self, delivery: str, platform: str, index: int, t: float, racks: int) -> Process:
        yield self._at(t)
        self.rec.event(t, self.name, f"delivery/{delivery}", f"tranche_{index + 1}_arrived", racks)
        self.rec.level(t, self.name, racks_delivered=racks, racks_waiting=racks)
        self.inventory.append(Lot(delivery, platform, racks))
        self._notify()

    # -- installation ------------------------------------------------------------------
    def _notify(self) -> None:
        if not self._wake.triggered:
            self._wake.succeed()

    def _dispatcher(self) -> Process:
        while True:
            self._dispatch()
            self._wake = self.env.event()
            yield self._wake

    def _ready_halls(self) -> list[HallState]:
        ready = [h for h in self.halls.values() if h.takes_racks and h.ready_at is not None]
        return sorted(ready, key=lambda h: h.ready_at)  # type: ignore[arg-type,return-value]

    def _dispatch(self) -> None:
        assert self.crews is not None
        assert self.spec.crews is not None
        job_racks = self.spec.crews.job_racks
        while self.crews.count < self.crews.capacity and self.inventory:
            for lot in self.inventory:
                platform = self.platforms[lot.platform]
                kw = platform.hall_kw_per_rack
                hall = next(
                    (
                        h
                        for h in self._ready_halls()
                        if h.free_kw + 1e-6 >= kw and platform.cooling in ("any", h.spec.cooling)
                    ),
                    None,
                )
                if hall is not None:
                    break
            else:
                return  # nothing waiting fits anywhere yet
            racks = min(job_racks, lot.racks, int((hall.free_kw + 1e-6) // kw))
            lot.racks -= racks
            if lot.racks == 0:
                self.inventory.remove(lot)
            hall.free_kw -= racks * kw
            if 1e-6 < hall.free_kw < self.smallest_rack_kw - 1e-6:
                # Too little left for any rack delivered here: not room, whatever the level.
                self.rec.level(self.env.now, self.name, rack_space_kw=-hall.free_kw)
            request = self.crews.request()  # granted at once: a crew is free
            self.env.process(self._install(request, hall, lot, racks))

    def _install(self, request: Request, hall: HallState, lot: Lot, racks: int) -> Process:
        assert self.crews is not None
        assert self.spec.crews is not None
        platform = self.platforms[lot.platform]
        kw = platform.hall_kw_per_rack
        t = self.env.now
        entity = f"hall/{hall.name}"
        self.rec.level(
            t,
            self.name,
            racks_waiting=-racks,
            racks_installing=racks,
            rack_space_kw=-racks * kw,
            crews_busy=1,
        )
        yield request
        yield self.env.timeout(racks / self.spec.crews.racks_per_week * 7.0)
        self.crews.release(request)
        t = self.env.now
        load = racks * kw / 1000.0
        self.rec.event(t, self.name, entity, "racks_installed", racks)
        self.rec.level(
            t,
            self.name,
            racks_installing=-racks,
            racks_installed=racks,
            racks_burn_in=racks,
            crews_busy=-1,
            ai_it_mw=load,
            ai_facility_mw=load * hall.spec.average_pue,
        )
        self._notify()
        yield from self._burn_in(hall, lot.platform, racks)  # the same lot, one process

    def _burn_in(self, hall: HallState, platform_name: str, racks: int) -> Process:
        platform = self.platforms[platform_name]
        yield self.env.timeout(platform.burn_in)
        failed = self.sampler.fallout(self._key(hall.name), racks, platform.fallout)
        t = self.env.now
        kw = platform.hall_kw_per_rack
        if failed:
            load = failed * kw / 1000.0
            self.rec.event(t, self.name, f"hall/{hall.name}", "burn_in_fallout", failed)
            self.rec.level(
                t,
                self.name,
                racks_burn_in=-failed,
                racks_rework=failed,
                ai_it_mw=-load,
                ai_facility_mw=-load * hall.spec.average_pue,
            )
            self.env.process(self._rework(hall, platform_name, failed))
        if racks - failed:
            self._accept(hall, platform_name, racks - failed, "racks_burn_in", "racks_accepted")

    def _rework(self, hall: HallState, platform_name: str, racks: int) -> Process:
        platform = self.platforms[platform_name]
        yield self.env.timeout(platform.rework)
        load = racks * platform.hall_kw_per_rack / 1000.0
        self.rec.level(
            self.env.now, self.name, ai_it_mw=load, ai_facility_mw=load * hall.spec.average_pue
        )
        self._accept(hall, platform_name, racks, "racks_rework", "rework_accepted")

    def _accept(
        self, hall: HallState, platform_name: str, racks: int, source: str, event: str
    ) -> None:
        """Racks pass acceptance: online, less the share out for repair."""
        platform = self.platforms[platform_name]
        t = self.env.now
        down = self.sampler.out_of_service(self._key(hall.name), racks, platform.unavailability)
        up = racks - down
        load = down * platform.hall_kw_per_rack / 1000.0
        self.rec.event(t, self.name, f"hall/{hall.name}", event, racks)
        self.rec.level(
            t,
            self.name,
            **{source: -racks},
            racks_accepted=racks,
            racks_online=up,
            racks_in_repair=down,
            gpus_online=up * platform.gpus_per_rack,
            ai_it_mw=-load,
            ai_facility_mw=-load * hall.spec.average_pue,
        )
        if hall.ledger is not None:
            unit_gpus = (
                1.0 if hall.ledger.contract.unit == "gpus" else float(platform.gpus_per_rack)
            )
            units = racks * (platform.gpus_per_rack if hall.ledger.contract.unit == "gpus" else 1)
            if getattr(hall.ledger.contract, "billed_gpus", "accepted") == "available":
                unit_gpus *= up / racks  # the GPUs out for repair do not bill
            hall.ledger.deliver(t, units, unit_gpus)
