"""Plots of a sweep and of a search, drawn from their tables only.

A sweep over one axis: each tranche's probability of being on time (the plan's slip in days
without replications) against the axis, a line per tranche, above revenue. Over two axes: a
heatmap of the worst tranche's probability of being on time (plan revenue without
replications), the value in each cell. Over more: lines against the first axis, one per
combination of the others. A search: the trade-off it saw, the objective against the worst
constraint's estimated probability with its 95% Wilson interval, the target and the best point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.outputs.plots.style import figure, legend, new_figure, save

FEASIBLE, INFEASIBLE, BEST = "#2ca02c", "#d62728", "#000000"
MAX_LINES = 10
"""At most this many constraint lines in the search plot (the first ones in the table)."""


def headline(table: pd.DataFrame) -> tuple[pd.Series, str, str]:
    """The one figure a planner reads first: the worst tranche's P(on time) with
    replications, else plan revenue in USD million; with its label and cell format."""
    chances = [c for c in table.columns if c.endswith(".p_on_time")]
    if chances:
        return table[chances].min(axis=1), "worst tranche's P(on time)", "{:.0%}"
    return table["plan.revenue_usd"] / 1e6, "revenue in horizon (plan), USD million", "{:,.0f}"


def _positions(values: Sequence[Any]) -> tuple[list[Any], list[str] | None]:
    """x positions for axis values: numbers and dates as they are, anything else in order."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return list(values), None
    try:
        return [dt.date.fromisoformat(str(v)) for v in values], None
    except ValueError:
        return list(range(len(values))), [str(v) for v in values]


def plot_sweep(title: str, axes: list[str], table: pd.DataFrame, path: Path) -> Path:
    """Write the sweep's figure to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = _heatmap(title, axes, table) if len(axes) == 2 else _lines(title, axes, table)
    save(fig, path)
    return path


def _lines(title: str, axes: list[str], table: pd.DataFrame) -> Any:
    fig = new_figure(13, 9)
    top, bottom = fig.subplots(2, 1)
    fig.suptitle(title, fontsize=14, fontweight="bold")
    first, rest = axes[0], axes[1:]
    groups = table.groupby(rest, sort=False) if rest else [((), table)]
    chances = [c for c in table.columns if c.endswith(".p_on_time")]
    for key, rows in groups:
        x, labels = _positions(list(rows[first]))
        suffix = ", ".join(
            f"{a}={v}"
            for a, v in zip(rest, key if isinstance(key, tuple) else (key,), strict=False)
        )
        if rest:
            worst = headline(rows)[0]
            top.plot(x, worst, marker="o", label=suffix)
        elif chances:
            for column in chances:
                top.plot(x, rows[column], marker="o", label=column.removesuffix(".p_on_time"))
        else:
            for column in [c for c in rows.columns if c.endswith(".slip_days")]:
                top.plot(x, rows[column], marker="o", label=column.removeprefix("plan."))
        revenue = "revenue_usd.mean" if "revenue_usd.mean" in rows else "plan.revenue_usd"
        bottom.plot(x, rows[revenue] / 1e6, marker="o", label=suffix or revenue)
        whole = all(isinstance(v, int) for v in x) and len(x) <= 25
        if labels or whole:  # categories by name, whole numbers (crews) as they are
            for ax in (top, bottom):
                ax.set_xticks(x, labels or [str(v) for v in x])
    if chances:
        top.axhline(0.8, color="#7f7f7f", linestyle="--", linewidth=1, label="80%")
        top.set_ylim(-0.02, 1.02)
        top.set_ylabel("P(on time)" if not rest else headline(table)[1])
        top.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    else:
        top.axhline(0, color="#7f7f7f", linestyle="--", linewidth=1)
        top.set_ylabel("slip, days (plan; > 0 is late)")
    bottom.set_ylabel("revenue in horizon, USD million" + (" (mean)" if chances else " (plan)"))
    bottom.set_xlabel(first)
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
        legend(ax)
    return fig


def _heatmap(title: str, axes: list[str], table: pd.DataFrame) -> Any:
    values, label, fmt = headline(table)
    rows_key, cols_key = axes
    grid = table.assign(_v=values).pivot_table(
        index=rows_key, columns=cols_key, values="_v", sort=False, aggfunc="first"
    )
    fig, ax = figure(f"{title}: {label}", height=7)
    scale = (0.0, 1.0) if "%" in fmt else (None, None)  # probabilities: the full scale
    image = ax.imshow(
        grid.to_numpy(dtype=float), cmap="RdYlGn", aspect="auto", vmin=scale[0], vmax=scale[1]
    )
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [str(i) for i in grid.index])
    ax.set_xlabel(cols_key)
    ax.set_ylabel(rows_key)
    for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
        if not np.isnan(v):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=10)
    fig.colorbar(image, ax=ax, label=label)
    return fig


def plot_search(
    title: str,
    table: pd.DataFrame,
    best: dict[str, Any] | None,
    targets: list[float],
    path: Path,
    xlabel: str = "objective",
) -> Path:
    """Write the search's trade-off figure to ``path``: each chance constraint's estimated
    probability (95% Wilson interval) against the objective, with the ``targets``, each point
    marked feasible or not along the top, and the best point (or the objective by point run,
    without chance constraints)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = figure(title, height=6)
    x, labels = _positions(list(table["objective"]))
    order = sorted(range(len(x)), key=lambda i: x[i])
    xs = np.empty(len(x), dtype=object)
    xs[:] = x
    feasible = table["feasible"].to_numpy(dtype=bool)
    chance = [
        c.removesuffix(".estimate")
        for c in table.columns
        if c.endswith(".estimate") and c.removesuffix(".estimate") + ".low" in table
    ]
    if chance:
        for name in chance[:MAX_LINES]:
            y = table[f"{name}.estimate"].to_numpy(dtype=float)
            bars = [y - table[f"{name}.low"].to_numpy(float), table[f"{name}.high"] - y]
            ax.errorbar(
                xs[order],
                y[order],
                yerr=np.clip(np.asarray(bars, dtype=float)[:, order], 0, None),
                fmt="-o",
                capsize=3,
                label=name,
            )
        for target in sorted(set(targets)):
            ax.axhline(
                target, color="#7f7f7f", linestyle="--", linewidth=1, label=f"target {target:.0%}"
            )
        ax.set_ylim(-0.02, 1.1)
        ax.set_ylabel("probability (bars: 95% Wilson interval)")
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}" if v <= 1 else "")
        top = np.full(len(x), 1.06)
    else:
        top = np.arange(1, len(table) + 1, dtype=float)
        ax.set_ylabel("point run (in order)")
    for mask, colour, name in (
        (feasible, FEASIBLE, "feasible"),
        (~feasible, INFEASIBLE, "not feasible"),
    ):
        if mask.any():
            ax.scatter(xs[mask], top[mask], marker="s", color=colour, label=f"point {name}")
    if best is not None:
        hit = [
            all(str(table[k].iloc[i]) == _text(v) for k, v in best.items()) for i in range(len(x))
        ]
        if any(hit):
            ax.axvline(xs[hit.index(True)], color=BEST, linestyle=":", linewidth=2, label="best")
    if labels:
        ax.set_xticks(range(len(labels)), labels)
    elif all(isinstance(v, int) for v in x) and len(x) <= 25:
        ax.set_xticks(sorted(set(x)))
    ax.set_xlabel(xlabel)
    ax.grid(True, alpha=0.3)
    legend(ax)
    save(fig, path)
    return path


def _text(value: Any) -> str:
    """A point's value as the table holds it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, dt.date) else str(value)
