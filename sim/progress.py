"""Progress bars on standard error, for the replications of a study and the points of a
sweep or search.

They are tqdm's, less its monitor thread: that thread (started with the first bar, and
kept for the life of the process) only adjusts how often a stalled bar redraws, and a
process running another thread must not fork, so with it the charts after a Monte Carlo
run were drawn on one core (see `sim.outputs.plots.drawing.draw_all`)."""

from __future__ import annotations

from typing import Any

from tqdm import tqdm


class ProgressBar(tqdm):  # type: ignore[type-arg]
    """A tqdm bar that starts no monitor thread."""

    monitor_interval = 0


def progress_bar(**options: Any) -> ProgressBar:
    """A bar with tqdm's ``options``."""
    return ProgressBar(**options)
