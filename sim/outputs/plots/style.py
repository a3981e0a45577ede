"""The figures' shared style: stage colours, legend placement, resolution, margins, date axes.

Every plot module draws with these, so the run, Monte Carlo and comparison figures look alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

STAGES = [
    ("grid_mw", "Grid energized", "#4c4c4c", "-"),
    ("ready_it_mw", "Halls ready (critical IT)", "#1f77b4", "-"),
    ("ai_it_mw", "AI IT load", "#2ca02c", "-"),
    ("mining_mw", "Mining (ASIC IT)", "#ff7f0e", "-"),
    ("facility_mw", "Facility draw", "#9467bd", "--"),
]


LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": 9, "frameon": False}
"""Legend outside the axes, on the right: the fixed margins of `new_figure` leave room."""


DPI = 80
"""13 x 10 inch figures at 80 dpi are 1040 x 800 pixels: sharp on screen and in the report,
and a third cheaper to render than 100 dpi."""


def new_figure(width: float, height: float, left: float = 0.07) -> Figure:
    """A figure on the Agg canvas with fixed margins: room on the right for the legends
    (placed outside the axes), so no layout engine has to draw it twice."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    top = 1 - 0.75 / height  # about 0.75 inch for the title
    fig.subplots_adjust(
        left=left, right=1 - 3.6 / width, top=top, bottom=0.45 / height + 0.02, hspace=0.35
    )
    return fig


def figure(title: str, height: float = 5.5) -> tuple[Figure, Axes]:
    """A 13-inch-wide figure with one axes and a bold title."""
    fig = new_figure(13, height)
    ax = fig.subplots()
    fig.suptitle(title, fontsize=14, fontweight="bold")
    return fig, ax


def date_axis(ax: Axes) -> None:
    """Concise date ticks, a light grid, no side margins, a zero floor."""
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(True, alpha=0.3)
    ax.margins(x=0)
    ax.set_ylim(bottom=0)


def legend(ax: Axes) -> None:
    """The legend, outside the axes on the right, when the panel has labelled artists (an
    empty legend warns and draws nothing)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**LEGEND)
