"""One deterministic run: scenario -> engine -> tables -> KPIs, as a `Result`.

`run_once` is a pure function of (scenario, sampler): no globals, no shared state, so runs
can be mapped over seeds in other processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine import Deterministic, Sampler, simulate
from sim.kpis import summarize
from sim.loader import Loaded, load_file
from sim.realize import realize
from sim.schema import Scenario, Step
from sim.timeline import build_tables


@dataclass(frozen=True)
class Result:
    """What a run produced: dated tables (pandas) and a JSON-ready summary."""

    scenario: Scenario
    timeline: pd.DataFrame
    """One row per date and site (and `site` = "all" for the portfolio)."""
    contracts: pd.DataFrame
    """One row per date and contract: units due, units delivered, revenue."""
    events: pd.DataFrame
    """Dated milestones per entity."""
    summary: dict[str, Any]
    """KPIs: tranche dates and slips, revenue, peaks, stranded capacity, binding constraints."""
    source: Loaded | None = field(default=None, repr=False)
    seed: int | None = None

    def write(self, out: str | Path | None = None, *, force: bool = False) -> Path:
        """Write the run folder (tables, summary, resolved scenario, manifest, plots)."""
        from sim.outputs import write_run

        return write_run(self, out, force=force)


def run_once(scenario: Scenario, sampler: Sampler | None = None) -> Result:
    """Simulate the scenario once (uncertain inputs at their plan values) and build its
    tables and KPIs."""
    concrete, _ = realize(scenario)
    recorder = simulate(concrete, sampler if sampler is not None else Deterministic())
    tables = build_tables(concrete, recorder)
    summary = summarize(concrete, recorder, tables)
    return Result(scenario, tables.timeline, tables.contracts, tables.events, summary)


def run(scenario: Scenario | Loaded | str | Path, *, step: Step | None = None) -> Result:
    """Run a scenario (a Scenario, or the path of a scenario file) deterministically."""
    source: Loaded | None = None
    if isinstance(scenario, str | Path):
        source = load_file(scenario)
        scenario = source.scenario
    elif isinstance(scenario, Loaded):
        source, scenario = scenario, scenario.scenario
    if step is not None and step != scenario.scenario.step:
        info = scenario.scenario.model_copy(update={"step": step})
        scenario = scenario.model_copy(update={"scenario": info})
    result = run_once(scenario)
    return Result(
        result.scenario, result.timeline, result.contracts, result.events, result.summary, source
    )
