"""The figures' shared style: stage colours, legend placement, resolution, margins, date axes.

Every plot module draws with these, so the run, Monte Carlo and comparison figures look alike.
matplotlib and PIL are imported by the first figure drawn, not with this module: the run's
process plans its charts with the plot modules and never draws (`chartworker.ChartWorker`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    top = 1 - 0.75 / height  # about 0.75 inch for the title
    fig.subplots_adjust(
        left=left, right=1 - 3.6 / width, top=top, bottom=0.45 / height + 0.02, hspace=0.35
    )
    return fig


def panel_title(ax: Axes, text: str, **style: Any) -> None:
    """A panel's title, left-aligned at the top of its axes. Its place is given (``y=1``),
    so drawing does not measure every tick label of the axes and its siblings to find
    where it goes: no axes here has ticks or labels on top, so that is where matplotlib
    would put it anyway."""
    ax.set_title(text, loc="left", y=1.0, **style)


def save(fig: Figure, path: Path) -> None:
    """Write the figure as a PNG. The canvas is opaque, so its pixels are written as RGB
    rather than matplotlib's RGBA: the same picture, a quarter less data to compress,
    files about a tenth smaller and a fifth faster to write."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    width, height = canvas.get_width_height()
    rgba = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    dpi = round(fig.dpi)
    rgba.convert("RGB").save(path, format="png", dpi=(dpi, dpi))


def figure(title: str, height: float = 5.5) -> tuple[Figure, Axes]:
    """A 13-inch-wide figure with one axes and a bold title."""
    fig = new_figure(13, height)
    ax = fig.subplots()
    fig.suptitle(title, fontsize=14, fontweight="bold")
    return fig, ax


def date_axis(ax: Axes) -> None:
    """Concise date ticks, a light grid, no side margins, a zero floor."""
    import matplotlib.dates as mdates

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


class Figures:
    """Figures kept for the next chart of the same shape, while one process draws a batch.

    Creating a figure's axes and ticks, and measuring its texts for the first time on its
    canvas, is about a third of drawing a chart. A chart drawn into a kept figure starts
    from the figure cleared of what the previous one drew (lines, areas, points, texts,
    legends, titles), with data limits, autoscaling and the colour cycle reset, so it comes
    out pixel for pixel as in a new figure."""

    def __init__(self) -> None:
        self._kept: dict[str, Figure] = {}

    def get(self, shape: str, make: Callable[[], Figure]) -> Figure:
        """The figure kept under ``shape``, cleared; ``make()`` the first time."""
        fig = self._kept.get(shape)
        if fig is None:
            fig = self._kept[shape] = make()
        else:
            _clear(fig)
        return fig


def _clear(fig: Figure) -> None:
    for ax in fig.axes:
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts]:
            artist.remove()
        old = ax.get_legend()
        if old is not None:
            old.remove()
        for loc in ("left", "center", "right"):
            ax.set_title("", loc=loc)
        ax.set_prop_cycle(None)
        ax.set_xlim(0.0, 1.0)  # a new axes' view, kept by a panel that draws no data
        ax.set_ylim(0.0, 1.0)
        ax.relim()
        ax.autoscale(True)
