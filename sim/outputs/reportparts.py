"""The report's finance and risk tables as headers and rows (the report renders them):
NPV and IRR per contract, site and portfolio; each run's tranches at P50/P80 with their
on-time probabilities; each variant's paired deltas against the base."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.outputs.formats import days, money, percent, signed_money

if TYPE_CHECKING:
    from sim.compare import Comparison
    from sim.result import Result
    from sim.scenario.schema import Scenario

Rows = tuple[list[str], list[list[Any]]]


def finance_rows(result: Result) -> tuple[str, Rows]:
    """(caption, table) of NPV and IRR per contract, per site and for the portfolio."""
    f = result.summary["finance"]
    caption = (
        f"NPV at {percent(f['discount_rate'], 1)} a year, valued at {f['valuation_date']}, "
        "of each calendar month's net cash flow in the horizon (dated at the month's end); "
        "IRR where the flows change sign."
    )
    rows: list[list[Any]] = []
    for name, entry in f["contracts"].items():
        contract = result.scenario.contracts[name]
        label = getattr(contract, "label", "") or name
        rows.append([f"contract {label}", money(entry["npv_usd"]), _irr(entry["irr"])])
    for name, entry in f["sites"].items():
        if name == "all":
            continue
        label = getattr(result.scenario.sites[name], "label", "") or name
        rows.append([f"site {label}", money(entry["npv_usd"]), _irr(entry["irr"])])
    total = f["sites"]["all"]
    rows.append(["portfolio", money(total["npv_usd"]), _irr(total["irr"])])
    return caption, (["", "NPV", "IRR"], rows)


def criticality_rows(table: pd.DataFrame, scenario: Scenario) -> tuple[str, Rows]:
    """(caption, table) of the criticality index: per tranche, the share of replications in
    which each stage set its fill date (the stages that ever did, in pipeline order).
    Contracts are named by their `label:`, else their key."""
    caption = (
        "The share of replications in which each stage set the tranche's date: what held "
        "the units that filled it longest (the hall, and the grid or gate behind it, the "
        "racks, a crew, the customer's acceptance), as docs/criticality.md states. Each row "
        "adds up to 100%."
    )
    seen = table[table["share"] > 0]
    stages = [s for s in dict.fromkeys(table["stage"]) if s in set(seen["stage"])]
    rows: list[list[Any]] = []
    for (contract, tranche), mine in table.groupby(["contract", "tranche"], sort=False):
        shares = dict(zip(mine["stage"], mine["share"], strict=True))
        rows.append(
            [
                _contract_name(scenario, str(contract)),
                tranche,
                *(percent(shares[s]) if shares[s] else "–" for s in stages),
            ]
        )
    return caption, (["contract", "tranche", *(s.replace("_", " ") for s in stages)], rows)


def _contract_name(scenario: Scenario, name: str) -> str:
    return scenario.contracts[name].label or name


def _irr(value: float | None) -> str:
    return percent(value, 1) if value is not None else "none"


def tranche_rows(comparison: Comparison) -> Rows:
    """Each tranche in every run: P(on time), P50, P80."""
    assert comparison.tranches is not None
    runs = list(comparison.results)
    headers = ["contract", "tranche", "due"]
    for run in runs:
        headers += [f"{run} P(on time)", f"{run} P50", f"{run} P80"]
    rows = []
    for (contract, tranche), group in comparison.tranches.groupby(
        ["contract", "tranche"], sort=False
    ):
        row: list[Any] = [contract, tranche, group["due"].iloc[0]]
        by_run = group.set_index("variant")
        for run in runs:
            if run in by_run.index:
                r = by_run.loc[run]
                row += [percent(r["p_on_time"]), r["p50"] or "–", r["p80"] or "–"]
            else:
                row += ["–", "–", "–"]
        rows.append(row)
    return headers, rows


def risk_rows(comparison: Comparison) -> Rows:
    """Each variant's paired deltas: P10/P50/P90 in days or dollars, P(better/same/worse)."""
    assert comparison.risk is not None
    rows = []
    for r in comparison.risk.itertuples():
        fmt = days if r.unit == "days" else signed_money if r.unit == "usd" else _number
        base = money(r.base_p50) if r.unit == "usd" else _plain(r.base_p50)
        mine = money(r.p50) if r.unit == "usd" else _plain(r.p50)
        rows.append(
            [
                r.variant,
                r.kpi,
                base,
                mine,
                fmt(r.delta_p10),
                fmt(r.delta_p50),
                fmt(r.delta_p90),
                "same" if r.verdict == "same" else percent(r.p_better),
                percent(r.p_same),
                "same" if r.verdict == "same" else percent(r.p_worse),
            ]
        )
    headers = [
        "variant",
        "KPI",
        "base P50",
        "variant P50",
        "Δ P10",
        "Δ P50",
        "Δ P90",
        "P(better)",
        "P(same)",
        "P(worse)",
    ]
    return headers, rows


def _number(value: Any) -> str:
    return f"{value:+,.1f}".replace("-", "−")


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else f"{float(value):,.1f}"
