"""Each site's timeline columns from its level records, a block of sites at a time.

A block's level array (site, level, row) and its integrals are built, read into the site
columns and dropped before the next block's, so a large portfolio never holds them for all
its sites at once (at 10,000 sites and weekly rows they were 1 GB, their passes the part of
the tables whose cost per site grew with the number of sites). Every figure of a site is a
function of that site's records only, added in the order they were recorded, so a site's
columns are the same to the bit whatever the block size.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from sim.analysis.records import LEVELS, LevelRows, sampled_levels
from sim.analysis.scenariofacts import facts
from sim.analysis.steps import cents
from sim.engine.vocabulary import Level
from sim.scenario.schema import Scenario

BLOCK_BYTES = 4 << 20
"""About the size of one block's level array: a few MB, so that the passes over it stay
in the processor's caches."""


def block_sites(n_dates: int) -> int:
    """Sites per block for rows of ``n_dates`` dates (`BLOCK_BYTES`, at least one site)."""
    return max(1, BLOCK_BYTES // (len(LEVELS) * max(n_dates, 1) * 8))


def blocks(n_sites: int, size: int) -> list[tuple[int, int]]:
    """(first site, past the last) of each block of ``size`` sites, in order; the last
    block takes what is left."""
    return [(lo, min(lo + size, n_sites)) for lo in range(0, n_sites, size)]


def site_columns(
    scenario: Scenario, rows: LevelRows, grid: np.ndarray, only: Collection[str] | None = None
) -> dict[str, np.ndarray]:
    """The timeline columns that come from the level records of the sites of ``rows``
    (a block): the levels (those in ``only``, when given, and those the others need), the
    stranded integrals, and the mining revenue, revenue given up, power cost and capex in
    whole cents; (site, row) arrays."""
    wanted = None if only is None else {*only, Level.CAPEX_PAID_USD.value}
    out, integral = sampled_levels(rows, grid, wanted)
    capex_paid = out[Level.CAPEX_PAID_USD.value]
    out["idle_mw_days"] = (
        integral[Level.GRID_MW]
        - integral[Level.AI_FACILITY_MW]
        - integral[Level.MINING_FACILITY_MW]
    )
    out["racks_waiting_days"] = integral[Level.RACKS_WAITING]
    out["gpu_days"] = integral[Level.GPUS_ONLINE]
    out.update(_site_money(scenario, rows.sites, capex_paid, integral, rows.capex_before_start))
    return out


def _site_money(
    scenario: Scenario,
    sites: list[str],
    capex_paid: np.ndarray,
    integral: dict[Level, np.ndarray],
    capex_before: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per-period mining revenue, revenue given up, power cost and capex of each site, in
    whole cents (the four made cents in one call: elementwise, row by row)."""
    known = facts(scenario)
    at = known.rows(sites)
    usd_per_mw_day, price = known.mining_usd_per_mw_day[at], known.power_usd_per_mw_day[at]
    mining = integral[Level.MINING_MW]
    potential = integral[Level.MINING_POTENTIAL_MW]
    billed_mw_days = (
        integral[Level.AI_FACILITY_MW]
        + integral[Level.MINING_FACILITY_MW]
        - integral[Level.TENANT_FACILITY_MW]
    )
    cumulative = np.empty((len(_SITE_MONEY), *mining.shape))
    np.multiply(mining, usd_per_mw_day, out=cumulative[0])
    np.multiply(potential - mining, usd_per_mw_day, out=cumulative[1])
    np.multiply(billed_mw_days, price, out=cumulative[2])
    np.add(capex_before, integral[Level.CAPEX_RATE_USD_PER_DAY], out=cumulative[3])
    cumulative[3] += capex_paid
    return dict(zip(_SITE_MONEY, cents(cumulative), strict=True))


_SITE_MONEY = ["mining_revenue_usd", "mining_given_up_usd", "power_cost_usd", "capex_usd"]
