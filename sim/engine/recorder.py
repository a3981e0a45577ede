"""Plain rows appended during a run; tables are built from them afterwards (timeline.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

EventRow = tuple[float, int, str, str, str, float]
"""(time in days, sequence, site, entity, event, quantity): a dated milestone."""
LevelRow = tuple[float, str, str, float]
"""(time in days, site, column, delta): a change in one of a site's levels."""
UnitRow = tuple[float, str, float, float]
"""(time in days, contract, units delta, GPUs delta): capacity delivered to a contract."""
FillRow = tuple[float, str, int]
"""(time in days, contract, tranche index in file order): the moment a tranche is filled."""


@dataclass
class Recorder:
    """Collects what happens in one run, in the order it happens."""

    events: list[EventRow] = field(default_factory=list)
    levels: list[LevelRow] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    fills: list[FillRow] = field(default_factory=list)

    def event(self, t: float, site: str, entity: str, event: str, quantity: float) -> None:
        self.events.append((t, len(self.events), site, entity, event, quantity))

    def level(self, t: float, site: str, **deltas: float) -> None:
        for column, delta in deltas.items():
            if delta:
                self.levels.append((t, site, column, delta))

    def delivered(self, t: float, contract: str, units: float, gpus: float) -> None:
        self.units.append((t, contract, units, gpus))

    def filled(self, t: float, contract: str, tranche: int) -> None:
        self.fills.append((t, contract, tranche))
