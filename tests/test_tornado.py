"""Drivers in days and dollars: the tornado ranks a known dominant input first, states its
swing in days, and drops a pure-noise input by the stated rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sim.montecarlo.tornado import RULE, tornado_summary, tornado_table

START, END = dt.date(2026, 1, 1), dt.date(2030, 12, 31)


def _reps(n: int = 2000, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    build = rng.uniform(100, 200, n)  # dominant: moves delivery day for day
    lead = rng.uniform(0, 20, n)  # minor: up to 20 days
    noise = rng.uniform(0, 1, n)  # moves nothing
    days = 300 + build + lead
    delivered = pd.Timestamp(START) + pd.to_timedelta(np.floor(days), unit="D")
    return pd.DataFrame(
        {
            "input.build": build,
            "input.lead": lead,
            "input.noise": noise,
            "acme.full_delivery": delivered,
            "acme.revenue_usd": 1e9 - 1e6 * days,
            "revenue_usd": 1e9 - 1e6 * days,
        }
    )


def test_the_tornado_ranks_the_dominant_input_first_in_days() -> None:
    table = tornado_table(_reps(), START, END)
    dates = table[table["kpi"] == "acme.full_delivery"]
    assert list(dates["input"]) == ["input.build", "input.lead"]
    assert (dates["unit"] == "days").all()
    # The tails of U(100, 200) below its P10 and above its P90 centre on 105 and 195.
    assert dates["swing"].iloc[0] == pytest.approx(90, abs=8)
    assert dates["swing"].iloc[1] == pytest.approx(19, abs=6)


def test_the_tornado_drops_a_pure_noise_input_and_states_its_rule() -> None:
    table = tornado_table(_reps(), START, END)
    assert "input.noise" not in set(table["input"])
    money = table[table["kpi"] == "revenue_usd"]
    assert (money["unit"] == "usd").all()
    assert money["swing"].iloc[0] == pytest.approx(-90e6, rel=0.1)  # later build, less revenue
    summary = tornado_summary(table)
    assert summary["rule"] == RULE
    assert "sqrt(n)" in RULE
    assert summary["kpis"]["acme.full_delivery"][0]["input"] == "build"


def test_a_date_never_reached_counts_as_after_the_horizon() -> None:
    reps = _reps(500)
    late = reps["input.build"] > 190
    reps.loc[late, "acme.full_delivery"] = pd.NaT
    table = tornado_table(reps, START, END)
    top = table[table["kpi"] == "acme.full_delivery"].iloc[0]
    assert top["input"] == "input.build"
    assert top["p50_at_input_p90"] == (END - START).days + 1
