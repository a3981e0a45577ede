"""Sweeps: a scenario run at every point of a Cartesian design of key-path values, all on
common random numbers, tabulated one row per point.

    sweep = sim.sweep(scenario, {"sites.childress.crews.count": [4, 5, 6, 7]}, replications=200)
    sweep.table   # one row per point: the values, every plan KPI, P(on time), P50/P80 dates
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runner import RunOptions
from sim.scenario.loader import Loaded, load_file
from sim.scenario.schema import Scenario
from sim.workbench.evaluate import evaluate
from sim.workbench.space import Axis, as_axes, check_values, points, scenario_at

Progress = Callable[[int, int, dict[str, Any]], None]
"""Called before each point runs: (point number from 1, number of points, the point)."""


@dataclass(frozen=True)
class Sweep:
    """The points of a sweep and their table."""

    name: str
    """The scenario's name."""
    axes: list[Axis]
    table: pd.DataFrame
    """One row per point, in design order (the first axis varies slowest)."""
    seed: int
    replications: int


def base_scenario(scenario: Scenario | Loaded | str | Path) -> Scenario:
    """The scenario of a path, a loaded file or a scenario."""
    if isinstance(scenario, str | Path):
        return load_file(scenario).scenario
    return scenario.scenario if isinstance(scenario, Loaded) else scenario


def sweep(
    scenario: Scenario | Loaded | str | Path,
    axes: Mapping[str, Sequence[Any]] | Sequence[Axis],
    *,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    **kwargs: Any,
) -> Sweep:
    """Run ``scenario`` at every combination of the ``axes`` values (key path -> values) with
    the same ``options`` (a `RunOptions`, or its fields as keywords), hence the same seed at
    every point. Every value is checked before anything runs (ScenarioError, naming it)."""
    if options is None:
        options = RunOptions(**kwargs)
    base = base_scenario(scenario)
    built = as_axes(axes)
    check_values(base, built)
    design = points(built)
    scenarios = [scenario_at(base, point, built) for point in design]
    rows = []
    for number, (point, at) in enumerate(zip(design, scenarios, strict=True), start=1):
        if progress is not None:
            progress(number, len(design), point)
        rows.append(evaluate(at, point, options).row)
    return Sweep(base.scenario.name, built, pd.DataFrame(rows), options.seed, options.replications)
