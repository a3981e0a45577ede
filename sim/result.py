"""`Result`: what a run produced, as data only (tables, summary, Monte Carlo aggregate).

Writing it is `sim.outputs.files.write_run(result, out)`; nothing here knows a writer or a plot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.montecarlo.replications import MonteCarlo
from sim.scenario.loader import Loaded
from sim.scenario.schema import Scenario


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
    monte_carlo: MonteCarlo | None = field(default=None, repr=False)
    """With replications: percentile bands, on-time probabilities, drivers, KPI table."""
    monthly: pd.DataFrame | None = field(default=None, repr=False)
    """Per site and calendar month: money flows, net cash flow, discount factor and present
    value (`sim.analysis.finance.monthly_table`); for the spreadsheet export."""
