"""Comparison plots: built from small synthetic tables, four PNGs, no pyplot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib.dates as mdates
import pandas as pd
import pytest

from sim.engine.vocabulary import Kind, Milestone
from sim.outputs.plots.comparison import LATE, RunView, gantt, monthly_rate, plot_comparison

PNG = b"\x89PNG\r\n\x1a\n"
START = dt.date(2026, 1, 5)
DATES = [START + dt.timedelta(weeks=w) for w in range(30)]
EXPECTED = ["overlay_gpus.png", "overlay_ai_mw.png", "overlay_revenue.png", "gantt.png"]


def _day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def _timeline(shift: int = 0) -> pd.DataFrame:
    rows = []
    for w, date in enumerate(DATES):
        ramp = min(1.0, max(0.0, (w - shift) / 15))
        for site, scale in (("s1", 1.0), ("all", 1.0)):
            rows.append(
                {
                    "date": date,
                    "site": site,
                    "grid_mw": 100.0,  # ignored
                    "gpus_online": 40_000 * ramp * scale,
                    "ai_it_mw": 60 * ramp * scale,
                    "revenue_usd": 7 * 1e6 * ramp * scale,
                }
            )
    return pd.DataFrame(rows)


Event = tuple[int, str, Kind, str, int | None, Milestone]
"""(day, site, kind, name, tranche, milestone): one row of an events table."""


def _events(extra: list[Event] | None = None) -> pd.DataFrame:
    rows: list[Event] = [
        (-400, "s1", Kind.GRID, "existing", None, Milestone.ENERGIZED),  # an arrow at the edge
        (100, "s1", Kind.GRID, "phase_2", None, Milestone.ENERGIZED),
        (-30, "s1", Kind.HALL, "h1", None, Milestone.CONSTRUCTION_STARTED),
        (40, "s1", Kind.HALL, "h1", None, Milestone.CONSTRUCTION_COMPLETE),
        (60, "s1", Kind.HALL, "h1", None, Milestone.POWER_RESERVED),  # 20 days waiting
        (90, "s1", Kind.HALL, "h1", None, Milestone.READY),
        (95, "s1", Kind.HALL, "h1", None, Milestone.RACKS_INSTALLED),  # ignored
        (60, "s1", Kind.DELIVERY, "dell", 1, Milestone.ARRIVED),
        (120, "s1", Kind.DELIVERY, "dell", 2, Milestone.ARRIVED),
        (130, "s1", Kind.CONTRACT, "msft", 1, Milestone.DELIVERED),
        (150, "s1", Kind.MINING, "s1", None, Milestone.DECOMMISSIONED),  # ignored
        *(extra or []),
    ]
    frame = pd.DataFrame(
        [
            {
                "date": _day(d),
                "site": s,
                "kind": str(k),
                "name": n,
                "tranche": t,
                "milestone": str(m),
                "quantity": 1.0,
            }
            for d, s, k, n, t, m in rows
        ]
    )
    return frame.astype({"tranche": "Int64"})


DUE = [("msft", 1, _day(110)), ("msft", 2, _day(150))]  # 1 delivered late, 2 never


def _percentiles() -> pd.DataFrame:
    table = _timeline(shift=2)
    table = table[table["site"] == "all"]
    rows = []
    for metric in ("gpus_online", "ai_it_mw", "revenue_usd"):
        for date, value in zip(table["date"], table[metric], strict=True):
            rows.append(
                {
                    "date": date,
                    "site": "all",
                    "metric": metric,
                    "p10": 0.8 * value,
                    "p50": value,
                    "p90": 1.2 * value,
                    "mean": value,
                }
            )
    return pd.DataFrame(rows)


def _runs() -> dict[str, RunView]:
    late_hall: list[Event] = [
        (70, "s1", Kind.HALL, "h2", None, Milestone.CONSTRUCTION_STARTED)  # never completed
    ]
    new_delivery: list[Event] = [(80, "s1", Kind.DELIVERY, "hpe", 1, Milestone.ARRIVED)]
    return {
        "base": RunView(_timeline(), _events(), DUE),
        "late_hall": RunView(_timeline(shift=4), _events(late_hall), DUE),
        "monte_carlo": RunView(_timeline(shift=2), _events(new_delivery), DUE, _percentiles()),
    }


def test_comparison_writes_four_pngs(tmp_path: Path) -> None:
    folder = tmp_path / "compare"
    paths = plot_comparison("demo", _runs(), folder)
    assert [p.name for p in paths] == EXPECTED
    assert sorted(p.name for p in folder.iterdir()) == sorted(EXPECTED)
    for png in paths:
        assert png.read_bytes()[:8] == PNG
        assert png.stat().st_size > 5_000  # a drawn chart, not an empty canvas


def test_gantt_has_one_panel_per_run_with_the_same_rows() -> None:
    runs = _runs()
    fig = gantt("demo", runs)
    assert len(fig.axes) == len(runs)
    assert [ax.get_title(loc="left") for ax in fig.axes] == list(runs)
    expected = [
        "grid: s1/existing",
        "grid: s1/phase_2",
        "s1/h1",
        "s1/h2",  # first seen in a variant: with the halls, after the base's
        "delivery: dell",
        "delivery: hpe",
        "contract: msft",
    ]
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_yticklabels()] == expected
    # the late tranche is joined to its due date by a red line
    late = [
        line
        for line in fig.axes[0].get_lines()
        if len(line.get_xdata()) == 2 and line.get_color() == LATE
    ]
    assert any(line.get_xdata()[0] == mdates.date2num(pd.Timestamp(_day(110))) for line in late)


def test_hall_without_completion_is_hatched_to_the_end_of_the_horizon(tmp_path: Path) -> None:
    hall_h9 = (150, "s1", Kind.HALL, "h9", None, Milestone.CONSTRUCTION_STARTED)
    events = _events([hall_h9])
    started_only = events[(events["kind"] != Kind.HALL) | (events["name"] != "h1")]
    runs = {"only": RunView(_timeline(), started_only, DUE)}
    fig = gantt("demo", runs)
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 1
    assert hatched[0].get_x() + hatched[0].get_width() == pytest.approx(
        mdates.date2num(pd.Timestamp(DATES[-1]))
    )
    paths = plot_comparison("demo", runs, tmp_path)
    assert all(p.read_bytes()[:8] == PNG for p in paths)


def test_revenue_is_drawn_as_a_monthly_rate_over_its_period() -> None:
    dates = pd.Series([START, _day(7), _day(14)])
    x, rate = monthly_rate(dates, pd.DataFrame({"revenue_usd": [1e6, 7e6, 14e6]}), "revenue_usd")
    per_month = 365.25 / 12
    assert list(rate["revenue_usd"]) == pytest.approx(
        [per_month, per_month, 2 * per_month, 2 * per_month]
    )
    assert list(x) == [pd.Timestamp(_day(-1)), *pd.to_datetime(dates)]
    _, gpus = monthly_rate(dates, pd.DataFrame({"gpus_online": [0, 500, 2000]}), "gpus_online")
    assert list(gpus["gpus_online"]) == [0, 0.5, 2]


def test_no_runs_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no runs"):
        plot_comparison("demo", {}, tmp_path)
