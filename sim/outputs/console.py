"""What a run or a comparison prints on the console: one line on where it wrote, then a line
per contract (or per compared run), from the summary and tables only."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.outputs.formats import days, money, percent, plural, signed_money
from sim.outputs.headline import moves, since_sentence


def wrote(folder: Path, replaced: bool) -> str:
    """Where a run or comparison wrote its folder."""
    return f"wrote {folder}/" + (" (replacing the earlier run there)" if replaced else "")


MAX_CONTRACT_LINES = 20
"""A run prints a line per contract up to this many contracts, then how many more there are
(summary.json has every one): a 10,000-site portfolio is not read on a terminal."""


def _shown(contracts: dict[str, Any], lines: list[str], indent: str) -> list[tuple[str, Any]]:
    """The contracts to print a line for; when some are left out, a closing line says so."""
    items = list(contracts.items())
    if len(items) > MAX_CONTRACT_LINES:
        more = len(items) - MAX_CONTRACT_LINES
        lines.append(f"{indent}... {plural(more, 'more contract')} in summary.json")
    return items[:MAX_CONTRACT_LINES]


def run_lines(summary: dict[str, Any], folder: Path, elapsed: float, replaced: bool) -> str:
    """The console summary of a run: where it wrote, each contract (the first
    `MAX_CONTRACT_LINES`), and its Monte Carlo."""
    lines = [f"{summary['scenario']['name']}: {wrote(folder, replaced)} in {elapsed:.2f} s"]
    tail: list[str] = []
    for name, c in _shown(summary["contracts"], tail, "  "):
        late = [t for t in c["tranches"] if t["on_time"] is False]  # None: removed, never due
        full = c["full_delivery"] or "not in horizon"
        lines.append(
            f"  {name} ({c['kind']}): {c['units_delivered']:g}/{c['units_contracted']:g} "
            f"{c['unit']} delivered, full delivery {full}, {len(late)} of "
            f"{plural(len(c['tranches']), 'tranche')} late, revenue {money(c['revenue_usd'])}"
        )
        stages = [f"{t['tranche']} {t['critical_stage']}" for t in c["tranches"]]
        lines.append("    date set by (tranche stage): " + ", ".join(stages))
    lines += tail
    lines.append(
        f"  revenue in horizon {money(summary['revenue_usd'])}; "
        f"peak facility {summary['peak_facility_mw']['all']['mw']:.1f} MW"
    )
    finance = summary.get("finance")
    if finance:
        total = finance["sites"]["all"]
        lines.append(
            f"  NPV at {percent(finance['discount_rate'], 1)} (valued at "
            f"{finance['valuation_date']}) {money(total['npv_usd'])}; IRR "
            + (percent(total["irr"], 1) if total["irr"] is not None else "none (no sign change)")
        )
    changes = summary.get("since_previous")
    if changes and "skipped" in changes:
        lines.append(f"  {since_sentence(changes)}")
    elif changes:
        lines.append(f"  {since_sentence(changes).split(': ', 1)[0]}:")
        lines += [f"    {move}" for move in moves(changes)] or ["    nothing moved"]
        new = changes.get("new_contracts") or []
        if new:
            lines.append(f"    new contract{'s' if len(new) > 1 else ''}: {', '.join(new)}")
    mc = summary.get("monte_carlo")
    if mc:
        reps = plural(mc["replications"], "replication")
        lines.append(f"  Monte Carlo, {reps} (seed {mc['seed']}):")
        tail = []
        for name, c in _shown(mc["contracts"], tail, "    "):
            p = {q: v or "not in horizon" for q, v in c["full_delivery"].items()}
            lines.append(
                f"    {name}: full delivery P10 {p['p10']}, P50 {p['p50']}, "
                f"P80 {p.get('p80', 'not in horizon')}, P90 {p['p90']}; "
                f"on time by the last due date {100 * c['p_full_delivery_by_last_due']:.0f}%"
            )
        for name, tranches in list(mc.get("criticality", {}).items())[:MAX_CONTRACT_LINES]:
            for tranche, shares in tranches.items():
                ranked = sorted(shares.items(), key=lambda kv: -kv[1])
                cells = [f"{stage} {percent(share, 0)}" for stage, share in ranked]
                number = tranche.removeprefix("tranche_")
                lines.append(f"    {name} tranche {number} date set by: " + ", ".join(cells))
        lines += tail
    return "\n".join(lines)


def comparison_lines(
    runs: Iterable[str], table: pd.DataFrame, folder: Path, elapsed: float, replaced: bool
) -> str:
    """The console summary of a comparison: where it wrote, then each contract's full
    delivery date in each run."""
    lines = [f"compared {', '.join(runs)}: {wrote(folder, replaced)} in {elapsed:.2f} s"]
    by_run = table.set_index("variant")
    for column in [c for c in by_run.columns if c.endswith(".full_delivery")]:
        cells = [f"{v}: {by_run.loc[v, column] or 'not in horizon'}" for v in by_run.index]
        lines.append(f"  {column}: " + "; ".join(cells))
    if "npv_usd" in by_run.columns:
        cells = [f"{v}: {money(by_run.loc[v, 'npv_usd'])}" for v in by_run.index]
        lines.append("  NPV: " + "; ".join(cells))
    return "\n".join(lines)


RISK_KPIS = (".full_delivery", "npv_usd", "revenue_usd")
"""The paired deltas the console shows (every one is in risk.csv and the report)."""


def risk_lines(tranches: pd.DataFrame | None, risk: pd.DataFrame | None, n: int) -> str:
    """With replications: each tranche's P(on time), P50 and P80 in every run, then each
    variant's paired deltas of the headline KPIs against the base."""
    if tranches is None:
        return ""
    lines = ["  tranches, P(on time) P50 P80 per run:"]
    for (contract, tranche), rows in tranches.groupby(["contract", "tranche"], sort=False):
        due = rows["due"].iloc[0]
        cells = [
            f"{r['variant']} {percent(r['p_on_time'])} {r['p50'] or 'not in horizon'} "
            f"{r['p80'] or 'not in horizon'}"
            for r in rows.to_dict("records")
        ]
        lines.append(f"    {contract} tranche {tranche} due {due}: " + "; ".join(cells))
    if risk is None:
        return "\n".join(lines)
    for variant, rows in risk.groupby("variant", sort=False):
        lines.append(f"  {variant} against the base, paired over {plural(n, 'replication')}:")
        shown = rows[rows["kpi"].str.endswith(RISK_KPIS) & (rows["unit"] != "value")]
        shown = shown[~shown["kpi"].str.endswith(".revenue_usd")]
        lines.extend(f"    {_risk_line(r)}" for r in shown.itertuples())
    return "\n".join(lines)


def _risk_line(r: Any) -> str:
    fmt = days if r.unit == "days" else signed_money
    if r.verdict == "same":
        return f"{r.kpi}: same in every replication"
    return (
        f"{r.kpi}: {fmt(r.delta_p50)} at P50 (P10 {fmt(r.delta_p10)}, P90 {fmt(r.delta_p90)}); "
        f"P(better) {percent(r.p_better)}, P(same) {percent(r.p_same)}, "
        f"P(worse) {percent(r.p_worse)}"
    )
