"""A contract's ledger during a run: units delivered by each hall, filled into tranches.

A tranche that names a hall is filled only from that hall's units; tranches that name no hall
are filled from any of the contract's units. A hall's units go first to its own tranches,
then to the unnamed ones; within each group, tranches fill in due-date order (ties: the
smaller tranche first, so the order of lines in the file never matters). Units beyond what
the tranches they may fill still need are not counted: a hall's surplus does not make up for
another hall that is late.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.engine.recorder import Recorder
from sim.schema import Contract

FILLED = 1e-9
"""Units left below which a tranche counts as filled (float sums of fractional MW)."""


@dataclass
class Ledger:
    """Counts units delivered to one contract, tranche by tranche, and records the moment
    each tranche is filled."""

    name: str
    contract: Contract
    recorder: Recorder
    delivered: float = 0.0
    _left: list[float] = field(default_factory=list)
    _unnamed: list[int] = field(default_factory=list)
    _named: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tranches = self.contract.tranches
        order = sorted(range(len(tranches)), key=lambda i: (tranches[i].due, tranches[i].units))
        self._left = [float(t.units) for t in tranches]
        for i in order:
            hall = tranches[i].hall
            if hall is None:
                self._unnamed.append(i)
            else:
                self._named.setdefault(hall, []).append(i)

    def deliver(self, t: float, units: float, gpus_per_unit: float, hall: str) -> None:
        """Add ``units`` delivered by ``hall`` at time ``t``; only what fills a tranche that
        hall may serve counts."""
        counted = 0.0
        for i in (*self._named.get(hall, ()), *self._unnamed):
            if self._left[i] <= 0.0:
                continue
            take = min(self._left[i], units - counted)
            if take <= 0.0:
                break
            counted += take
            self._left[i] -= take
            if self._left[i] <= FILLED:
                self._left[i] = 0.0
                self.recorder.filled(t, self.name, i)
                self.recorder.event(
                    t,
                    self.contract.site,
                    f"contract/{self.name}",
                    f"tranche_{i + 1}_delivered",
                    self.contract.tranches[i].units,
                )
        if counted <= 0.0:
            return
        self.delivered += counted
        self.recorder.delivered(t, self.name, counted, counted * gpus_per_unit)
