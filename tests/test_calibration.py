"""Reference-class records, fitted priors, the shipped library, and forecast scoring."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.backtest import backtest
from sim.calibration.fit import POOLED, SD_FLOOR, fit_groups, fit_priors
from sim.calibration.library import shipped_text
from sim.calibration.records import SHIPPED, Record, read_records
from sim.calibration.score import Outcome, score
from sim.errors import ScenarioError
from sim.scenario.priors import LIBRARY, library

DAY0 = dt.date(2026, 1, 1)


def record(lo: float, hi: float, kind: str = "k", name: str = "r") -> Record:
    return Record(name, kind, DAY0, lo, hi, 0)


def test_a_censored_fit_recovers_known_parameters() -> None:
    # 3,000 slips from N(30d, 45d): a third exact, a third known to the month, and every
    # slip past 60 days censored ("not done 60 days after the deadline").
    rng = np.random.default_rng(11)
    slips = rng.normal(30.0, 45.0, 3000)
    records = []
    for i, x in enumerate(slips):
        if x > 60:
            records.append(record(60, math.inf))
        elif i % 2:
            lo = 30 * math.floor(x / 30)
            records.append(record(lo, lo + 30))
        else:
            records.append(record(float(x), float(x)))
    assert sum(r.censored for r in records) > 700  # a quarter of the records are censored
    centres, sd = fit_groups(records, ["k"] * len(records))
    assert centres["k"] == pytest.approx(30.0, abs=2.5)
    assert sd == pytest.approx(45.0, abs=2.5)
    # Reading the censoring dates as the actual dates would have been badly biased.
    naive = [r.lo if r.censored else (r.lo + r.hi) / 2 for r in records]
    assert np.mean(naive) < 25
    assert np.std(naive) < 37


def test_exact_records_give_the_sample_mean_and_sd() -> None:
    # -10, 0 and 40 days: mean 10, sample sd sqrt((400 + 100 + 900) / 2) = 26.458 days.
    fits = fit_priors([record(-10, -10), record(0, 0), record(40, 40)])
    assert fits["k"].mean == pytest.approx(10.0, abs=1e-4)
    assert fits["k"].sd == pytest.approx(math.sqrt(700.0), rel=1e-4)


def test_records_that_all_slip_alike_fit_a_spread_of_a_day_without_warnings() -> None:
    same = [record(31, 31, name=f"r{i}") for i in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy warned of dividing by a spread of 0
        centres, sd = fit_groups(same, ["k"] * 3)
    assert centres["k"] == pytest.approx(31.0, abs=1e-4)
    assert sd == pytest.approx(SD_FLOOR * math.sqrt(3 / 2))


def test_the_shipped_records_are_read_as_slips() -> None:
    records = read_records(SHIPPED)
    by_id = {r.id: r for r in records.dated}
    assert (by_id["apld_b1_p1"].lo, by_id["apld_b1_p1"].hi) == (-65, -65)
    assert (by_id["wulf_cb5"].lo, by_id["wulf_cb5"].hi) == (1, 90)  # "early 2027"
    assert (by_id["crwv_denton"].lo, by_id["crwv_denton"].hi) == (60, 120)
    assert by_id["orcl_abilene"].censored
    assert by_id["orcl_abilene"].lo == -92
    assert by_id["wulf_cb34"].lo == -184
    assert records.skipped == [("crwv_ye2025", "no actual date, range or censoring date")]


def test_each_prior_says_what_it_rests_on() -> None:
    priors = library()
    assert {n: (p["records"], p["pooled"]) for n, p in priors.items()} == {
        POOLED: (8, True),
        "first_phase": (2, False),
        "later_building": (3, False),
        "third_party": (2, True),  # one record with an actual range: pooled
        "grid_interconnect": (1, True),
    }
    assert priors["first_phase"]["distribution"]["normal"]["mean"] == "-51d"
    assert priors["third_party"]["distribution"] == priors[POOLED]["distribution"]


def test_the_shipped_library_is_current() -> None:
    assert LIBRARY.read_text(encoding="utf-8") == shipped_text(), (
        "regenerate it: python -m sim.calibration.library"
    )


def forecast_row(contract: str, p: float, *dates: str) -> dict[str, object]:
    due, p10, p50, p80, p90 = dates
    return {
        "contract": contract,
        "tranche": 1,
        "due": due,
        "p_on_time": p,
        "p10": p10,
        "p50": p50,
        "p80": p80,
        "p90": p90,
    }


def column(table: pd.DataFrame, name: str) -> list[object]:
    return [None if pd.isna(v) else v for v in table[name]]


def test_scores_by_hand() -> None:
    forecast = pd.DataFrame(
        [
            forecast_row(
                "a", 0.8, "2026-06-30", "2026-06-01", "2026-06-20", "2026-07-10", "2026-07-20"
            ),
            forecast_row(
                "b", 0.3, "2026-06-30", "2026-07-01", "2026-08-01", "2026-08-20", "2026-09-01"
            ),
            forecast_row(
                "c", 0.5, "2026-06-30", "2026-06-01", "2026-07-01", "2026-07-20", "2026-08-01"
            ),
            forecast_row("d", 0.5, "2026-06-30", "2026-06-01", "2026-07-01", "2026-07-20", ""),
            forecast_row(
                "e", 0.5, "2026-06-30", "2026-06-01", "2026-07-01", "2026-07-20", "2026-08-01"
            ),
        ]
    )
    d = dt.date.fromisoformat
    actuals = {
        ("a", 1): Outcome(d("2026-06-25"), d("2026-06-25")),  # on time, inside, P50 +5d
        ("b", 1): Outcome(d("2026-09-11"), d("2026-09-11")),  # late, above P90, +41d
        ("c", 1): Outcome(d("2026-07-02"), None),  # censored: late, band unsettled
        ("d", 1): Outcome(d("2026-07-01"), d("2026-07-31")),  # a range within [P10, never)
    }
    table, overall = score(forecast, actuals)
    rows = table.set_index("contract")
    assert column(rows, "inside_80") == [1, 0, None, 1, None]
    assert column(rows, "p50_error_days") == [5, 41, None, 15, None]
    assert column(rows, "on_time") == [1, 0, 0, 0, None]
    assert rows["brier"].tolist()[:4] == pytest.approx([0.04, 0.09, 0.25, 0.25])
    assert overall["coverage_80"] == pytest.approx(2 / 3)
    assert overall["band_settled"] == 3
    assert overall["mean_brier"] == pytest.approx((0.04 + 0.09 + 0.25 + 0.25) / 4)
    assert overall["with_actuals"] == 4
    assert overall["milestones"] == 5


def test_an_actual_for_no_forecast_is_an_error() -> None:
    forecast = pd.DataFrame([forecast_row("a", 0.5, *["2026-06-30"] * 5)])
    with pytest.raises(ScenarioError, match="zz tranche 1: is not in the forecast"):
        score(forecast, {("zz", 1): Outcome(DAY0, DAY0)})


def test_leave_one_out_backtest_of_the_reference_class() -> None:
    table, overall = backtest(read_records(SHIPPED).dated)
    rows = table.set_index("record")
    # Left out, first_phase keeps one record: too thin, so it is forecast from the pool.
    assert rows.loc["apld_b1_p1", "prior"] == "first_phase (pooled)"
    assert rows.loc["iren_sw1", "prior"] == POOLED
    assert column(rows, "inside_80") == [0, 1, 1, None, None, 0, 1, None]
    assert overall["coverage_80"] == pytest.approx(0.6)
    assert overall["mean_brier"] == pytest.approx(0.3193, abs=1e-4)


def test_bad_records_are_located(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "id,kind,deadline,actual,censored_after\n"
        "a,x,2026-01-31,2026-02-03,\n"
        "b,x,2026-13-01,,\n"
        "c,x,2026-01-31,2026-02-03,2026-01-01\n"
    )
    with pytest.raises(ScenarioError) as exc:
        read_records(path)
    assert [(p.line, p.path) for p in exc.value.problems] == [(3, "deadline"), (4, "actual")]


def test_the_docs_show_each_prior_as_shipped() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "calibration.md").read_text()
    for name, prior in library().items():
        fitted = prior["fitted"]
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{name}` |"))
        assert f"{fitted['mean_days']:.1f}, {fitted['sd_days']:.1f}" in row
        if not prior["pooled"] or name == POOLED:
            d = prior["distribution"]
            n = d["normal"]
            shown = (
                f"{{normal: {{mean: {n['mean']}, sd: {n['sd']}, min: {n['min']}}}, "
                f"min: {d['min']}, max: {d['max']}}}"
            )
            assert shown in row
