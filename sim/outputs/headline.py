"""The sentence at the top of every report: what is delivered to whom and when (plan, P50,
P80), the chance the first tranche meets its date, and the constraint that binds most.

From a run's summary, scenario and Monte Carlo tables only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.outputs.formats import percent, plural
from sim.scenario.schema import Contract, Platform, Scenario
from sim.scenario.topology import contract_halls, deliveries_at, units_per_rack

if TYPE_CHECKING:
    from sim.result import Result


def contract_mw(scenario: Scenario, name: str) -> float | None:
    """The contract's size in MW of IT (colocation: its MW; GPU cloud: its racks times the
    IT each rack is allocated), or None when its platform is unknown."""
    contract = scenario.contracts[name]
    if contract.kind == "colocation":
        return float(contract.total_units)
    platform = _platform(scenario, name)
    if platform is None:
        return None
    kw = platform.allocated_it_kw_per_rack or platform.it_kw_per_rack
    return float(contract.total_units / units_per_rack(contract, platform) * kw / 1000.0)


def _platform(scenario: Scenario, name: str) -> Platform | None:
    """The platform of the first delivery (in file order) to the contract's site whose
    racks its halls can take (cooling), as `due_gpus_per_unit` counts them."""
    contract = scenario.contracts[name]
    site = scenario.sites.get(contract.site)
    halls = contract_halls(scenario).get(name, ())
    coolings = {site.halls[h].cooling for h in halls if h in site.halls} if site else set()
    for delivery in deliveries_at(scenario, contract.site):
        platform = scenario.platforms.get(delivery.platform)
        if platform is None:
            continue
        if platform.cooling == "any" or platform.cooling in coolings:
            return platform
    return None


def who(name: str, contract: Contract) -> str:
    """The contract as a person names it: its label, else its customer, else its key."""
    return getattr(contract, "label", "") or contract.customer or name


def date_quantile(values: pd.Series, q: float) -> str | None:
    """Quantile ``q`` of a column of dates as an observed ISO date; not reached in the
    horizon counts as latest (None when the quantile falls there)."""
    days = ((values - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    days = np.where(np.isnan(days), np.inf, days)
    d = float(np.percentile(days, q, method="inverted_cdf"))
    return None if np.isinf(d) else (dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).isoformat()


def _contract_sentence(result: Result, name: str) -> str:
    scenario = result.scenario
    contract = scenario.contracts[name]
    c = result.summary["contracts"][name]
    mw = contract_mw(scenario, name)
    if mw is None:
        size = plural(c["units_contracted"], c["unit"])
    else:
        size = f"{mw:,.0f} MW" if mw >= 10 else f"{mw:,.1f} MW"
    text = f"{size} for {who(name, contract)}: plan {c['full_delivery'] or 'not in horizon'}"
    first = min(range(len(c["tranches"])), key=lambda i: c["tranches"][i]["due"])
    tranche = c["tranches"][first]
    mc = result.monte_carlo
    if mc is None:
        delivered = tranche["delivered"] or "not in the horizon"
        return f"{text}; tranche {tranche['tranche']} due {tranche['due']} is delivered {delivered}"
    full = mc.replications[f"{name}.full_delivery"]
    p50, p80 = (date_quantile(full, q) or "not in horizon" for q in (50, 80))
    rows = mc.on_time[(mc.on_time["contract"] == name) & (mc.on_time["tranche"] == first + 1)]
    chance = percent(float(rows["p_on_time"].iloc[0])) if len(rows) else "–"
    return (
        f"{text}, P50 {p50}, P80 {p80}; {chance} chance tranche {tranche['tranche']} meets "
        f"{tranche['due']}"
    )


def binding_most(summary: dict[str, Any]) -> str:
    """'the constraint that binds most is hall (9 of 14 months)', for the portfolio."""
    months = summary["binding_constraint"].get("all", {})
    seen = Counter(v for v in months.values() if v != "none")
    if not seen:
        return "nothing binds: no capacity was waiting on anything"
    what, count = seen.most_common(1)[0]
    return f"the constraint that binds most is {what} ({count} of {plural(len(months), 'month')})"


def headline(result: Result) -> str:
    """One sentence: the largest contract (by MW) delivered when, the chance its first
    tranche meets its date, and the constraint that binds most."""
    scenario = result.scenario
    names = sorted(scenario.contracts, key=lambda n: -(contract_mw(scenario, n) or 0.0))
    if names:
        text = _contract_sentence(result, names[0])
        if len(names) > 1:
            text += f" (and {plural(len(names) - 1, 'more contract')}, below)"
    else:
        text = f"{plural(len(scenario.sites), 'site')}, no contracts"
    return f"{text}; {binding_most(result.summary)}."
