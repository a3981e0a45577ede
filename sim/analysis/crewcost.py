"""What the installation crews cost: each site's crews are paid per crew and week for as long
as its installation campaign lasts, from the first rack's arrival at the site until its last
rack is installed (to the end of the horizon while racks still wait or are being installed).

More crews finish a campaign sooner but cost more per week, so a search can trade them off
against the dates (`cost_usd`). Read from the run's milestone records: no engine state.
"""

from __future__ import annotations

import numpy as np

from sim.engine.recorder import Recorder
from sim.engine.vocabulary import Kind, Milestone
from sim.scenario.schema import Scenario
from sim.units import QUANTITY_EPS


def campaigns(recorder: Recorder, sites: list[str]) -> dict[str, tuple[float, float]]:
    """Site -> (first rack arrival, last installation; infinite while racks are left), for
    the sites that received racks."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    left: dict[str, float] = {}
    arrived, installed, delivery = Milestone.ARRIVED, Milestone.RACKS_INSTALLED, Kind.DELIVERY
    for t, _, site, kind, _, _, milestone, quantity in recorder.events:  # unpacked: fast
        if milestone is arrived:
            if kind is delivery:
                if site not in first or t < first[site]:  # min(first, t), kept on a tie
                    first[site] = t
                left[site] = left.get(site, 0.0) + quantity
        elif milestone is installed:
            if site not in last or t > last[site]:  # max(last, t), kept on a tie
                last[site] = t
            left[site] = left.get(site, 0.0) - quantity
    return {
        site: (first[site], last.get(site, 0.0) if left[site] <= QUANTITY_EPS else np.inf)
        for site in sites
        if site in first
    }


def crew_cost(
    scenario: Scenario,
    spans: dict[str, tuple[float, float]],
    sites: list[str],
    grid: np.ndarray,
) -> np.ndarray:
    """Per site (rows) and grid time: the crews' cost from time 0 to then, in USD, from the
    sites' installation ``spans`` (`campaigns`)."""
    out = np.zeros((len(sites), len(grid)))
    rows = {site: i for i, site in enumerate(sites)}  # not sites.index: linear per site
    for site, (begin, end) in spans.items():
        crews = scenario.sites[site].crews
        if crews is None or not crews.cost_usd_per_week:
            continue
        row = rows[site]
        per_day = crews.count * crews.cost_usd_per_week / 7.0
        out[row] = per_day * np.clip(np.minimum(grid, end) - max(begin, 0.0), 0.0, None)
    return out
