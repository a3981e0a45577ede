"""What the tables read of a scenario whatever the run, worked out once per scenario object.

A run builds its tables on more than one grid (the timeline at its step, and the month ends
behind its NPVs), and each grid read the sites' prices and the contracts' sites again from
the pydantic models. They depend on the scenario alone, so they are kept while the scenario
object lives (a weak reference, as `sim.engine.inputs` keeps a scenario's compiled inputs):
a Monte Carlo replication's concrete scenario is a new object, with its own drawn prices,
so nothing is shared between replications whose prices may differ. Scenarios are
immutable; code that edits one in place after building its tables would read stale facts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.identitycache import IdentityCache
from sim.scenario.schema import Scenario
from sim.scenario.schema.types import plan


@dataclass(frozen=True)
class Facts:
    """A scenario's sites (in order) and what they cost and earn per unit of level."""

    sites: list[str]
    index: dict[str, int]
    """Site -> its row."""
    power_usd_per_mw_day: np.ndarray
    """(site, 1): the power price per MW-day."""
    mining_usd_per_mw_day: np.ndarray
    """(site, 1): the hashprice earned per MW-day of mining (0 without mining)."""
    owner: dict[str, int]
    """Contract -> the row of its site."""
    acceptance: bool
    """Whether a contract (or a tranche of one) has an acceptance."""
    hashprice_paths: frozenset[str]
    """The sites whose mining follows a dated hashprice path."""

    def rows(self, sites: list[str]) -> slice | np.ndarray:
        """The rows of ``sites``: a slice when they are the scenario's, in order."""
        if sites == self.sites:
            return slice(None)
        return np.array([self.index[s] for s in sites], dtype=np.int64)


_FACTS: IdentityCache[Facts] = IdentityCache()


def facts(scenario: Scenario) -> Facts:
    """The facts of ``scenario`` (worked out on first use, kept while the object lives)."""
    return _FACTS.get((scenario,), lambda: _facts(scenario))


def _facts(scenario: Scenario) -> Facts:
    sites = list(scenario.sites)
    power = np.zeros((len(sites), 1))
    mining = np.zeros((len(sites), 1))
    for i, site in enumerate(scenario.sites.values()):
        power[i] = plan(site.power_price_usd_per_mwh) * 24.0
        if site.mining is not None:  # MW -> EH/s -> PH/s, times USD per PH/s-day
            mining[i] = 1000.0 / site.mining.j_per_th * plan(site.mining.hashprice_usd_per_ph_day)
    index = {site: i for i, site in enumerate(sites)}
    owner = {n: index[c.site] for n, c in scenario.contracts.items() if c.site in index}
    acceptance = any(
        c.acceptance or any(t.acceptance for t in c.tranches) for c in scenario.contracts.values()
    )
    paths = frozenset(n for n, s in scenario.sites.items() if s.mining and s.mining.hashprice_path)
    return Facts(sites, index, power, mining, owner, acceptance, paths)
