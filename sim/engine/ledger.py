"""A contract's ledger during a run: units delivered, filled into tranches in due-date order."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.engine.recorder import Recorder
from sim.scenario.schema import Contract


@dataclass
class Ledger:
    """Counts units delivered to one contract, capped at what it contracted, and records the
    moment each tranche (in due-date order) is filled."""

    name: str
    contract: Contract
    recorder: Recorder
    delivered: float = 0.0
    filled: int = 0
    _thresholds: list[tuple[float, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        order = sorted(
            range(len(self.contract.tranches)), key=lambda i: self.contract.tranches[i].due
        )
        total = 0.0
        for i in order:
            total += self.contract.tranches[i].units
            self._thresholds.append((total, i))

    @property
    def total(self) -> float:
        return self._thresholds[-1][0]

    def deliver(self, t: float, units: float, gpus_per_unit: float) -> None:
        """Add ``units`` delivered at time ``t`` (only up to the contracted total counts)."""
        counted = min(units, self.total - self.delivered)
        if counted <= 0:
            return
        self.delivered += counted
        self.recorder.delivered(t, self.name, counted, counted * gpus_per_unit)
        while self.filled < len(self._thresholds) and (
            self.delivered >= self._thresholds[self.filled][0] - 1e-9
        ):
            _threshold, index = self._thresholds[self.filled]
            tranche = self.contract.tranches[index]
            self.recorder.event(
                t,
                self.contract.site,
                f"contract/{self.name}",
                f"tranche_{index + 1}_delivered",
                tranche.units,
            )
            self.filled += 1
