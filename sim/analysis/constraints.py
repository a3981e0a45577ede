"""What limited the ramp: per site and for the portfolio, the binding constraint each month.

Reads a run's timeline only; returns plain JSON-ready data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.portfolio import PORTFOLIO
from sim.engine.vocabulary import Level
from sim.scenario.schema import Scenario
from sim.scenario.topology import colocation_halls
from sim.units import CAPACITY_EPS, QUANTITY_EPS

CONSTRAINTS = ("grid", "hall", "delivery", "crews")
"""What can limit the ramp: grid power, buildings, hardware deliveries, installation crews."""


def binding_constraints(scenario: Scenario, timeline: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Per site and for the portfolio: month -> what limited the ramp ("none" when nothing
    was waiting to happen).

    At each row, for a site: racks waiting with room in a ready hall -> crews; racks waiting
    with no room, and a built hall waiting for power -> grid; otherwise -> hall. No racks
    waiting but more still to arrive -> delivery. Halls still to be handed over to a
    colocation tenant -> grid or hall, as above. The month's constraint is the one seen most
    often; the portfolio weights each site by its hall MW.
    """
    names = list(scenario.sites)
    n_sites = len(names)
    # site by site, dates in order; each column read on its own (selecting the rows of the
    # whole frame would copy all its columns: 0.9 GB at 10,000 sites)
    mine = (timeline["site"] != PORTFOLIO).to_numpy()

    def grid(column: Level) -> np.ndarray:  # (site, date)
        return timeline[column].to_numpy(dtype=float)[mine].reshape(n_sites, -1)

    colo = colocation_halls(scenario)
    weight = np.array(
        [sum(h.it_mw for h in site.halls.values()) for site in scenario.sites.values()]
    )
    scheduled = np.zeros(n_sites)
    min_kw = np.full(n_sites, np.inf)
    colo_mw = np.zeros(n_sites)
    index = {name: i for i, name in enumerate(names)}
    for d in scenario.deliveries.values():
        scheduled[index[d.site]] += sum(t.racks for t in d.tranches)
        if d.platform in scenario.platforms:
            kw = scenario.platforms[d.platform].hall_kw_per_rack
            min_kw[index[d.site]] = min(min_kw[index[d.site]], kw)
    for site_name, hall in colo:
        colo_mw[index[site_name]] += scenario.sites[site_name].halls[hall].it_mw
    waiting = grid(Level.RACKS_WAITING) > QUANTITY_EPS
    room = grid(Level.RACK_SPACE_KW) >= min_kw[:, None] - CAPACITY_EPS
    blocked = np.where(grid(Level.HALLS_WAITING_POWER_MW) > QUANTITY_EPS, GRID, HALL)
    # With no racks waiting and no room, whichever comes later binds: racks or room.
    racks_first = _next_rise(grid(Level.RACKS_DELIVERED)) < _next_rise(grid(Level.RACK_SPACE_KW))
    to_come = grid(Level.RACKS_DELIVERED) < scheduled[:, None] - QUANTITY_EPS
    state = np.full(waiting.shape, NONE)
    state = np.where(
        grid(Level.COLO_HANDED_OVER_MW) < colo_mw[:, None] - QUANTITY_EPS, blocked, state
    )
    state = np.where(~waiting & to_come, np.where(room | ~racks_first, DELIVERY, blocked), state)
    state = np.where(waiting, np.where(room, CREWS, blocked), state)

    n_rows = int(np.shape(state)[-1])
    dates = pd.to_datetime(pd.Series(timeline["date"].iloc[:n_rows]))
    months, month_of = np.unique(dates.dt.strftime("%Y-%m").to_numpy(), return_inverse=True)
    # counts[site, month, state]: how many of the month's rows were in each state
    counts = np.zeros((n_sites, len(months), len(CONSTRAINTS) + 1))
    np.add.at(counts, (np.arange(n_sites)[:, None], month_of[None, :], state), 1.0)
    out = {name: _monthly_mode(counts[i], months) for i, name in enumerate(names)}
    out[PORTFOLIO] = _monthly_mode((counts * weight[:, None, None]).sum(axis=0), months)
    return out


NONE, GRID, HALL, DELIVERY, CREWS = 0, 1, 2, 3, 4
"""State codes: none, then CONSTRAINTS in pipeline order."""


def _monthly_mode(counts: np.ndarray, months: np.ndarray) -> dict[str, str]:
    """Month -> the most frequent (or most weighted) active constraint, else "none".

    Ties go to the constraint earliest in the pipeline (grid, hall, delivery, crews).
    """
    active = counts[:, 1:]
    best = active.argmax(axis=1)  # the first maximum: earliest in the pipeline
    return {
        str(m): CONSTRAINTS[b] if active[i, b] > 0 else "none"
        for i, (m, b) in enumerate(zip(months, best, strict=True))
    }


def _next_rise(values: np.ndarray) -> np.ndarray:
    """For each (site, row), the index of the site's next row where ``values`` rises
    (inf if it never does)."""
    rise = np.full(values.shape, np.inf)
    sites, cols = np.nonzero(np.diff(values, axis=1) > QUANTITY_EPS)
    rise[sites, cols] = cols + 1
    return np.minimum.accumulate(rise[:, ::-1], axis=1)[:, ::-1]
