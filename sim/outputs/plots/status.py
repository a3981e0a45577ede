"""Marks of a status update on a run's charts: the data date (`as_of`) as a vertical line on
every panel, and the recorded actuals as points on the capacity and contract panels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.portfolio import PORTFOLIO
from sim.outputs.plots.style import STAGES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

    from sim.scenario.schema import Scenario

_CAPACITY = {"energized": "grid_mw", "ready": "ready_it_mw"}
"""Recorded milestones drawn on the capacity panel, on the line of this column."""


@dataclass(frozen=True)
class Marks:
    as_of: dt.date
    capacity: tuple[tuple[dt.date, str], ...]
    """(date, column): a recorded grid phase energized or hall ready."""
    accepted: tuple[dt.date, ...]
    """Dates of recorded acceptances (racks in a hall, a contract tranche)."""


def marks_of(scenario: Scenario, site: str) -> Marks | None:
    """The marks of one site's (or the portfolio's) charts; None without a status."""
    from sim.scenario.status import actuals  # where the charts are planned, not drawn

    recorded = actuals(scenario)
    if recorded is None:
        return None
    contracts = {n for n, c in scenario.contracts.items() if site in (PORTFOLIO, c.site)}

    def here(entity: str) -> bool:
        parts = entity.split(".")
        if parts[0] == "sites":
            return site in (PORTFOLIO, parts[1])
        return parts[0] == "contracts" and parts[1] in contracts

    capacity = tuple(
        (r.date, _CAPACITY[r.milestone])
        for r in recorded.records
        if r.milestone in _CAPACITY and here(r.entity)
    )
    accepted = tuple(
        r.date for r in recorded.records if r.milestone == "accepted" and here(r.entity)
    )
    return Marks(recorded.as_of, capacity, accepted)


def draw_marks(axes: list[Axes], marks: Marks) -> None:
    """The data date on every panel; actuals as points on the first two."""
    import matplotlib.dates as mdates

    for i, ax in enumerate(axes):
        ax.axvline(
            mdates.date2num(marks.as_of),
            color="black",
            linestyle=":",
            linewidth=1.5,
            label=f"data date {marks.as_of}" if i == 0 else None,
        )
    columns = [c for c, *_ in STAGES]
    for when, column in marks.capacity:
        _point(axes[0], axes[0].get_lines()[columns.index(column)], when)
    for when in marks.accepted:
        _point(axes[1], axes[1].get_lines()[0], when)
    if marks.capacity or marks.accepted:
        axes[0].scatter([], [], color="black", marker="o", s=24, label="recorded actual")


def _point(ax: Axes, line: Line2D, when: dt.date) -> None:
    """A point at ``when`` on a step line, at the line's first row on or after it (a coarse
    step reaches the recorded level there)."""
    import matplotlib.dates as mdates

    xs = mdates.date2num(np.asarray(line.get_xdata()))
    ys = np.asarray(line.get_ydata(), dtype=float)
    x = mdates.date2num(when)
    i = min(int(np.searchsorted(xs, x, side="left")), len(ys) - 1)
    if 0 <= i < len(ys):
        ax.scatter([x], [ys[i]], color="black", marker="o", s=24, zorder=5)
