"""Monte Carlo plots: built from synthetic tables, one PNG per figure, no pyplot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.outputs.plots.bands import monte_carlo_jobs
from sim.outputs.plots.drawing import chart_paths, draw_all

PNG = b"\x89PNG\r\n\x1a\n"
START = dt.date(2026, 1, 5)
DATES = [START + dt.timedelta(weeks=w) for w in range(20)]
SITES = ["childress", "sweetwater", "all"]
CONTRACTS = ["aws", "msft"]
N = 50


def plot_monte_carlo(*args: Any) -> list[Path]:
    """Draw a study's charts (`monte_carlo_jobs`) and return their paths."""
    jobs = monte_carlo_jobs(*args)
    draw_all(jobs)
    return chart_paths(jobs)


def _percentiles() -> pd.DataFrame:
    rows = []
    for s, site in enumerate(SITES):
        scale = 3.0 if site == "all" else 1.0 + s
        for w, date in enumerate(DATES):
            ramp = min(1.0, w / 12)
            values = {
                "grid_mw": 100 * scale * min(1.0, 0.5 + w / 10),
                "ready_it_mw": 60 * scale * ramp,
                "ai_it_mw": 40 * scale * max(0.0, ramp - 0.2),
                # the second site hosts no GPUs: its panel says so
                "gpus_online": 0.0 if site == "sweetwater" else 20_000 * scale * ramp,
                "revenue_usd": 7 * 2e6 * scale * max(0.0, ramp - 0.3),
                "facility_mw": 80 * scale * ramp,  # not drawn
            }
            for metric, p50 in values.items():
                rows.append(
                    {
                        "date": date,
                        "site": site,
                        "metric": metric,
                        "p10": 0.8 * p50,
                        "p50": p50,
                        "p90": 1.2 * p50,
                        "mean": p50,
                    }
                )
    return pd.DataFrame(rows)


def _replications() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"replication": np.arange(N), "seed": 1000 + np.arange(N)})
    for c, centre in zip(CONTRACTS, (70, 110), strict=True):
        days = rng.normal(centre, 12, N)
        full = pd.Series(pd.Timestamp(START) + pd.to_timedelta(days.round(), unit="D"))
        full[days > centre + 12] = pd.NaT  # never fully delivered within the horizon
        table[f"{c}.full_delivery"] = full
        table[f"{c}.revenue_usd"] = rng.normal(5e7, 1e7, N)
        for k in (1, 2):
            delivered = full - pd.Timedelta(days=30 * (2 - k))
            table[f"{c}.tranche_{k}.delivered"] = delivered
            table[f"{c}.tranche_{k}.slip_days"] = (days - centre).clip(min=0)
    for kpi in (
        "revenue_usd",
        "gpu_months",
        "peak_facility_mw",
        "idle_mw_days",
        "rack_days_waiting",
        "cash_usd",
    ):
        table[kpi] = rng.normal(1e6, 1e5, N)
    table["input.sites.childress.halls.horizon_3.construction.duration"] = rng.random(N)
    table["input.deliveries.gb200.tranches.1.date"] = rng.random(N)
    table["input.grid.delay"] = rng.random(N)
    return table


def _on_time() -> pd.DataFrame:
    rows = []
    for c, due in zip(CONTRACTS, (60, 100), strict=True):
        for k in (1, 2):
            when = START + dt.timedelta(days=due - 30 * (2 - k))
            rows.append(
                {
                    "contract": c,
                    "tranche": k,
                    "due": when,
                    "p_on_time": 0.4,
                    "p10": when,
                    "p50": when + dt.timedelta(days=10),
                    "p90": None,
                }
            )
    return pd.DataFrame(rows)


def _drivers() -> pd.DataFrame:
    inputs = [
        "input.sites.childress.halls.horizon_3.construction.duration",
        "input.sites.sweetwater.halls.horizon_3.construction.duration",  # same last 3 parts
        "input.grid.delay",
    ]
    rows = []
    for kpi, rho in (
        ("aws.full_delivery", (0.71, -0.35, 0.08)),
        ("msft.full_delivery", (0.12, 0.64, -0.5)),
        ("revenue_usd", (-0.66, -0.2, 0.03)),
    ):
        rows += [{"kpi": kpi, "input": i, "spearman": r} for i, r in zip(inputs, rho, strict=True)]
    return pd.DataFrame(rows)


EXPECTED = {
    "bands_childress.png",
    "bands_sweetwater.png",
    "bands_portfolio.png",
    "full_delivery_cdf.png",
    "drivers.png",
}


def _check(paths: list[Path], folder: Path) -> None:
    assert {p.name for p in paths} == EXPECTED
    assert {p.name for p in folder.iterdir()} == EXPECTED
    assert all(p.parent == folder for p in paths)
    for png in paths:
        assert png.read_bytes()[:8] == PNG
        assert png.stat().st_size > 5_000  # a drawn chart, not an empty canvas


def test_monte_carlo_plots_are_written(tmp_path: Path) -> None:
    folder = tmp_path / "plots"
    paths = plot_monte_carlo(
        "demo", _percentiles(), _replications(), _on_time(), _drivers(), folder
    )
    _check(paths, folder)


def test_empty_drivers_still_write_a_drivers_figure(tmp_path: Path) -> None:
    empty = pd.DataFrame({"kpi": [], "input": [], "spearman": []})
    paths = plot_monte_carlo("demo", _percentiles(), _replications(), _on_time(), empty, tmp_path)
    _check(paths, tmp_path)


def test_contract_never_delivered_keeps_its_cdf_flat(tmp_path: Path) -> None:
    from sim.outputs.plots.bands import cdf_steps

    replications = _replications()
    replications["msft.full_delivery"] = pd.NaT
    paths = plot_monte_carlo("demo", _percentiles(), replications, _on_time(), _drivers(), tmp_path)
    _check(paths, tmp_path)
    lo, hi = pd.Timestamp("2026-01-01"), pd.Timestamp("2027-01-01")
    never = pd.to_datetime(replications["msft.full_delivery"]).dropna()
    x, y = cdf_steps(never, len(replications), lo, hi)
    assert (x, y) == ([lo, hi], [0.0, 0.0])  # flat at zero across the whole axis
    some = pd.Series(pd.to_datetime(["2026-03-01", "2026-05-01"]))
    x, y = cdf_steps(some, 4, lo, hi)
    assert x == [lo, *some, hi]
    assert y == [0.0, 0.25, 0.5, 0.5]  # rises per completion, then flat at the share done


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (["input.sites.a.halls.h3.construction.duration"], ["h3.construction.duration"]),
        (["input.grid.delay"], ["grid.delay"]),
        (
            ["input.sites.a.halls.h.duration", "input.sites.b.halls.h.duration"],
            ["a.halls.h.duration", "b.halls.h.duration"],
        ),
    ],
)
def test_input_labels_are_short_but_unambiguous(inputs: list[str], expected: list[str]) -> None:
    from sim.outputs.plots.bands import short_labels

    assert short_labels(inputs) == expected


def test_above_twenty_sites_only_the_portfolio_bands_are_drawn(tmp_path: Path) -> None:
    from sim.outputs.plots.run import MAX_SITE_PLOTS

    one = _percentiles()
    site = one[one["site"] == "childress"]
    portfolio = one[one["site"] == "all"]

    def bands(sites: int) -> list[str]:
        many = [site.assign(site=f"s{i:02d}") for i in range(sites)]
        table = pd.concat([*many, portfolio], ignore_index=True)
        folder = tmp_path / str(sites)
        paths = plot_monte_carlo("demo", table, _replications(), _on_time(), _drivers(), folder)
        return sorted(p.name for p in paths if p.name.startswith("bands_"))

    assert bands(MAX_SITE_PLOTS) == sorted(
        [*(f"bands_s{i:02d}.png" for i in range(MAX_SITE_PLOTS)), "bands_portfolio.png"]
    )
    assert bands(MAX_SITE_PLOTS + 1) == ["bands_portfolio.png"]
