"""The sentence at the top of every report: what is delivered to whom and when (plan, P50,
P80), the chance the first tranche meets its date, and the constraint that binds most; for
a status update, what moved since the previous status (`sim.since`).

From a run's summary, scenario and Monte Carlo tables only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.outputs.formats import days, percent, plural
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


def moves(changes: dict[str, Any]) -> list[str]:
    """What moved since the previous status, one phrase per tranche that moved: "aws tranche
    2 plan 2027-01-08 (+26 d), P50 2027-01-10 (+28 d), P80 2027-02-01 (+14 d), on time 70% ->
    41%" (a figure that did not move is left out)."""
    out = []
    for row in changes.get("tranches", []):
        parts = [
            f"{key.upper() if key != 'plan' else key} {_date_move(row[key])}"
            for key in ("plan", "p50", "p80")
            if key in row and _date_moved(row[key])
        ]
        chance = row.get("p_on_time")
        if chance is not None and round(100 * chance["from"]) != round(100 * chance["to"]):
            parts.append(f"on time {percent(chance['from'])} → {percent(chance['to'])}")
        if parts:
            parts[0] = f"{row['contract']} tranche {row['tranche']} {parts[0]}"
            out.append(", ".join(parts))
    return out


def _date_moved(move: dict[str, Any]) -> bool:
    return bool(move["days"]) or (move["from"] is None) != (move["to"] is None)


def _date_move(move: dict[str, Any]) -> str:
    now = move["to"] or "not in horizon"
    return (
        f"{now} ({days(move['days'])})"
        if move["days"] is not None
        else f"{now} (was {move['from'] or 'not in horizon'})"
    )


def since_sentence(changes: dict[str, Any]) -> str:
    """The headline's second sentence: what moved since the previous status."""
    what = f"Since {changes.get('previous', changes['file'])}"
    if changes.get("previous_as_of"):
        what += f" (as of {changes['previous_as_of']})"
    if "skipped" in changes:
        return f"Not compared with {changes['file']}: {changes['skipped']}."
    moved = moves(changes)
    new = changes.get("new_contracts") or []
    text = f"{what}: " + ("; ".join(moved) if moved else "no tranche date or probability moved")
    if new:
        text += f"; new contract{'s' if len(new) > 1 else ''}: {', '.join(new)}"
    return text + "."


def headline(result: Result) -> str:
    """One sentence: the largest contract (by MW) delivered when, the chance its first
    tranche meets its date, and the constraint that binds most. For a status update run
    against the file it imports, a second one: what moved since then."""
    scenario = result.scenario
    names = sorted(scenario.contracts, key=lambda n: -(contract_mw(scenario, n) or 0.0))
    if names:
        text = _contract_sentence(result, names[0])
        if len(names) > 1:
            text += f" (and {plural(len(names) - 1, 'more contract')}, below)"
    else:
        text = f"{plural(len(scenario.sites), 'site')}, no contracts"
    text = f"{text}; {binding_most(result.summary)}."
    changes = result.summary.get("since_previous")
    return f"{text} {since_sentence(changes)}" if changes else text
