"""Plain rows appended during a run; tables are built from them afterwards (timeline.py).

Level changes, by far the most numerous rows (about 2,000 a site), are kept as columns of
plain numbers (`array.array`): about 25 bytes a row instead of some 140 as a tuple of
Python objects, so a 10,000-site run keeps half a gigabyte of them rather than nearly three,
and the tables read them without converting a Python object per row. A step's changes are
first appended to three short flat lists, with no Python loop over them: its time, site and
number of deltas to one, its levels to another, its deltas to a third (the level members
and the numbers the step already made: nothing new for the garbage collector to track).
They move into the columns every `PENDING_ROWS` deltas and whenever the columns are read,
converted to numbers once for them all, zero deltas dropped there.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from sim.engine.vocabulary import Kind, Level, Milestone, Stage
from sim.units import Days


class EventRow(NamedTuple):
    """A dated milestone of one entity."""

    t: Days
    seq: int
    """Order of recording (a site's ties at one time keep it)."""
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
PENDING_ROWS = 4096
"""Level changes (zero deltas included) held in the flat lists before they move into the
columns."""


@dataclass
class Recorder:
    """Collects what happens in one run: each group of coupled sites' rows in the order they
    happen, the groups one after another (`sim.engine.coupling`). The rows of one site, or of
    one contract, are in the order one environment holding every site would record them;
    rows of different groups are not interleaved by time, so readers take rows by site or by
    contract, or sort them (`sim.analysis.timeline.event_table`)."""

    events: list[EventRow] = field(default_factory=list)
    units: list[UnitRow] = field(default_factory=list)
    fills: list[FillRow] = field(default_factory=list)
    dropped: list[DropRow] = field(default_factory=list)
    critical: dict[tuple[str, int], Stage] = field(default_factory=dict)
    """(contract, tranche number) -> the stage that set the tranche's fill date."""
    level_sites: list[str] = field(default_factory=list)
    """The sites that changed a level, in order of their first change."""
    _site_code: dict[str, int] = field(default_factory=dict, repr=False)
    _pending: list[float] = field(default_factory=list, repr=False)
    """Steps not yet in the columns: time, site code, number of deltas, ..."""
    _pending_levels: list[Level] = field(default_factory=list, repr=False)
    """Their levels, step after step, in the order of each step's deltas."""
    _pending_deltas: list[float] = field(default_factory=list, repr=False)
    """Their deltas, zeros included, as `_pending_levels`."""
    _t: array[float] = field(default_factory=lambda: array("d"), repr=False)
    _site: array[int] = field(default_factory=lambda: array("i"), repr=False)
    _column: array[int] = field(default_factory=lambda: array("b"), repr=False)
    _delta: array[float] = field(default_factory=lambda: array("d"), repr=False)

    def _flush(self) -> None:
        """Move the pending level rows into the columns."""
        pending, levels, deltas = self._pending, self._pending_levels, self._pending_deltas
        if not pending:
            return
        # One conversion of the lot (exact: codes and counts are small whole numbers), then
        # each step's time and site for each of its deltas, and only the non-zero deltas
        # (as ``if delta``: -0.0 is not a row, NaN is).
        steps = np.array(pending, dtype=float).reshape(-1, 3)
        counts = steps[:, 2].astype(np.intp)
        delta = np.array(deltas, dtype=float)
        row = delta != 0.0
        code = np.fromiter(map(_LEVEL_CODE.__getitem__, levels), np.int8, len(levels))
        columns: list[tuple[array[Any], np.ndarray]] = [
            (self._t, np.repeat(steps[:, 0], counts)[row]),
            (self._site, np.repeat(steps[:, 1], counts)[row]),
            (self._column, code[row]),
            (self._delta, delta[row]),
        ]
        for column, values in columns:
            column.frombytes(values.astype(column.typecode).tobytes())
        pending.clear()
        levels.clear()
        deltas.clear()

    @property
    def level_t(self) -> array[float]:
        """Time of each level change, in recording order."""
        self._flush()
        return self._t

    @property
    def level_site(self) -> array[int]:
        """Site of each level change, as an index in `level_sites`."""
        self._flush()
        return self._site

    @property
    def level_column(self) -> array[int]:
        """Level of each change, as an index in `Level` (definition order)."""
        self._flush()
        return self._column

    @property
    def level_delta(self) -> array[float]:
        """Amount of each level change."""
        self._flush()
        return self._delta

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
        row = (t, len(self.events), site, kind, name, tranche, milestone, quantity)
        self.events.append(tuple.__new__(EventRow, row))  # `EventRow(*row)`, a call less

    def level(self, t: Days, site: str, deltas: Mapping[Level, float]) -> None:
        """Change levels of ``site`` at ``t`` (zero deltas are not recorded)."""
        self.changes(t, self.site_code(site), deltas)

    def site_code(self, site: str) -> int:
        """The index of ``site`` in `level_sites` (added there when new)."""
        code = self._site_code.get(site)
        if code is None:
            code = self._site_code[site] = len(self.level_sites)
            self.level_sites.append(site)
        return code

    def changes(self, t: Days, site: int, deltas: Mapping[Level, float]) -> None:
        """Change levels of the site numbered ``site`` (`site_code`) at ``t``, a row per
        non-zero delta in the order of ``deltas``."""
        self._pending += (t, site, len(deltas))
        self._pending_levels += deltas
        pending = self._pending_deltas
        pending += deltas.values()
        if len(pending) >= PENDING_ROWS:
            self._flush()

    def delivered(self, t: Days, contract: str, units: float, gpus: float) -> None:
        self.units.append((t, contract, units, gpus))

    def drop(self, t: Days, contract: str, tranche: int, units: float) -> None:
        """``units`` of tranche ``tranche`` of ``contract`` are no longer owed from ``t``."""
        self.dropped.append((t, contract, tranche, units))

    def dropped_by_contract(self) -> dict[str, list[tuple[Days, int, float]]]:
        """Each contract's dropped tranches as (time, tranche, units), in recording order."""
        out: dict[str, list[tuple[Days, int, float]]] = {}
        for t, contract, tranche, units in self.dropped:
            out.setdefault(contract, []).append((t, tranche, units))
        return out

    def filled(self, t: Days, contract: str, tranche: int, stage: Stage) -> None:
        """Tranche number ``tranche`` of ``contract`` is filled at ``t``; ``stage`` set the
        time of the units that filled it (see `Stage`)."""
        self.fills.append((t, contract, tranche))
        self.critical[(contract, tranche)] = stage


class Stages:
    """A site's levels: the changes one step of its processes makes at one moment, in one
    call (`change`), and quantities moved between its pipeline stages as balanced pairs of
    rows (`move`, `enter`). The site is numbered on its first change, as `Recorder.level`
    numbers it."""

    __slots__ = ("_code", "recorder", "site")

    def __init__(self, recorder: Recorder, site: str) -> None:
        self.recorder = recorder
        self.site = site
        self._code = -1

    def change(self, t: Days, deltas: Mapping[Level, float]) -> None:
        """Change levels at ``t``: the rows of ``Recorder.level(t, site, deltas)``."""
        code = self._code
        if code < 0:
            code = self._code = self.recorder.site_code(self.site)
        self.recorder.changes(t, code, deltas)

    def move(self, t: Days, amount: float, frm: Level, to: Level) -> None:
        """``amount`` leaves stage ``frm`` and enters stage ``to`` at ``t``."""
        self.change(t, {frm: -amount, to: amount})

    def enter(self, t: Days, amount: float, to: Level) -> None:
        """``amount`` enters stage ``to`` at ``t`` (from outside the pipeline)."""
        self.change(t, {to: amount})
