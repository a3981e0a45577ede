"""Plots of a run, drawn from its tables only (never from SimPy objects).

One PNG per site and one for the portfolio, each with three panels on a shared date axis:
capacity by stage (grid, ready IT, AI IT, mining, facility MW); delivered against
contracted (GPUs, or MW for colocation-only sites); and utilization. Uses matplotlib's
object API with the Agg canvas, so no global pyplot state is touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.analysis.portfolio import PORTFOLIO
from sim.outputs.plots.drawing import Job, chart_paths, draw_all
from sim.outputs.plots.status import Marks, draw_marks, marks_of
from sim.outputs.plots.style import (
    STAGES,
    Figures,
    date_axis,
    figure,
    legend,
    new_figure,
    panel_title,
    save,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.result import Result

TOP_CONTRACTS = 10
"""The revenue chart stacks the largest contracts and sums the others."""
MAX_SITE_PLOTS = 20
"""Above this many sites, only the portfolio is drawn (a planner does not page through a
thousand dashboards; the timeline has every site)."""


def plot_run(result: Result, folder: Path) -> list[Path]:
    """Write one dashboard PNG per site and for the portfolio, a mining-to-AI transition per
    site and the revenue chart; return the paths."""
    jobs = run_jobs(result, folder)
    draw_all(jobs)
    return chart_paths(jobs)


def run_jobs(result: Result, folder: Path) -> list[Job]:
    """The charts of `plot_run`, to draw (`draw_all`) alone or with others'."""
    folder.mkdir(parents=True, exist_ok=True)
    timeline = result.timeline
    contracts = result.contracts
    name = result.scenario.scenario.name
    site_of = {c: spec.site for c, spec in result.scenario.contracts.items()}
    jobs: list[Job] = []
    drawn = timeline
    if len(result.scenario.sites) > MAX_SITE_PLOTS:
        drawn = timeline[timeline["site"] == PORTFOLIO]
    for site, rows in drawn.groupby("site", sort=False):
        site = str(site)
        mine = (
            contracts
            if site == PORTFOLIO
            else contracts[contracts["contract"].map(site_of) == site]
        )
        label = site if site == PORTFOLIO else result.scenario.sites[site].label or site
        title = f"{name}: portfolio" if site == PORTFOLIO else f"{name}: site {label}"
        jobs.append(
            (
                _dashboard,
                (
                    rows,
                    mine,
                    title,
                    folder / f"{'portfolio' if site == PORTFOLIO else site}.png",
                    marks_of(result.scenario, site),
                ),
            )
        )
        if site != PORTFOLIO:
            jobs.append(
                (
                    _transition,
                    (
                        rows,
                        f"{name}: site {label}, "
                        + ("from mining to AI" if rows["mining_mw"].any() else "grid MW by use"),
                        folder / f"transition_{site}.png",
                    ),
                )
            )
    title = f"{name}: revenue (monthly rate)"
    portfolio = drawn[drawn["site"] == PORTFOLIO]  # what the revenue chart reads of the timeline
    jobs.append((_revenue, (portfolio, contracts, title, folder / "revenue.png")))
    return jobs


def _transition(figures: Figures, rows: pd.DataFrame, title: str, path: Path) -> None:
    """Stacked grid MW: what mining draws, what AI draws, and the energized MW left idle."""
    fig, ax = _chart(figures, title)
    dates = pd.to_datetime(rows["date"])
    layers = [
        (rows["mining_facility_mw"], "Mining (facility MW)", "#ff7f0e"),
        (rows["ai_facility_mw"], "AI (facility MW)", "#2ca02c"),
        (rows["idle_mw"].clip(lower=0), "Idle headroom (energized, unused)", "#d9d9d9"),
    ]
    layers = [layer for layer in layers if layer[0].any()]  # no empty mining or AI layer
    ax.stackplot(
        dates,
        *[layer for layer, _, _ in layers],
        labels=[lbl for _, lbl, _ in layers],
        colors=[c for _, _, c in layers],
        step="post",
        alpha=0.9,
    )
    ax.step(
        dates, rows["grid_mw"], where="post", color="#4c4c4c", linewidth=2, label="Grid energized"
    )
    ax.set_ylabel("MW drawn from the grid")
    legend(ax)
    date_axis(ax)
    save(fig, path)


def _revenue(
    figures: Figures, timeline: pd.DataFrame, contracts: pd.DataFrame, title: str, path: Path
) -> None:
    """Stacked revenue rate per contract and from mining, in USD million per month.

    Each row's revenue is spread over the days of its period, so the chart reads the same
    whatever the timeline step (summing weekly rows into months would alias).
    """
    fig, ax = _chart(figures, title)
    rates = contracts.pivot_table(
        index="date", columns="contract", values="revenue_usd", aggfunc="sum", sort=False
    )
    rates = rates[[c for c in contracts["contract"].unique()]] if len(rates) else rates
    portfolio = timeline[timeline["site"] == PORTFOLIO].set_index("date")
    table = rates.reindex(portfolio.index, fill_value=0.0)
    if table.shape[1] > TOP_CONTRACTS:  # the largest by revenue, and the rest together
        keep = table.sum().sort_values(ascending=False).index[:TOP_CONTRACTS]
        others = table.drop(columns=keep).sum(axis=1)
        table = table[list(keep)].assign(**{"other contracts": others})
    table["mining"] = portfolio["mining_revenue_usd"]
    days = pd.Series(pd.to_datetime(table.index)).diff().dt.days.fillna(1).to_numpy()
    table = table.div(days, axis=0) * (365.25 / 12) / 1e6
    table = table.loc[:, table.abs().sum() > 0]
    dates = pd.to_datetime(pd.Series(table.index))
    if len(table.columns):
        # a row's value covers the period that ends on its date: draw it over that period
        ax.stackplot(
            dates.shift(1).fillna(dates.iloc[0]),
            *[table[c] for c in table.columns],
            labels=list(table.columns),
            step="post",
            alpha=0.9,
        )
    ax.set_ylabel("USD million per month")
    legend(ax)
    date_axis(ax)
    save(fig, path)


def _chart(figures: Figures, title: str) -> tuple[Figure, Axes]:
    """A one-panel chart (`figure`), reused from the previous one."""
    fig = figures.get("chart", lambda: figure("")[0])
    fig.suptitle(title, fontsize=14, fontweight="bold")
    return fig, fig.axes[0]


def _dashboard_figure() -> Figure:
    fig = new_figure(13, 10)
    fig.subplots(3, 1, sharex=True, height_ratios=[3, 2, 1.5])
    return fig


def _dashboard(
    figures: Figures,
    rows: pd.DataFrame,
    contracts: pd.DataFrame,
    title: str,
    path: Path,
    marks: Marks | None = None,
) -> None:
    fig = figures.get("dashboard", _dashboard_figure)
    axes = fig.axes
    dates = pd.to_datetime(rows["date"])
    fig.suptitle(title, fontsize=14, fontweight="bold")

    ax = axes[0]
    for column, label, color, style in STAGES:
        if column == "mining_mw" and not rows[column].any():
            continue  # a site without mining: no line at zero
        ax.step(
            dates,
            rows[column],
            where="post",
            label=label,
            color=color,
            linestyle=style,
            linewidth=2,
        )
    ax.set_ylabel("MW")
    panel_title(ax, "Capacity by stage")
    legend(ax)

    _delivered_panel(axes[1], rows, contracts, dates)

    ax = axes[2]
    ax.step(
        dates,
        100 * rows["power_utilization"],
        where="post",
        color="#9467bd",
        label="Grid used (facility / grid MW)",
        linewidth=2,
    )
    ax.step(
        dates,
        100 * rows["hall_utilization"],
        where="post",
        color="#2ca02c",
        label="Halls used (AI IT / ready IT MW)",
        linewidth=2,
    )
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    panel_title(ax, "Utilization")
    legend(ax)

    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    axes[2].xaxis.set_major_locator(locator)
    axes[2].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    for ax in axes:
        ax.grid(True, alpha=0.3)
        ax.margins(x=0)
        ax.set_ylim(bottom=0)
    if marks is not None:  # a status update: its data date and actuals
        draw_marks(list(axes), marks)
        legend(axes[0])
    save(fig, path)


def _delivered_panel(
    ax: Axes, rows: pd.DataFrame, contracts: pd.DataFrame, dates: pd.Series
) -> None:
    gpu = rows["gpus_due"].to_numpy().max() > 0 or rows["gpus_online"].to_numpy().max() > 0
    if gpu:
        _against(
            ax,
            dates,
            rows["gpus_online"] / 1000,
            rows["gpus_due"] / 1000,
            "GPUs online",
            "GPUs contracted (due)",
        )
        ax.set_ylabel("thousand GPUs")
        panel_title(ax, "GPUs online against contract")
    else:
        colo = contracts[contracts["unit"].isin(["mw_it", "mw_gross"])]
        by_date = colo.groupby("date", sort=True)[["units_delivered", "units_due"]].sum()
        _against(
            ax,
            pd.to_datetime(pd.Series(by_date.index)),
            by_date["units_delivered"],
            by_date["units_due"],
            "MW handed over (colocation)",
            "MW contracted (due)",
        )
        ax.set_ylabel("MW")
        panel_title(ax, "Colocation MW handed over against contract")
    legend(ax)


def _against(
    ax: Axes,
    when: pd.Series,
    delivered: pd.Series,
    due: pd.Series,
    delivered_label: str,
    due_label: str,
) -> None:
    """A delivered line and a dashed contracted line on one panel."""
    ax.step(
        when,
        delivered.to_numpy(),
        where="post",
        color="#2ca02c",
        linewidth=2,
        label=delivered_label,
    )
    ax.step(
        when,
        due.to_numpy(),
        where="post",
        color="#d62728",
        linewidth=2,
        linestyle="--",
        label=due_label,
    )
