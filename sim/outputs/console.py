"""What a run or a comparison prints on the console: one line on where it wrote, then a line
per contract (or per compared run), from the summary and tables only."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd


def wrote(folder: Path, replaced: bool) -> str:
    """Where a run or comparison wrote its folder."""
    return f"wrote {folder}/" + (" (replacing the earlier run there)" if replaced else "")


def run_lines(summary: dict[str, Any], folder: Path, elapsed: float, replaced: bool) -> str:
    """The console summary of a run: where it wrote, each contract, and its Monte Carlo."""
    lines = [f"{summary['scenario']['name']}: {wrote(folder, replaced)} in {elapsed:.2f} s"]
    for name, c in summary["contracts"].items():
        late = [t for t in c["tranches"] if t["slip_days"] is None or t["slip_days"] > 0]
        full = c["full_delivery"] or "not in horizon"
        lines.append(
            f"  {name} ({c['kind']}): {c['units_delivered']:g}/{c['units_contracted']:g} "
            f"{c['unit']} delivered, full delivery {full}, {len(late)} of "
            f"{len(c['tranches'])} tranches late, revenue ${c['revenue_usd'] / 1e6:,.1f}M"
        )
    lines.append(
        f"  revenue in horizon ${summary['revenue_usd'] / 1e6:,.1f}M; "
        f"peak facility {summary['peak_facility_mw']['all']['mw']:.1f} MW"
    )
    mc = summary.get("monte_carlo")
    if mc:
        lines.append(f"  Monte Carlo, {mc['replications']} replications (seed {mc['seed']}):")
        for name, c in mc["contracts"].items():
            p = {q: v or "not in horizon" for q, v in c["full_delivery"].items()}
            lines.append(
                f"    {name}: full delivery P10 {p['p10']}, P50 {p['p50']}, "
                f"P80 {p.get('p80', 'not in horizon')}, P90 {p['p90']}; "
                f"on time by the last due date {100 * c['p_full_delivery_by_last_due']:.0f}%"
            )
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
    return "\n".join(lines)
