"""A site with a status update's recorded past or with customer acceptance: the same
processes as `SiteModel`, plus the recorded installations, acceptances and mining
retirements, each on its day, and units that wait for the customer's acceptance.

Before the data date only what is recorded happens: crews take no other job (see
`Installation.start_crews`), racks installed but not accepted by then end their burn-in at the
data date at the earliest, and nothing unrecorded is accepted or handed over before it.
Units ready wait for acceptance (see `sim.engine.acceptance`) when their contract has one.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from sim.engine.ledger import Ledger
from sim.engine.plan import DeliveryPlan, DeliveryTranchePlan, HallPlan, PlatformPlan
from sim.engine.site import SiteModel
from sim.engine.state import HallState, Process
from sim.engine.vocabulary import Kind, Level, Milestone, Stage
from sim.units import QUANTITY_EPS, Days


class StatusSiteModel(SiteModel):
    """A site whose plan carries a status update (`SitePlan.as_of` is set) or whose halls
    serve a contract with customer acceptance."""

    racks_expected = 0
    """Racks of every delivery to the site."""
    racks_ready = 0
    """Racks through burn-in and rework (ready for acceptance) so far."""

    def deliver(self, delivery: DeliveryPlan, tranche: DeliveryTranchePlan) -> None:
        self.racks_expected += tranche.racks
        super().deliver(delivery, tranche)

    def start(self) -> None:
        super().start()
        for hall in self.halls:
            if hall.plan.installed:
                self.env.process(self._recorded_racks(hall))
        for day, mw in self.site.retired:
            self.env.process(self._retire(day, mw))

    # -- acceptance --------------------------------------------------------------------
    def _accept(
        self, hall: HallState, platform: PlatformPlan, racks: int, frm: Level, stage: Stage
    ) -> None:
        """Racks through burn-in or rework are ready: they wait for the customer's acceptance
        when the hall's contract has one."""
        acceptor = hall.acceptor
        hall.pending -= racks
        self.racks_ready += racks
        if acceptor is None:
            super()._accept(hall, platform, racks, frm, stage)
            return
        t = self.env.now
        self._event(t, Kind.HALL, hall.plan.name, Milestone.RACKS_READY, racks)
        self.stages.move(t, racks, frm=frm, to=Level.RACKS_AWAITING_ACCEPTANCE)
        assert hall.ledger is not None
        units = racks * hall.ledger.contract.per_rack[platform.name].units
        acceptor.ready(
            hall.plan.name,
            units,
            lambda held: super(StatusSiteModel, self)._accept(
                hall, platform, racks, Level.RACKS_AWAITING_ACCEPTANCE, held
            ),
            stage,
        )
        everything = self.racks_ready >= self.racks_expected
        for h in self.halls:
            full = h.ready_at is not None and h.free_kw < self.site.smallest_rack_kw - 1e-9
            if h.acceptor is not None and h.pending == 0 and (full or everything):
                h.acceptor.hall_complete(h.plan.name)

    def _ready(self, hall: HallState) -> None:
        if hall.plan.takes_racks or hall.ledger is None:
            super()._ready(hall)
            return
        plan, now = hall.plan, self.env.now
        hall.ready_at = now
        self._event(now, Kind.HALL, plan.name, Milestone.READY, plan.it_mw)
        self.stages.move(now, plan.it_mw, frm=Level.HALLS_COMMISSIONING_MW, to=Level.READY_IT_MW)
        self.env.process(self._hand_over_when_due(hall, hall.ledger))

    def _hand_over_when_due(self, hall: HallState, ledger: Ledger) -> Process:
        """A colocation hall: handed over (accepted) on the recorded day; else now, not before
        the data date, then accepted by the tenant after the acceptance duration."""
        plan = hall.plan
        if plan.handover_day is not None:
            yield self._at(plan.handover_day)
            self._hand_over(plan, ledger, Stage.RECORDED)
            if hall.acceptor is not None:
                hall.acceptor.counted(plan.basis_mw)
            return
        if self.site.as_of is not None:
            yield self._at(self.site.as_of)
        if hall.acceptor is None:
            self._hand_over(plan, ledger, hall.stage)
            return
        self._hand_over(plan, ledger, hall.stage, accepted=False)
        self._level(self.env.now, {Level.COLO_AWAITING_ACCEPTANCE_MW: plan.it_mw})
        hall.acceptor.ready(
            plan.name,
            plan.basis_mw,
            lambda held: self._tenant_accepts(plan, ledger, held),
            hall.stage,
        )
        hall.acceptor.hall_complete(plan.name)

    def _tenant_accepts(self, plan: HallPlan, ledger: Ledger, stage: Stage) -> None:
        self._level(self.env.now, {Level.COLO_AWAITING_ACCEPTANCE_MW: -plan.it_mw})
        ledger.deliver(self.env.now, plan.basis_mw, 0.0, plan.name, stage)

    # -- a status update's recorded past ---------------------------------------------
    def _retire(self, day: Days, mw: float) -> Process:
        """Mining IT MW retired on a recorded day."""
        yield self._at(day)
        removed = min(mw, self.mining_fleet_mw)
        if removed > QUANTITY_EPS:
            self.mining_fleet_mw -= removed
            self._event(self.env.now, Kind.MINING, self.name, Milestone.DECOMMISSIONED, removed)
            self._run_mining(self.env.now)

    def _take(self, hall: HallState, racks: int) -> list[tuple[PlatformPlan, int]]:
        """``racks`` waiting racks that fit ``hall``, taken from the inventory in order."""
        taken: list[tuple[PlatformPlan, int]] = []
        for lot in list(self.inventory):
            if racks == 0:
                break
            if not lot.platform.fits(hall.plan.cooling):
                continue
            n = min(racks, lot.racks)
            lot.racks -= n
            racks -= n
            if lot.racks == 0:
                self.inventory.remove(lot)
            taken.append((lot.platform, n))
        return taken

    def _recorded_racks(self, hall: HallState) -> Process:
        """Recorded installations and acceptances on their days, in one process so that
        their order is the recorded order. A crew's job is taken to have lasted as long as the
        crews' rate says, ending on the recorded day. Racks installed but not accepted by the
        data date end their burn-in then at the earliest."""
        plan = hall.plan
        rate = self.site.crews.racks_per_week / 7.0 if self.site.crews else 0.0
        steps: list[tuple[Days, int, int]] = []  # (day, 0 job starts | 1 installed | 2 accepted)
        for d, n in plan.installed:
            steps += [(d - (n / rate if rate else 0.0), 0, n), (d, 1, n)]
        steps += [(d, 2, n) for d, n in plan.accepted]
        jobs: deque[list[Any]] = deque()  # [platform, racks] started, not installed
        burning: deque[list[Any]] = deque()  # [installed day, platform, racks]
        for when, step, racks in sorted(steps, key=lambda x: (x[0], x[1])):
            yield self._at(when)
            t = self.env.now
            if step == 0:
                taken = self._start_jobs(hall, racks)
                if sum(n for _, n in taken) < racks:  # racks arriving this very day
                    yield self.env.timeout(0.0)
                    taken += self._start_jobs(hall, racks - sum(n for _, n in taken))
                jobs.extend([p, n] for p, n in taken)
            elif step == 1:
                short = racks - sum(n for _, n in jobs)
                if short > 0:  # racks recorded arriving after the job would have started
                    jobs.extend([p, n] for p, n in self._start_jobs(hall, short))
                while racks and jobs:
                    platform, n = jobs[0][0], min(racks, jobs[0][1])
                    self._installed(hall, platform, n)
                    burning.append([t, platform, n])
                    jobs[0][1] -= n
                    racks -= n
                    if jobs[0][1] == 0:
                        jobs.popleft()
            else:
                while racks and burning:
                    cohort = burning[0]
                    n = min(racks, cohort[2])
                    super()._accept(hall, cohort[1], n, Level.RACKS_BURN_IN, Stage.RECORDED)
                    hall.pending -= n
                    self.racks_ready += n
                    if hall.acceptor is not None and hall.ledger is not None:
                        per_rack = hall.ledger.contract.per_rack[cohort[1].name]
                        hall.acceptor.counted(n * per_rack.units)
                    cohort[2] -= n
                    racks -= n
                    if cohort[2] == 0:
                        burning.popleft()
        for installed, platform, racks in burning:
            self.env.process(self._burn_in_from(hall, platform, racks, installed))

    def _start_jobs(self, hall: HallState, racks: int) -> list[tuple[PlatformPlan, int]]:
        """A recorded job starts: its racks leave the inventory and take the hall's room."""
        taken = self._take(hall, racks)
        t = self.env.now
        for platform, n in taken:
            kw = platform.hall_kw_per_rack
            hall.free_kw -= n * kw
            hall.pending += n
            self.stages.move(t, n, frm=Level.RACKS_WAITING, to=Level.RACKS_INSTALLING)
            self._level(t, {Level.RACK_SPACE_KW: -n * kw, Level.CREWS_BUSY: 1})
        return taken

    def _installed(self, hall: HallState, platform: PlatformPlan, racks: int) -> None:
        """A recorded job ends: its racks are installed and start their burn-in."""
        t = self.env.now
        self._event(t, Kind.HALL, hall.plan.name, Milestone.RACKS_INSTALLED, racks)
        self.stages.move(t, racks, frm=Level.RACKS_INSTALLING, to=Level.RACKS_BURN_IN)
        self._level(t, {Level.RACKS_INSTALLED: racks, Level.CREWS_BUSY: -1})
        self._load(t, hall.plan, racks * platform.hall_kw_per_rack / 1000.0)

    def _burn_in_from(
        self, hall: HallState, platform: PlatformPlan, racks: int, installed: Days
    ) -> Process:
        as_of = self.site.as_of if self.site.as_of is not None else 0.0
        yield self._at(max(installed + platform.burn_in, as_of))
        self._burnt_in(hall, platform, racks, Stage.RECORDED)
