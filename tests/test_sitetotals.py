"""Per-site totals of a timeline (the summary's peaks and money) read as arrays: the same
answers as a groupby over the table, site by site, whether or not each site's rows are
together, with ties (the first row wins) and missing values."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.sitetotals import MONEY, money_totals, peaks, usd

START = dt.date(2026, 1, 1)


def groupby_peaks(timeline: pd.DataFrame, column: str) -> dict[str, Any]:
    """The summary's peaks as they were computed, group by group."""
    out = {}
    for site, rows in timeline.groupby("site", sort=False):
        i = rows[column].to_numpy().argmax()
        out[str(site)] = {
            "mw": float(rows[column].iloc[i]),
            "date": rows["date"].iloc[i].isoformat(),
        }
    return out


@st.composite
def timelines(draw: st.DrawFn) -> pd.DataFrame:
    sites = draw(
        st.lists(st.sampled_from(["a", "b", "c", "all"]), min_size=1, max_size=4, unique=True)
    )
    n = draw(st.integers(1, 6))
    value = st.one_of(st.sampled_from([0.0, 1.5, 1.5, 2.0]), st.floats(-1e6, 1e6))
    if draw(st.booleans()):
        value = st.one_of(value, st.just(float("nan")))
    rows = [(s, START + dt.timedelta(days=7 * k)) for s in sites for k in range(n)]
    if draw(st.booleans()):  # each site's rows not together
        rows = draw(st.permutations(rows))
    frame = pd.DataFrame(rows, columns=["site", "date"])
    for column in [*MONEY.values(), "cash_usd", "facility_mw"]:
        frame[column] = draw(st.lists(value, min_size=len(rows), max_size=len(rows)))
    frame["site"] = frame["site"].astype("str")
    return frame


@given(timelines())
def test_peaks_are_each_sites_first_maximum(timeline: pd.DataFrame) -> None:
    def shown(found: dict[str, Any]) -> dict[str, tuple[str, str]]:  # NaN equal to NaN
        return {site: (repr(p["mw"]), p["date"]) for site, p in found.items()}

    got, expected = peaks(timeline, "facility_mw"), groupby_peaks(timeline, "facility_mw")
    assert list(got) == list(expected)
    assert shown(got) == shown(expected)


@given(timelines())
def test_money_totals_are_the_groupby_sums(timeline: pd.DataFrame) -> None:
    sums = timeline.groupby("site", sort=False)[list(MONEY.values())].sum()
    cash = timeline.groupby("site", sort=False)["cash_usd"].last()
    expected = {
        str(site): {
            **{key: usd(sums.loc[site, column]) for key, column in MONEY.items()},
            "cash_usd": float(cash[site]),
        }
        for site in sums.index
    }
    got = money_totals(timeline)
    assert list(got) == list(expected)
    for site, values in expected.items():  # NaN == NaN here
        assert np.array_equal(list(got[site].values()), list(values.values()), equal_nan=True)
        assert list(got[site]) == list(values)


def test_a_hand_made_timeline() -> None:
    timeline = pd.DataFrame(
        {
            "site": pd.array(["x", "x", "x", "y", "y"], dtype="str"),
            "date": [START + dt.timedelta(days=d) for d in (0, 7, 14, 0, 7)],
            "facility_mw": [1.0, 3.0, 3.0, 2.0, 0.5],
        }
    )
    assert peaks(timeline, "facility_mw") == {
        "x": {"mw": 3.0, "date": "2026-01-08"},  # the first of two equal peaks
        "y": {"mw": 2.0, "date": "2026-01-01"},
    }
