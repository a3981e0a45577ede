"""Plots comparing a base run with its variants, drawn from their tables only.

Three overlays of the portfolio (GPUs online, AI IT load, revenue rate) with one line per
run, the base thick and black; a run with Monte Carlo percentiles shows its P50 with a
P10-P90 band instead of its plan line. And a Gantt chart with one panel per run, its rows
the same in every panel: grid phases energized, hall construction, waiting for power and
commissioning, delivery tranches arriving, and contract tranches due against delivered.
Uses matplotlib's object API with the Agg canvas, so no global pyplot state is touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.analysis.portfolio import PORTFOLIO
from sim.engine.vocabulary import HALL_PHASES, Kind, Milestone
from sim.outputs.plots.drawing import Job, chart_paths, draw_all, in_new_figure
from sim.outputs.plots.style import date_axis, figure, legend, new_figure, panel_title, save

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class RunView:
    """What the comparison needs from one run: its tables and its contract due dates."""

    timeline: pd.DataFrame
    events: pd.DataFrame
    due: list[tuple[str, int, dt.date]]
    """(contract, tranche number, due date) for every contract tranche."""
    percentiles: pd.DataFrame | None = None
    """Monte Carlo bands (long format: date, site, metric, p10, p50, p80, p90, mean), or None."""
    on_time: pd.DataFrame | None = None
    """Monte Carlo tranche dates (contract, tranche, p10, p50, p80, p90), or None: drawn as
    a P10-P90 line under each contract tranche, with its P50 and P80 marked."""


class _Line(TypedDict):
    """Keyword arguments of a P50 or timeline step line."""

    color: str
    linewidth: float


class _Shade(TypedDict):
    """Keyword arguments of a P10-P90 band."""

    step: Literal["pre", "post", "mid"]
    color: str
    alpha: float
    linewidth: float


class _Note(TypedDict):
    """Keyword arguments of a text note beside a marker."""

    xytext: tuple[float, float]
    textcoords: str
    va: str
    fontsize: float


_OVERLAYS = [
    ("gpus_online", "overlay_gpus.png", "thousand GPUs online", "GPUs online"),
    ("ai_it_mw", "overlay_ai_mw.png", "AI IT load, MW", "AI IT load"),
    ("revenue_usd", "overlay_revenue.png", "USD million per month", "revenue (monthly rate)"),
]
_VARIANT_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]
_BUILD, _WAIT, _COMMISSION, _GRID = "#7f7f7f", "#d62728", "#1f77b4", "#4c4c4c"
LATE, EARLY = "#d62728", "#2ca02c"
_MARKS: dict[str, dict[str, Any]] = {  # Gantt markers, in the panels and in the legend
    "energized": {"marker": "D", "color": _GRID, "markersize": 7},
    "before": {"marker": "<", "color": _GRID, "markersize": 7},
    "arrived": {"marker": "|", "color": "#9467bd", "markersize": 12, "markeredgewidth": 2},
    "due": {"marker": "|", "color": LATE, "markersize": 14, "markeredgewidth": 2.5},
    "delivered": {"marker": "o", "color": EARLY, "markersize": 6},
    "p50": {"marker": "|", "color": "#4c4c4c", "markersize": 8, "markeredgewidth": 1.5},
    "p80": {"marker": "v", "color": "#ff7f0e", "markersize": 7},
}
_RANGE = "#8c8c8c"


def plot_comparison(title: str, runs: dict[str, RunView], folder: Path) -> list[Path]:
    """Write the three overlay PNGs and the Gantt PNG into `folder`; return their paths.

    `runs` is ordered: the first is the base, the others its variants.
    """
    if not runs:
        raise ValueError("no runs to compare")
    folder.mkdir(parents=True, exist_ok=True)
    variants = len(runs) - 1
    against = f"base against {variants} variant{'' if variants == 1 else 's'}"
    jobs: list[Job] = []
    for metric, file, ylabel, what in _OVERLAYS:
        chart = f"{title}: {what}, portfolio, {against}"
        jobs.append((in_new_figure, (_overlay, runs, metric, ylabel, chart, folder / file)))
    chart = f"{title}: phases by run, {against}"
    jobs.append((in_new_figure, (_gantt, chart, runs, folder / "gantt.png")))
    draw_all(jobs)  # on every core
    return chart_paths(jobs)


def _gantt(title: str, runs: dict[str, RunView], path: Path) -> None:
    save(gantt(title, runs), path)


def monthly_rate(
    dates: pd.Series, values: pd.DataFrame, metric: str
) -> tuple[pd.Series, pd.DataFrame]:
    """x and y for a step-post line in the plotted unit (revenue: a rate over its period)."""
    dates = pd.to_datetime(pd.Series(list(dates)))
    values = values.reset_index(drop=True).astype(float)
    if metric == "gpus_online":
        return dates, values / 1000
    if metric != "revenue_usd":
        return dates, values
    days = dates.diff().dt.days.fillna(1).to_numpy()
    rate = values.div(days, axis=0) * (365.25 / 12) / 1e6
    # a row covers the period that ends on its date: draw it from the previous date
    starts = dates.shift(1).fillna(dates.iloc[0] - pd.Timedelta(days=1))
    x = pd.concat([starts, dates.iloc[-1:]], ignore_index=True)
    return x, pd.concat([rate, rate.iloc[-1:]], ignore_index=True)


def _overlay(runs: dict[str, RunView], metric: str, ylabel: str, title: str, path: Path) -> None:
    fig, ax = figure(title, height=6)
    for i, (name, view) in enumerate(runs.items()):
        colour = _VARIANT_COLOURS[(i - 1) % len(_VARIANT_COLOURS)] if i else "black"
        style: _Line = {"color": colour, "linewidth": 1.8 if i else 2.8}
        label = f"{name} (base)" if i == 0 and name != "base" else name
        bands = view.percentiles
        if bands is not None:
            mine = (bands["site"] == PORTFOLIO) & (bands["metric"] == metric)
            bands = bands[mine].sort_values("date")
        if bands is not None and len(bands):
            x, table = monthly_rate(bands["date"], bands[["p10", "p50", "p90"]], metric)
            ax.step(x, table["p50"], where="post", label=f"{label} (P50)", **style)
            shade: _Shade = {"step": "post", "color": colour, "alpha": 0.15, "linewidth": 0}
            ax.fill_between(x, table["p10"], table["p90"], label=f"{label} (P10–P90)", **shade)
            continue
        rows = view.timeline[view.timeline["site"] == PORTFOLIO].sort_values("date")
        if len(rows):
            x, table = monthly_rate(rows["date"], rows[[metric]], metric)
            ax.step(x, table[metric], where="post", label=label, **style)
    ax.set_ylabel(ylabel)
    if ax.get_legend_handles_labels()[0]:
        legend(ax)
    date_axis(ax)
    save(fig, path)


def _rows(view: RunView) -> list[tuple[int, str, str]]:
    """This run's Gantt rows as (kind, site, label), in the order they first appear."""
    found: list[tuple[int, str, str]] = []
    events = view.events.sort_values("date", kind="stable")
    columns = [events[c] for c in ("site", "kind", "name", "milestone")]
    for site, kind, name, milestone in zip(*columns, strict=True):
        if kind == Kind.GRID and milestone == Milestone.ENERGIZED:
            found.append((0, str(site), f"grid: {site}/{name}"))
        elif kind == Kind.HALL and milestone in HALL_PHASES:
            found.append((1, str(site), f"{site}/{name}"))
        elif kind == Kind.DELIVERY and milestone == Milestone.ARRIVED:
            found.append((2, "", f"delivery: {name}"))
    return found + [(3, "", f"contract: {c}") for c, _, _ in view.due]


def gantt(title: str, runs: dict[str, RunView]) -> Figure:
    """One Gantt panel per run, stacked on a shared date axis, with the same rows in each:
    grid phases and halls grouped by site, then deliveries and contracts, each in the order
    first seen in the base (then in the variants)."""
    found = [f for view in runs.values() for f in _rows(view)]
    sites = ["", *dict.fromkeys(site for _, site, _ in found)]
    found.sort(key=lambda f: (f[0], sites.index(f[1])))  # stable: keeps first-seen order
    labels = list(dict.fromkeys(label for _, _, label in found))
    row = {label: i for i, label in enumerate(labels)}
    panel = 0.9 + 0.27 * max(len(labels), 1)
    fig = new_figure(14, 1.2 + panel * len(runs), left=0.16)
    fig.suptitle(title, fontsize=14, fontweight="bold")
    axes = fig.subplots(len(runs), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
    pairs = list(zip(axes, runs.items(), strict=True))
    spans = [_panel(ax, name, view, row) for ax, (name, view) in pairs]
    lo = min((s[0] for s in spans if s is not None), default=None)
    hi = max((s[1] for s in spans if s is not None), default=None)
    for ax, (_, view) in pairs:
        ax.set_yticks(range(len(labels)), labels, fontsize=9)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.grid(True, axis="x", alpha=0.3)
        if lo is not None and hi is not None:
            pad = max((hi - lo) * 0.02, 7.0)
            ax.set_xlim(lo - pad, hi + pad)
            _grid(ax, view, row, lo - pad)
    locator = mdates.AutoDateLocator()
    axes[-1].xaxis.set_major_locator(locator)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    params = fig.subplotpars  # just right of the panels, below the title
    fig.legend(
        handles=_legend(),
        loc="upper left",
        bbox_to_anchor=(params.right + 0.005, params.top),
        fontsize=9,
        frameon=False,
    )
    return fig


def _num(when: dt.date | str) -> float:
    return float(mdates.date2num(pd.Timestamp(when)))


def _panel(ax: Axes, name: str, view: RunView, row: dict[str, int]) -> tuple[float, float] | None:
    """Draw one run's bars and markers (grid phases later); return the span of dates drawn."""
    panel_title(ax, name, fontsize=11, fontweight="bold")
    events, dates = view.events, view.timeline["date"]
    known = dates if len(dates) else events["date"]
    if not len(known):
        return None
    begin, end = _num(known.min()), _num(known.max())
    drawn = [begin]
    at: dict[tuple[str, str, str], dict[tuple[str, int], float]] = {}
    keys = ["site", "kind", "name", "milestone", "tranche"]
    first = events.fillna({"tranche": 0}).groupby(keys)["date"].min()
    for key, when in first.items():
        assert isinstance(key, tuple)  # grouped by several keys: the index is a MultiIndex
        site, kind, what, milestone, tranche = key
        entity = at.setdefault((str(site), str(kind), str(what)), {})
        entity[(str(milestone), int(tranche))] = _num(when)
    done: dict[tuple[str, int], float] = {}

    def bar(y: int, a: float, b: float, colour: str, hatch: str | None, height: float) -> None:
        ax.barh(y, b - a, left=a, height=height, color=colour, hatch=hatch, edgecolor="white")
        drawn.extend([a, b])

    for (site, kind, what), when in at.items():
        if kind == Kind.GRID and when.get((Milestone.ENERGIZED, 0), begin - 1) >= begin:
            drawn.append(when[(Milestone.ENERGIZED, 0)])  # drawn in `_grid` later
        elif kind == Kind.HALL and f"{site}/{what}" in row:
            y = row[f"{site}/{what}"]
            start, built, power, ready = (when.get((m, 0)) for m in HALL_PHASES)
            if start is not None:
                bar(y, start, built or end, _BUILD, None if built else "///", 0.6)
            if built is not None and (power is None or power > built):
                bar(y, built, power or end, _WAIT, "xx" if power else "///", 0.3)
            if power is not None:
                bar(y, power, ready or end, _COMMISSION, None if ready else "///", 0.6)
        elif kind == Kind.DELIVERY and f"delivery: {what}" in row:
            arrived = [d for (m, _), d in when.items() if m == Milestone.ARRIVED]
            _mark(ax, arrived, row[f"delivery: {what}"], "arrived")
            drawn.extend(arrived)
        elif kind == Kind.CONTRACT:
            done.update({(what, k): d for (m, k), d in when.items() if m == Milestone.DELIVERED})
    for contract, k, due in view.due:
        y, when_due = row[f"contract: {contract}"], _num(due)
        delivered = done.get((contract, k))
        if delivered is not None:
            late = delivered > when_due
            ax.plot([when_due, delivered], [y, y], linewidth=1.2, color=LATE if late else EARLY)
            _mark(ax, [delivered], y, "delivered")
            drawn.append(delivered)
        elif end > when_due:
            ax.plot([when_due, end], [y, y], color=LATE, linewidth=1, linestyle=":")
            drawn.append(end)
        _mark(ax, [when_due], y, "due")
        drawn.append(when_due)
        drawn.extend(_range(ax, view.on_time, contract, k, y + 0.28))
    return min(drawn), max(drawn)


def _range(ax: Axes, on_time: pd.DataFrame | None, contract: str, k: int, y: float) -> list[float]:
    """A tranche's Monte Carlo P10-P90 line with its P50 and P80 marked; the dates drawn."""
    if on_time is None:
        return []
    rows = on_time[(on_time["contract"] == contract) & (on_time["tranche"] == k)]
    if not len(rows):
        return []
    q = {c: rows.iloc[0][c] for c in ("p10", "p50", "p80", "p90")}
    at = {c: _num(v) for c, v in q.items() if isinstance(v, dt.date | str) and v}
    if "p10" in at and "p90" in at:
        ax.plot([at["p10"], at["p90"]], [y, y], color=_RANGE, linewidth=2, solid_capstyle="butt")
    for c in ("p50", "p80"):
        if c in at:
            _mark(ax, [at[c]], y, c)
    return list(at.values())


def _grid(ax: Axes, view: RunView, row: dict[str, int], lo: float) -> None:
    """Grid phases: a diamond when energized, a left arrow at the edge if before the chart."""
    events = view.events
    grid = events[(events["kind"] == Kind.GRID) & (events["milestone"] == Milestone.ENERGIZED)]
    for site, name, when in zip(grid["site"], grid["name"], grid["date"], strict=True):
        label = f"grid: {site}/{name}"
        if label not in row:
            continue
        if _num(when) >= lo:
            _mark(ax, [_num(when)], row[label], "energized")
            continue
        _mark(ax, [lo], row[label], "before", clip_on=False)
        note: _Note = {
            "xytext": (8, 0),
            "textcoords": "offset points",
            "va": "center",
            "fontsize": 8,
        }
        ax.annotate(f"energized {pd.Timestamp(when):%Y-%m-%d}", (lo, row[label]), **note)


def _mark(ax: Axes, xs: list[float], y: float, kind: str, **extra: Any) -> None:
    ax.plot(xs, [y] * len(xs), linestyle="none", zorder=3, **_MARKS[kind], **extra)


def _legend() -> list[Patch | Line2D]:
    def mark(kind: str, label: str) -> Line2D:
        return Line2D([], [], linestyle="none", label=label, **_MARKS[kind])

    return [
        Patch(color=_BUILD, label="hall construction"),
        Patch(facecolor=_WAIT, hatch="xx", edgecolor="white", label="hall built, awaiting power"),
        Patch(facecolor=_COMMISSION, label="hall commissioning (power reserved to ready)"),
        Patch(facecolor="#bbbbbb", hatch="///", edgecolor="white", label="not done in horizon"),
        mark("energized", "grid phase energized"),
        mark("before", "grid phase energized before the chart starts"),
        mark("arrived", "delivery tranche arrived"),
        mark("due", "contract tranche due"),
        mark("delivered", "contract tranche delivered"),
        Line2D([], [], color=_RANGE, linewidth=2, label="Monte Carlo P10-P90 delivery dates"),
        mark("p50", "Monte Carlo P50"),
        mark("p80", "Monte Carlo P80 (commitment level)"),
        Line2D([], [], color=LATE, label="delivered late (due to delivered)"),
        Line2D([], [], color=EARLY, label="delivered early or on time"),
        Line2D([], [], color=LATE, linestyle=":", label="not delivered within the horizon"),
    ]
