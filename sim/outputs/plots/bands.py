"""Plots of a Monte Carlo study, drawn from its tables only (never from SimPy objects).

Three kinds of PNG: per site and for the portfolio, the P50 with a shaded P10-P90 band of
the ramp-up (MW), GPUs online and the revenue rate; the empirical CDF of each contract's
full-delivery date against its final due date; and a tornado chart of the inputs that
drive each KPI (Spearman rank correlation). The bands are per-date percentiles across
replications, so a P50 line is not the path of any one replication. Uses matplotlib's
object API with the Agg canvas, so no global pyplot state is touched.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict, cast

import numpy as np
import pandas as pd

from sim.analysis.portfolio import PORTFOLIO
from sim.outputs.plots.drawing import Job, in_new_figure
from sim.outputs.plots.run import MAX_SITE_PLOTS
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

_COLOUR = {column: colour for column, _, colour, _ in STAGES}
_LABEL = {column: label for column, label, _, _ in STAGES}
_POSITIVE, _NEGATIVE = "#d62728", "#1f77b4"
_TOP = 8


def monte_carlo_jobs(
    name: str,
    percentiles: pd.DataFrame,
    replications: pd.DataFrame,
    on_time: pd.DataFrame,
    drivers: pd.DataFrame,
    folder: Path,
    as_of: dt.date | None = None,
) -> list[Job]:
    """The band, delivery-CDF and driver charts of a study, to draw in `folder` (with
    `draw_all`, alone or with others'). Above `MAX_SITE_PLOTS` sites only the portfolio's
    bands are drawn, as in a plan run."""
    folder.mkdir(parents=True, exist_ok=True)
    n = len(replications)
    jobs: list[Job] = []
    if percentiles["site"].nunique() - 1 > MAX_SITE_PLOTS:  # the sites, less the portfolio
        percentiles = percentiles[percentiles["site"] == PORTFOLIO]
    for site, rows in percentiles.groupby("site", sort=False):
        site = str(site)
        label = "portfolio" if site == PORTFOLIO else site
        title = f"{name}: {label} — P50 with P10–P90 band ({n} replications)"
        jobs.append((_bands, (rows, title, folder / f"bands_{label}.png", as_of)))
    title = f"{name}: full delivery by contract ({n} replications)"
    cdf = (_delivery_cdf, replications, on_time, title, folder / "full_delivery_cdf.png")
    jobs.append((in_new_figure, cdf))
    title = f"{name}: what drives the outcomes ({n} replications)"
    jobs.append((in_new_figure, (_drivers, drivers, title, folder / "drivers.png")))
    return jobs


class _Text(TypedDict):
    """Keyword arguments of a centred grey note."""

    ha: str
    va: str
    fontsize: float
    color: str


class _Shade(TypedDict):
    """Keyword arguments of a P10-P90 band."""

    step: Literal["pre", "post", "mid"]
    color: str
    alpha: float
    linewidth: float


def _note(ax: Axes, text: str) -> None:
    """A grey message centred on an axes that has nothing to draw."""
    grey: _Text = {"ha": "center", "va": "center", "fontsize": 13, "color": "#666666"}
    ax.text(0.5, 0.5, text, transform=ax.transAxes, **grey)


def _band(
    ax: Axes, x: pd.Series, table: pd.DataFrame, colour: str, label: str, band: bool = True
) -> None:
    """P50 step line, with the P10-P90 band shaded in the same colour and P80 dashed."""
    ax.step(x, table["p50"], where="post", color=colour, linewidth=2, label=f"{label} (P50)")
    if band and "p80" in table:
        ax.step(
            x,
            table["p80"],
            where="post",
            color=colour,
            linewidth=1.2,
            linestyle="--",
            label=f"{label} (P80)",
        )
    if band:
        shade: _Shade = {"step": "post", "color": colour, "alpha": 0.25, "linewidth": 0}
        ax.fill_between(x, table["p10"], table["p90"], label=f"{label} (P10–P90)", **shade)


def _bands_figure() -> Figure:
    fig = new_figure(13, 10)
    fig.subplots(3, 1, sharex=True, height_ratios=[3, 2, 2])
    return fig


def _bands(
    figures: Figures, rows: pd.DataFrame, title: str, path: Path, as_of: dt.date | None = None
) -> None:
    fig = figures.get("bands", _bands_figure)
    axes = fig.axes
    fig.suptitle(title, fontsize=14, fontweight="bold")
    metric = {str(m): t.sort_values("date") for m, t in rows.groupby("metric", sort=False)}

    ax = axes[0]
    for column in ("ready_it_mw", "ai_it_mw", "grid_mw"):  # grid: a line, no band
        if column in metric:
            table = metric[column]
            when = pd.to_datetime(table["date"])
            _band(ax, when, table, _COLOUR[column], _LABEL[column], column != "grid_mw")
    ax.set_ylabel("MW")
    panel_title(ax, "Ramp-up")

    ax = axes[1]
    ax.set_yscale("linear")  # its default ticks, which a kept figure's panel may have lost
    gpus = metric.get("gpus_online")
    if gpus is not None and gpus["p90"].fillna(0).to_numpy().max(initial=0) > 0:
        scaled = gpus[_quantile_columns(gpus)] / 1000
        _band(ax, pd.to_datetime(gpus["date"]), scaled, "#2ca02c", "GPUs online")
    else:
        _note(ax, "no GPUs at this site")
        ax.set_yticks([])
    ax.set_ylabel("thousand GPUs")
    panel_title(ax, "GPUs online")

    ax = axes[2]
    if "revenue_usd" in metric:
        table = metric["revenue_usd"]
        dates = pd.to_datetime(table["date"]).reset_index(drop=True)
        days = dates.diff().dt.days.fillna(1).to_numpy()
        rate = table[_quantile_columns(table)].reset_index(drop=True)
        rate = rate.div(days, axis=0) * (365.25 / 12) / 1e6
        # a row covers the period that ends on its date: draw it from the previous date
        starts = dates.shift(1).fillna(dates.iloc[0] - pd.Timedelta(days=1))
        x = pd.concat([starts, dates.iloc[-1:]], ignore_index=True)
        rate = pd.concat([rate, rate.iloc[-1:]], ignore_index=True)
        _band(ax, x, rate, "#8c564b", "Revenue rate")
    ax.set_ylabel("USD million per month")
    panel_title(ax, "Revenue (monthly rate)")

    for i, ax in enumerate(axes):
        if as_of is not None:  # a status update's data date
            label = f"data date {as_of}" if i == 0 else None
            ax.axvline(cast(float, pd.Timestamp(as_of)), color="black", linestyle=":", label=label)
        if ax.get_legend_handles_labels()[0]:
            legend(ax)
        date_axis(ax)
    save(fig, path)


def _quantile_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in ("p10", "p50", "p80", "p90") if c in table]


def _contracts(replications: pd.DataFrame) -> list[str]:
    suffix = ".full_delivery"
    return [str(c)[: -len(suffix)] for c in replications.columns if str(c).endswith(suffix)]


def _delivery_cdf(
    replications: pd.DataFrame, on_time: pd.DataFrame, title: str, path: Path
) -> None:
    """Empirical CDF of each contract's full-delivery date, with its final due date."""
    fig, ax = figure(title, height=6)
    contracts = _contracts(replications)
    n = len(replications)
    done = {
        c: pd.to_datetime(replications[f"{c}.full_delivery"]).dropna().sort_values()
        for c in contracts
    }
    due = {}
    if len(on_time):
        last = on_time.groupby("contract")["due"].max()
        due = {c: pd.Timestamp(last[c]) for c in contracts if c in last.index}
    every = [d for s in done.values() for d in s] + list(due.values())
    if not contracts or n == 0 or not every:
        _note(ax, "no contracts to deliver")
        save(fig, path)
        return
    lo, hi = min(every), max(every)
    pad = max((hi - lo) * 0.03, pd.Timedelta(days=7))
    lo, hi = lo - pad, hi + pad
    colours = [f"C{i % 10}" for i in range(len(contracts))]
    for c, colour in zip(contracts, colours, strict=True):
        dates = done[c]
        share = len(dates) / n
        x, y = cdf_steps(dates, n, lo, hi)
        note = "" if len(dates) == n else ", rest not within the horizon"
        label = f"{c}: fully delivered in {share:.0%} of replications{note}"
        # above the spines and unclipped, so a CDF flat at 0 (or 1) stays visible; the casts
        # here and below: matplotlib takes dates through its unit converters, its stubs say float
        xs = cast("list[float]", x)
        ax.step(xs, y, where="post", color=colour, lw=2, label=label, zorder=3, clip_on=False)
        if c in due:
            label = f"{c}: final due {due[c]:%Y-%m-%d}"
            ax.axvline(
                cast(float, due[c]), color=colour, linestyle="--", linewidth=1.5, label=label
            )
        p80 = percentile_date(dates, n, 80)
        if p80 is not None:
            label = f"{c}: P80 {p80:%Y-%m-%d}"
            ax.plot(
                cast("list[float]", [p80]),
                [0.8],
                marker="v",
                color=colour,
                markersize=9,
                ls="none",
                label=label,
            )
    ax.axhline(0.8, color="#4c4c4c", linestyle=":", linewidth=1, label="P80 (commitment level)")
    ax.set_ylabel("probability delivered by date")
    legend(ax)
    date_axis(ax)
    ax.set_xlim(cast(float, lo), cast(float, hi))
    ax.set_ylim(0, 1.02)
    save(fig, path)


def percentile_date(dates: pd.Series, n: int, q: float) -> pd.Timestamp | None:
    """The P``q`` of sorted completion ``dates`` out of ``n`` replications (the rest never
    complete, so later than any date): the first date the empirical CDF reaches q%."""
    k = math.ceil(q / 100 * n)
    return pd.Timestamp(dates.iloc[k - 1]) if 0 < k <= len(dates) else None


def cdf_steps(
    dates: pd.Series, n: int, lo: pd.Timestamp, hi: pd.Timestamp
) -> tuple[list[pd.Timestamp], list[float]]:
    """The empirical CDF of sorted completion ``dates`` out of ``n`` replications, as step
    points from ``lo`` to ``hi``: it ends at the share completed, so a contract that is never
    complete stays flat at 0."""
    x = [lo, *dates, hi]
    y = [0.0, *(float(k) / n for k in range(1, len(dates) + 1)), len(dates) / n]
    return x, y


def short_labels(inputs: list[str]) -> list[str]:
    """Drop "input." and keep the last 3 dot parts, or more where that would be ambiguous."""
    parts = [s.removeprefix("input.").split(".") for s in inputs]
    keep = [3] * len(parts)
    while True:
        labels = [".".join(p[-k:]) for p, k in zip(parts, keep, strict=True)]
        clash = [
            i for i, lbl in enumerate(labels) if labels.count(lbl) > 1 and keep[i] < len(parts[i])
        ]
        if not clash:
            return labels
        for i in clash:
            keep[i] += 1


def _drivers(drivers: pd.DataFrame, title: str, path: Path) -> None:
    """Tornado chart: per KPI, the inputs with the largest absolute rank correlation."""
    table = drivers.dropna(subset=["spearman"])
    kpis = [str(k) for k in table["kpi"].unique()]
    if not kpis:
        fig, ax = figure(title, height=4)
        _note(ax, "no uncertain inputs")
        ax.set_axis_off()
        save(fig, path)
        return
    inputs = sorted({str(i) for i in table["input"]})
    label = dict(zip(inputs, short_labels(inputs), strict=True))  # one label per input, all plots
    cols = 1 if len(kpis) <= 3 else 2
    nrows = -(-len(kpis) // cols)
    bars = [min(_TOP, int((table["kpi"] == k).sum())) for k in kpis]
    tallest = [max(bars[r * cols : (r + 1) * cols]) for r in range(nrows)]
    height = 1.4 + sum(1.1 + 0.32 * b for b in tallest)
    fig = new_figure(13 if cols == 1 else 18, height, left=0.2 if cols == 1 else 0.14)
    fig.suptitle(title, fontsize=14, fontweight="bold")
    ratios = [b + 3.5 for b in tallest]
    axes = fig.subplots(nrows, cols, squeeze=False, height_ratios=ratios).ravel()
    for ax, kpi in zip(axes, kpis, strict=False):
        rows = table[table["kpi"] == kpi]
        rows = rows.reindex(rows["spearman"].abs().sort_values(ascending=False).index)
        rows = rows.head(_TOP)
        rho = rows["spearman"].to_numpy(dtype=float)
        y = np.arange(len(rows))
        ax.barh(y, rho, color=[_POSITIVE if r > 0 else _NEGATIVE for r in rho], height=0.6)
        for yi, r in zip(y, rho, strict=True):
            inside = abs(r) > 0.75  # near ±1 the value goes inside the bar, clear of the labels
            side = 1 if (r >= 0) != inside else -1
            ha, colour = ("left" if side > 0 else "right"), ("white" if inside else "black")
            ax.text(r + 0.02 * side, yi, f"{r:+.2f}", va="center", ha=ha, fontsize=8, color=colour)
        ax.set_yticks(y, [label[str(s)] for s in rows["input"]], fontsize=9)
        ax.set_ylim(len(rows) - 0.5, -0.5)  # strongest on top
        ax.axvline(0, color="#4c4c4c", linewidth=1)
        ax.set_xlim(-1, 1)
        ax.set_xlabel(f"Spearman rank correlation with {kpi}")
        panel_title(ax, kpi)
        ax.grid(True, axis="x", alpha=0.3)
    for ax in axes[len(kpis) :]:
        ax.set_axis_off()
    from matplotlib.patches import Patch

    signs = [
        Patch(color=_POSITIVE, label="positive: KPI higher (dates: later) as the input rises"),
        Patch(color=_NEGATIVE, label="negative: KPI lower (dates: earlier) as the input rises"),
    ]
    fig.legend(handles=signs, loc="outside lower center", ncols=2, fontsize=9, frameon=False)
    save(fig, path)
