"""Contract money in closed form, checked against hand computations."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.money import Billing, escalated_days, late_credits, prepayments
from sim.scenario.schema.contract import GpuCloudContract

START = dt.date(2026, 1, 1)


def contract(**extra: object) -> GpuCloudContract:
    base = {
        "kind": "gpu_cloud",
        "site": "s",
        "value_usd": 1000.0 * 100,
        "term": "1000d",
        "tranches": [{"racks": 10, "due": "2026-01-11"}, {"racks": 10, "due": "2026-01-21"}],
    }
    return GpuCloudContract.model_validate({**base, **extra})


@given(st.floats(0, 40 * 365.25), st.sampled_from([0.0, 0.03, 0.1]))
def test_escalated_days_equals_a_quarter_day_sum(days: float, escalator: float) -> None:
    # Anniversaries fall on multiples of 365.25 days, so every quarter day has one price.
    quarters = int(days * 4)
    midpoints = (np.arange(quarters) + 0.5) / 4
    summed = 0.25 * ((1 + escalator) ** np.floor(midpoints / 365.25)).sum()
    tail = (days - quarters / 4) * (1 + escalator) ** np.floor(quarters / 4 / 365.25)
    assert escalated_days(np.array([days]), 0.0, escalator)[0] == pytest.approx(
        summed + tail, rel=1e-9, abs=1e-6
    )


def test_late_credits_count_unit_days_behind_the_due_schedule() -> None:
    c = contract(late_credit_usd_per_unit_day=2.0)
    # Due: 10 units on day 10 and 10 more on day 20. Delivered: 10 on day 15, 10 on day 30.
    grid = np.array([10.0, 15.0, 20.0, 30.0, 40.0])
    credits = late_credits(c, START, np.array([15.0, 30.0]), np.array([10.0, 10.0]), grid)
    # 10 units x 5 days, then 10 units x 10 days: 150 unit-days at $2.
    np.testing.assert_allclose(credits, [0.0, 100.0, 100.0, 300.0, 300.0])


def test_prepayment_is_received_before_due_and_credited_over_the_rest_of_the_term() -> None:
    c = contract(prepayment=0.2, prepayment_lead="5d", prepayment_credit_after="500d")
    grid = np.array([4.0, 6.0, 16.0, 510.0, 760.0, 1010.0, 2000.0])
    received, credited = prepayments(c, START, np.array([10.0]), np.array([20.0]), 1.0, grid)
    per_unit = 0.2 * 100_000 / 20  # 20% of a unit's value over the term ($100k / 20 units)
    # Received 5 days before each due date (days 5 and 15).
    np.testing.assert_allclose(received, [0, 10, 20, 20, 20, 20, 20] * np.array(per_unit))
    # All 20 units delivered on day 10: credited back evenly from day 510 to day 1010.
    np.testing.assert_allclose(credited, [0, 0, 0, 0, 10 * per_unit, 20 * per_unit, 20 * per_unit])


def _table_cumulative(b: Billing, grid: np.ndarray) -> np.ndarray:
    """Billing.cumulative as the plain table of every increment at every grid time."""
    upper = np.minimum(grid[None, :], b.end[:, None])
    billed = (
        escalated_days(upper, b.anchor, b.escalator)
        - escalated_days(b.begin, b.anchor, b.escalator)[:, None]
    )
    billed = np.where(upper > b.begin[:, None], billed, 0.0)
    return (b.rate[:, None] * billed).sum(axis=0)  # type: ignore[no-any-return]


@given(
    st.lists(
        st.tuples(st.floats(-400, 3000), st.floats(-500, 3000), st.floats(0, 1e6)),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.floats(-100, 4000), min_size=2, max_size=60, unique=True),
    st.floats(-400, 800),
    st.sampled_from([0.0, 0.025, 0.03, 0.1]),
)
def test_cumulative_revenue_is_the_table_of_every_increment_to_the_bit(
    rows: list[tuple[float, float, float]],
    times: list[float],
    anchor: float,
    escalator: float,
) -> None:
    # Increments that end before they begin (an amendment ended the term), grid times before
    # the start, on an end or a begin: the value at a time is the multiplier's integral to
    # that time or to the end.
    begin = np.array([max(r[0], 0.0) for r in rows])
    end = begin + np.array([r[1] for r in rows])
    end[::3] = begin[::3]  # some bill for no time at all
    grid = np.sort(np.array([*times, *end[:2], *begin[:2]]))
    b = Billing(begin, end, np.array([r[2] for r in rows]), anchor, escalator, begin)
    assert np.array_equal(b.cumulative(grid), _table_cumulative(b, grid))
