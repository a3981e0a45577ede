"""A contract's ledger during a run: units delivered by each hall, filled into tranches.

A tranche that names a hall is filled only from that hall's units; tranches that name no hall
are filled from any of the contract's units. A tranche takes units only while it is in force
(an amendment may add or remove it: `sim.scenario.amendments`). A hall's units go first to
its own tranches, then to the unnamed ones; within each group, tranches fill in due-date
order (ties: the smaller tranche first, so the order of lines in the file never matters).
Units beyond what the tranches they may fill still need are not counted: a hall's surplus
does not make up for another hall that is late.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.engine.plan import ContractPlan, TranchePlan
from sim.engine.recorder import Recorder
from sim.engine.vocabulary import Kind, Milestone, Stage
from sim.units import QUANTITY_EPS, Days


def due_order(contract: ContractPlan) -> list[TranchePlan]:
    """A contract's tranches by due date (ties: the smaller tranche first)."""
    return sorted(contract.tranches, key=lambda t: (t.due, t.units))


def fill_order(contract: ContractPlan, hall: str | None) -> list[TranchePlan]:
    """The tranches that units from ``hall`` may fill, in the order they fill them: the
    hall's own tranches, then those that name no hall; each group by `due_order`. Units from
    no hall in particular (``None``: a recorded acceptance of a tranche naming no hall) fill
    only the tranches that name no hall."""
    ordered = due_order(contract)
    own = [t for t in ordered if hall is not None and t.hall == hall]
    return own + [t for t in ordered if t.hall is None]


@dataclass
class Ledger:
    """Counts units delivered to one contract, tranche by tranche, and records the moment
    each tranche is filled."""

    contract: ContractPlan
    recorder: Recorder
    delivered: float = 0.0
    _left: dict[int, float] = field(default_factory=dict)
    """Tranche number -> units it still needs."""
    _orders: dict[str | None, list[TranchePlan]] = field(default_factory=dict)
    """Hall -> `fill_order` for its units (computed once per hall), less the tranches at its
    head that need nothing more (a tranche's need only ever falls)."""

    def __post_init__(self) -> None:
        self._left = {t.number: t.units for t in self.contract.tranches}

    def deliver(
        self, t: Days, units: float, gpus_per_unit: float, hall: str | None, stage: Stage
    ) -> None:
        """Add ``units`` delivered by ``hall`` at time ``t``, each billing ``gpus_per_unit``
        GPUs (for a contract billing available GPUs, less the share out for repair); only what
        fills a tranche that hall may serve counts. ``stage`` set the units' time: a tranche
        they fill records it as its critical stage."""
        counted = 0.0
        order = self._orders.get(hall)
        if order is None:
            order = self._orders[hall] = fill_order(self.contract, hall)
        for tranche in order:
            left = self._left[tranche.number]
            if left <= 0.0 or not tranche.opens <= t < tranche.closes:
                continue
            take = min(left, units - counted)
            if take <= 0.0:
                break
            counted += take
            self._left[tranche.number] = left - take
            if left - take <= QUANTITY_EPS:
                self._left[tranche.number] = 0.0
                self._filled(t, tranche, stage)
        while order and self._left[order[0].number] <= 0.0:
            del order[0]  # filled or removed for good: later units need not look at it
        if counted <= 0.0:
            return
        self.delivered += counted
        self.recorder.delivered(t, self.contract.name, counted, counted * gpus_per_unit)

    def remove(self, t: Days, tranche: TranchePlan) -> None:
        """Tranche ``tranche`` is removed by an amendment at ``t``: what it still needs is no
        longer owed."""
        left = self._left[tranche.number]
        self._left[tranche.number] = 0.0
        if left > 0.0:
            self.recorder.drop(t, self.contract.name, tranche.number, left)

    def _filled(self, t: Days, tranche: TranchePlan, stage: Stage) -> None:
        self.recorder.filled(t, self.contract.name, tranche.number, stage)
        self.recorder.event(
            t,
            self.contract.site,
            Kind.CONTRACT,
            self.contract.name,
            Milestone.DELIVERED,
            tranche.units,
            tranche=tranche.number,
        )
