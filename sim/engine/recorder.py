"""Plain rows appended during a run; tables are built from them afterwards (timeline.py).

Level changes, by far the most numerous rows (about 2,000 a site), are kept as columns of
plain numbers (`array.array`): about 25 bytes a row instead of some 140 as a tuple of
Python objects, so a 10,000-site run keeps half a gigabyte of them rather than nearly three,
and the tables read them without converting a Python object per row.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from sim.engine.vocabulary import Kind, Level, Milestone, Stage
from sim.units import Days


class EventRow(NamedTuple):
    """A dated milestone of one entity."""

    t: Days
    seq: int
    """Order of recording (ties at one time keep it)."""
    site: str
    kind: Kind
    name: str
    tranche: int | None
    """Tranche number (from 1) for delivery and contract milestones, else None."""
    milestone: Milestone
    quantity: float


LevelRow = tuple[Days, str, Level, float]
"""(time in days, site, level, delta): a change in one of a site's levels."""
UnitRow = tuple[Days, str, float, float]
"""(time in days, contract, units delta, GPUs delta): capacity delivered to a contract."""
FillRow = tuple[Days, str, int]
"""(time in days, contract, tranche number from 1): the moment a tranche is filled."""
DropRow = tuple[Days, str, int, float]
"""(time in days, contract, tranche number from 1, units): units of a tranche removed by an
amendment that were not delivered by then, no longer owed."""


_LEVELS = list(Level)
_LEVEL_CODE = {level: i for i, level in enumerate(_LEVELS)}


@dataclass
class Recorder:
    """Collects what happens in one run, in the order it happens."""

    events: list[EventRow] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    fills: list[FillRow] = field(default_factory=list)
    dropped: list[DropRow] = field(default_factory=list)
    critical: dict[tuple[str, int], Stage] = field(default_factory=dict)
    """(contract, tranche number) -> the stage that set the tranche's fill date."""
    level_t: array[float] = field(default_factory=lambda: array("d"))
    """Time of each level change, in recording order."""
    level_site: array[int] = field(default_factory=lambda: array("i"))
    """Site of each level change, as an index in `level_sites`."""
    level_column: array[int] = field(default_factory=lambda: array("b"))
    """Level of each change, as an index in `Level` (definition order)."""
    level_delta: array[float] = field(default_factory=lambda: array("d"))
    """Amount of each level change."""
    level_sites: list[str] = field(default_factory=list)
    """The sites that changed a level, in order of their first change."""
    _site_code: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def levels(self) -> list[LevelRow]:
        """Every level change as a (time, site, level, delta) row, in recording order (built
        on each call: for tests and small runs; tables read the columns)."""
        sites = self.level_sites
        return [
            (t, sites[s], _LEVELS[c], d)
            for t, s, c, d in zip(
                self.level_t, self.level_site, self.level_column, self.level_delta, strict=True
            )
        ]

    def event(
        self,
        t: Days,
        site: str,
        kind: Kind,
        name: str,
        milestone: Milestone,
        quantity: float,
        tranche: int | None = None,
    ) -> None:
        self.events.append(
            EventRow(t, len(self.events), site, kind, name, tranche, milestone, quantity)
        )

    def level(self, t: Days, site: str, deltas: Mapping[Level, float]) -> None:
        """Change levels of ``site`` at ``t`` (zero deltas are not recorded)."""
        code = self._site_code.get(site)
        if code is None:
            code = self._site_code[site] = len(self.level_sites)
            self.level_sites.append(site)
        for column, delta in deltas.items():
            if delta:
                self.level_t.append(t)
                self.level_site.append(code)
                self.level_column.append(_LEVEL_CODE[column])
                self.level_delta.append(delta)

    def delivered(self, t: Days, contract: str, units: float, gpus: float) -> None:
        self.units.append((t, contract, units, gpus))

    def drop(self, t: Days, contract: str, tranche: int, units: float) -> None:
        """``units`` of tranche ``tranche`` of ``contract`` are no longer owed from ``t``."""
        self.dropped.append((t, contract, tranche, units))

    def filled(self, t: Days, contract: str, tranche: int, stage: Stage) -> None:
        """Tranche number ``tranche`` of ``contract`` is filled at ``t``; ``stage`` set the
        time of the units that filled it (see `Stage`)."""
        self.fills.append((t, contract, tranche))
        self.critical[(contract, tranche)] = stage


@dataclass(frozen=True)
class Stages:
    """Moves quantities between a site's pipeline stages, as balanced pairs of level rows."""

    recorder: Recorder
    site: str

    def move(self, t: Days, amount: float, frm: Level, to: Level) -> None:
        """``amount`` leaves stage ``frm`` and enters stage ``to`` at ``t``."""
        self.recorder.level(t, self.site, {frm: -amount, to: amount})

    def enter(self, t: Days, amount: float, to: Level) -> None:
        """``amount`` enters stage ``to`` at ``t`` (from outside the pipeline)."""
        self.recorder.level(t, self.site, {to: amount})
