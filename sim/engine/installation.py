"""Racks from a site's inventory to online: crews, installation jobs, burn-in and acceptance.

A dispatcher hands work to the free crews (a count): a job is up to `lot_racks` racks of one
lot into the first ready hall (in order of readiness, then name) with room and the right
cooling. Installed racks burn in; a fallout fraction goes to rework and is accepted later.
Accepted racks are online, less the share out for repair (failure rate x repair time):
expected values in a plan run, binomial draws per cohort in a Monte Carlo replication (see
`sim.engine.sampler`).

`Installation` is the part of `sim.engine.site.SiteModel` that does this; the site model
sets up the state it shares (declared here) and calls `hall_takes_racks` and `_notify`.
Each step records what it changes at its moment in one `_level` call, in the order the
changes happen (a stage's racks leave it before they enter the next).
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Mapping

import simpy

from sim.engine.calendar import stretch
from sim.engine.plan import HallPlan, PlatformPlan, SitePlan
from sim.engine.recorder import Recorder
from sim.engine.sampler import Sampler
from sim.engine.state import HallState, Lot, Process, job_stage
from sim.engine.vocabulary import Kind, Level, Milestone, Stage
from sim.units import CAPACITY_EPS, Days

# The levels (and the kind of entity and milestones) of a job's steps, the engine's most
# frequent, as names of this module: on Python 3.11 `Level.X` goes through
# `EnumType.__getattr__`, several times the cost of a module global.
RACKS_WAITING = Level.RACKS_WAITING
RACKS_INSTALLING = Level.RACKS_INSTALLING
RACKS_BURN_IN = Level.RACKS_BURN_IN
RACKS_REWORK = Level.RACKS_REWORK
RACKS_ACCEPTED = Level.RACKS_ACCEPTED
RACKS_INSTALLED = Level.RACKS_INSTALLED
RACKS_ONLINE = Level.RACKS_ONLINE
RACKS_IN_REPAIR = Level.RACKS_IN_REPAIR
GPUS_ONLINE = Level.GPUS_ONLINE
CREWS_BUSY = Level.CREWS_BUSY
RACK_SPACE_KW = Level.RACK_SPACE_KW
AI_IT_MW = Level.AI_IT_MW
AI_FACILITY_MW = Level.AI_FACILITY_MW
HALL = Kind.HALL
INSTALLED = Milestone.RACKS_INSTALLED
FALLOUT = Milestone.BURN_IN_FALLOUT
ACCEPTED = Milestone.RACKS_ACCEPTED
REWORK_ACCEPTED = Milestone.REWORK_ACCEPTED


def _readiness(hall: HallState) -> tuple[Days, str]:
    return (hall.ready_at or 0.0, hall.plan.name)


class Installation:
    """A site's crews and the racks they install (see the module's docstring)."""

    env: simpy.Environment
    site: SitePlan
    name: str
    halls: list[HallState]
    sampler: Sampler
    rec: Recorder
    inventory: deque[Lot]
    crews_busy: int
    """Crews on a job. The dispatcher gives a crew a job only when one is free, so a job
    never queues for a crew: a count is all a crew `Resource` would hold."""
    crew_freed: Days
    """When a crew last finished a job (a job that starts then waited for it)."""
    taking_racks: list[HallState]
    """Halls ready for racks, in order of readiness, then name (the order jobs fill them)."""
    _level: Callable[[Days, Mapping[Level, float]], None]
    """Records the levels one step changes at a moment (`Stages.change` of the site)."""
    _wake: simpy.Event

    def _event(self, t: Days, kind: Kind, name: str, milestone: Milestone, quantity: float) -> None:
        self.rec.event(t, self.name, kind, name, milestone, quantity)

    def _load(self, t: Days, hall: HallPlan, mw: float) -> None:
        """AI IT load changes by ``mw`` in ``hall`` (and its facility load with it)."""
        self._level(t, {AI_IT_MW: mw, AI_FACILITY_MW: mw * hall.average_pue})

    def _at(self, t: Days) -> simpy.Timeout:
        return self.env.timeout(max(0.0, t - self.env.now))

    def _stretch(self, work: Days, kind: str) -> Days:  # pause windows included
        return stretch(self.env.now, work, self.site.pauses, kind)

    def hall_takes_racks(self, hall: HallState) -> None:
        """``hall`` is ready: jobs may take it (after the halls ready before it)."""
        bisect.insort(self.taking_racks, hall, key=_readiness)
        self._notify()

    # -- the dispatcher ----------------------------------------------------------------
    def _notify(self) -> None:
        if not self._wake.triggered:
            self._wake.succeed()

    def start_crews(self) -> None:
        """Dispatch work each time the crews are woken (`_notify`: racks arrived, a hall is
        ready, a crew is free), as a callback of the wake-up event (a process resumed by it
        would cost a generator step each time, at the same moment). Without a status update
        the first dispatch is at the first wake-up: at the start nothing is delivered and no
        hall is ready. With one, not before the data date: until then only recorded
        installations."""
        if self.site.as_of is None:
            self._wake.callbacks.append(self._woken)
        else:
            self.env.process(self._from_data_date(self.site.as_of))

    def stop_crews(self) -> None:
        """The run is over: the wake-up event lets go of its callback, which refers back to
        the site, so the site (and its recorder) is freed as soon as it is no longer used,
        not left for the garbage collector to find in a cycle."""
        self._wake.callbacks = []

    def _from_data_date(self, as_of: Days) -> Process:
        yield self._at(as_of)
        yield self.env.timeout(0.0)  # installations recorded on the data date go first
        self._woken(None)

    def _woken(self, _: simpy.Event | None) -> None:
        self._dispatch()
        self._wake = self.env.event()
        self._wake.callbacks.append(self._woken)

    def _next_job(self) -> tuple[Lot, HallState] | None:
        """The first waiting lot that fits a ready hall, and the first such hall."""
        for lot in self.inventory:
            kw = lot.platform.hall_kw_per_rack
            for hall in self.taking_racks:
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
                self._level(self.env.now, {RACK_SPACE_KW: -hall.free_kw})
            self.crews_busy += 1  # a free crew takes the job at once
            jobs.append((hall, lot.platform, racks, job_stage(lot, hall, self.crew_freed)))
        for hall, platform, racks, stage in jobs:
            self._install(hall, platform, racks, stage)

    # -- a job -------------------------------------------------------------------------
    # A job is three steps on the crew's clock, each a timeout with a callback (a SimPy
    # process per job cost two more events and changed no date): it starts (`_install`), its
    # racks are installed (`_job_done`), and after burn-in they are accepted or reworked
    # (`_burnt_in`). ``stage`` (`sim.engine.state.job_stage`) goes with them to acceptance.
    def _install(self, hall: HallState, platform: PlatformPlan, racks: int, stage: Stage) -> None:
        """A crew starts installing ``racks`` racks of ``platform`` in ``hall``."""
        assert self.site.crews is not None
        now = self.env.now
        self._level(
            now,
            {
                RACKS_WAITING: -racks,  # the racks move to installation
                RACKS_INSTALLING: racks,
                RACK_SPACE_KW: -racks * platform.hall_kw_per_rack,
                CREWS_BUSY: 1,
            },
        )
        work = racks / self.site.crews.racks_per_week * 7.0
        work = stretch(now, work, self.site.pauses, "installation")  # pause windows included
        installed = self.env.timeout(work)
        installed.callbacks.append(lambda _: self._job_done(hall, platform, racks, stage))

    def _job_done(self, hall: HallState, platform: PlatformPlan, racks: int, stage: Stage) -> None:
        """The crew is done and free again; the racks draw power and start their burn-in."""
        self.crews_busy -= 1
        t = self.crew_freed = self.env.now
        self.rec.event(t, self.name, HALL, hall.plan.name, INSTALLED, racks)
        mw = racks * platform.hall_kw_per_rack / 1000.0
        self._level(
            t,
            {
                RACKS_INSTALLING: -racks,  # the racks move to burn-in
                RACKS_BURN_IN: racks,
                RACKS_INSTALLED: racks,
                CREWS_BUSY: -1,
                AI_IT_MW: mw,  # and draw power
                AI_FACILITY_MW: mw * hall.plan.average_pue,
            },
        )
        self._notify()
        burn_in = self.env.timeout(platform.burn_in)
        burn_in.callbacks.append(lambda _: self._burnt_in(hall, platform, racks, stage))

    def _burnt_in(self, hall: HallState, platform: PlatformPlan, racks: int, stage: Stage) -> None:
        """Burn-in ends: a fallout share goes to rework, the rest is accepted. ``stage`` set
        the time the racks' job started, and so the time they are accepted."""
        failed = self.sampler.fallout(hall.plan.key, racks, platform.fallout)
        t = self.env.now
        if failed:
            self.rec.event(t, self.name, HALL, hall.plan.name, FALLOUT, failed)
            mw = -(failed * platform.hall_kw_per_rack / 1000.0)
            self._level(
                t,
                {
                    RACKS_BURN_IN: -failed,  # the failed racks move to rework
                    RACKS_REWORK: failed,
                    AI_IT_MW: mw,  # and draw no power there
                    AI_FACILITY_MW: mw * hall.plan.average_pue,
                },
            )
            # A timeout with a callback, not a process: SimPy would start the process at once,
            # before any other event of this moment, and it would create the same timeout
            # (three events where one does, the same dates in the same order).
            reworked = self.env.timeout(platform.rework)
            reworked.callbacks.append(lambda _: self._reworked(hall, platform, failed, stage))
        if racks - failed:
            self._accept(hall, platform, racks - failed, RACKS_BURN_IN, stage)

    def _reworked(self, hall: HallState, platform: PlatformPlan, racks: int, stage: Stage) -> None:
        self._load(self.env.now, hall.plan, racks * platform.hall_kw_per_rack / 1000.0)
        self._accept(hall, platform, racks, RACKS_REWORK, stage)

    def _accept(
        self, hall: HallState, platform: PlatformPlan, racks: int, frm: Level, stage: Stage
    ) -> None:
        """Racks pass acceptance (at once: see `sim.engine.history` for customer acceptance):
        online, less the share out for repair."""
        t = self.env.now
        down = self.sampler.out_of_service(hall.plan.key, racks, platform.unavailability)
        up = racks - down
        accepted = REWORK_ACCEPTED if frm is RACKS_REWORK else ACCEPTED
        self.rec.event(t, self.name, HALL, hall.plan.name, accepted, racks)
        mw = -(down * platform.hall_kw_per_rack / 1000.0)
        self._level(
            t,
            {
                frm: -racks,  # the racks move to accepted
                RACKS_ACCEPTED: racks,
                RACKS_ONLINE: up,
                RACKS_IN_REPAIR: down,
                GPUS_ONLINE: up * platform.gpus_per_rack,
                AI_IT_MW: mw,  # those out for repair draw no power
                AI_FACILITY_MW: mw * hall.plan.average_pue,
            },
        )
        if hall.ledger is not None:
            counts = hall.ledger.contract.per_rack[platform.name]
            billed = counts.gpus_per_unit
            if hall.ledger.contract.bills_available:
                billed *= up / racks  # the GPUs out for repair do not bill
            hall.ledger.deliver(t, racks * counts.units, billed, hall.plan.name, stage)
