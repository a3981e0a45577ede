"""A contract's ledger during a run: units delivered, filled into tranches in due-date order."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.engine.plan import ContractPlan, TranchePlan
from sim.engine.recorder import Recorder
from sim.engine.vocabulary import Kind, Milestone
from sim.units import QUANTITY_EPS, Days


def fill_order(contract: ContractPlan) -> list[TranchePlan]:
    """The order in which delivered units fill a contract's tranches: by due date."""
    return sorted(contract.tranches, key=lambda t: t.due)


@dataclass
class Ledger:
    """Counts units delivered to one contract, capped at what it contracted, and records the
    moment each tranche (in due-date order) is filled."""

    contract: ContractPlan
    recorder: Recorder
    delivered: float = 0.0
    filled: int = 0
    _thresholds: list[tuple[float, TranchePlan]] = field(default_factory=list)

    def __post_init__(self) -> None:
        total = 0.0
        for tranche in fill_order(self.contract):
            total += tranche.units
            self._thresholds.append((total, tranche))

    @property
    def total(self) -> float:
        return self._thresholds[-1][0]

    def deliver(self, t: Days, units: float, gpus_per_unit: float) -> None:
        """Add ``units`` delivered at time ``t`` (only up to the contracted total counts)."""
        counted = min(units, self.total - self.delivered)
        if counted <= 0:
            return
        self.delivered += counted
        self.recorder.delivered(t, self.contract.name, counted, counted * gpus_per_unit)
        while self.filled < len(self._thresholds) and (
            self.delivered >= self._thresholds[self.filled][0] - QUANTITY_EPS
        ):
            tranche = self._thresholds[self.filled][1]
            self.recorder.event(
                t,
                self.contract.site,
                Kind.CONTRACT,
                self.contract.name,
                Milestone.DELIVERED,
                tranche.units,
                tranche=tranche.number,
            )
            self.filled += 1
