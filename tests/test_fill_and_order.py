"""Which units fill which tranche, and results that must not depend on the order of lines in
the file (tranches, halls, deliveries), asserted on hand-computed story scenarios."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
import pytest

import sim
from tests.helpers import STORY, scenario_from


def two_halls() -> dict[str, Any]:
    """STORY with hall `a` (room for 7 racks, ready Feb 10) and hall `b` (room for 7 racks,
    built from Jun 1: ready Jul 11); the contract's tranche in hall `b` is due first."""
    data = copy.deepcopy(STORY)
    halls = data["sites"]["s"]["halls"]
    halls["a"] = {**halls.pop("h"), "it_mw": 0.7}
    halls["b"] = {
        "it_mw": 0.7,
        "gross_mw": 1,
        "construction": {"start": "2026-06-01", "duration": "30d"},
        "commissioning": "10d",
    }
    data["contracts"]["c"]["tranches"] = [
        {"racks": 7, "due": "2026-03-01", "hall": "a"},
        {"racks": 7, "due": "2026-02-25", "hall": "b"},
    ]
    return data


def test_a_tranche_that_names_a_hall_fills_only_from_that_hall() -> None:
    # Hall a: 7 racks installed Feb 10-17, burn-in 3 days: accepted Feb 20. Hall b: ready
    # Jul 11, installed by Jul 18, accepted Jul 21. Filling in due-date order regardless of
    # hall would have reported hall b's tranche delivered Feb 20, before hall b was built.
    result = sim.run(scenario_from(two_halls()))
    contract = result.summary["contracts"]["c"]
    a, b = contract["tranches"]
    fields = ("hall", "delivered", "slip_days", "on_time")
    assert [a[f] for f in fields] == ["a", "2026-02-20", -9, True]
    assert [b[f] for f in fields] == ["b", "2026-07-21", 146, False]
    assert contract["full_delivery"] == "2026-07-21"
    events = [
        (f"{r.date:%Y-%m-%d}", r.kind, r.name, r.tranche, r.milestone)
        for r in result.events.itertuples()
    ]
    assert ("2026-07-11", "hall", "b", pd.NA, "ready") in events
    assert ("2026-02-20", "contract", "c", 1, "delivered") in events
    assert ("2026-07-21", "contract", "c", 2, "delivered") in events
    assert result.summary["kpis"]["c.tranche_2.delivered"] == 201  # Jul 21 is day 201


def test_a_hall_surplus_does_not_make_up_for_another_hall() -> None:
    # Hall a has room for 14 racks and takes all 14; hall b's tranche gets none of them.
    data = two_halls()
    data["sites"]["s"]["halls"]["a"]["it_mw"] = 2
    contract = sim.run(scenario_from(data)).summary["contracts"]["c"]
    assert contract["units_delivered"] == 7
    assert contract["tranches"][0]["delivered"] == "2026-02-20"
    assert contract["tranches"][1]["delivered"] is None
    assert contract["full_delivery"] is None
    # Revenue bills the 7 counted racks only: 7 x 72 GPUs x $1 x 24 h from day 50.
    assert contract["revenue_usd"] == pytest.approx(12_096 * (365 - 50))


def test_tranches_that_name_no_hall_take_what_the_named_ones_leave() -> None:
    # Hall a accepts 7 racks on Feb 20: 5 fill its own tranche, 2 the unnamed one.
    data = two_halls()
    data["contracts"]["c"]["tranches"] = [
        {"racks": 5, "due": "2026-03-01", "hall": "a"},
        {"racks": 2, "due": "2026-02-25"},
    ]
    data["deliveries"]["d"]["tranches"][0]["racks"] = 7
    contract = sim.run(scenario_from(data)).summary["contracts"]["c"]
    assert [t["delivered"] for t in contract["tranches"]] == ["2026-02-20", "2026-02-20"]


def early_tranches(order: list[int]) -> dict[str, Any]:
    """STORY with two tranches dated before the start (Dec 1: 11 racks, Dec 20: 3 racks),
    listed in ``order``; the contract wants 3 racks by Feb 20 and 11 more by Mar 15."""
    data = copy.deepcopy(STORY)
    lines = [{"date": "2025-12-01", "racks": 11}, {"date": "2025-12-20", "racks": 3}]
    data["deliveries"]["d"]["tranches"] = [lines[i] for i in order]
    data["contracts"]["c"]["tranches"] = [
        {"racks": 3, "due": "2026-02-20"},
        {"racks": 11, "due": "2026-03-15"},
    ]
    return data


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_tranches_dated_before_the_start_queue_by_date_not_by_line(order: list[int]) -> None:
    # Both wait at the start; the Dec 1 lot (11 racks) is first in the queue whatever the
    # line order. Hall ready Feb 10 (day 40); jobs of 7, 4, 3 racks end days 47, 51, 54;
    # accepted 3 days later: days 50, 54, 57. The 3-rack tranche fills on day 50 (Feb 20).
    # In file order the 3-rack lot went first: accepted day 46, four days earlier.
    contract = sim.run(scenario_from(early_tranches(order))).summary["contracts"]["c"]
    assert [t["delivered"] for t in contract["tranches"]] == ["2026-02-20", "2026-02-27"]


def without_results_order(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in summary.items() if k != "scenario"}


def reordered(data: dict[str, Any], *paths: str) -> dict[str, Any]:
    """``data`` with the mapping (or list) at each dotted path in reverse order."""
    out = copy.deepcopy(data)
    for path in paths:
        *parents, last = path.split(".")
        node = out
        for part in parents:
            node = node[part]
        value = node[last]
        node[last] = value[::-1] if isinstance(value, list) else dict(reversed(value.items()))
    return out


def rival_halls() -> dict[str, Any]:
    """Two identical halls ready the same day, each serving its own contract, and two
    deliveries arriving the same day: who goes first must not be the file's line order."""
    data = copy.deepcopy(STORY)
    halls = data["sites"]["s"]["halls"]
    halls["x"] = {**halls.pop("h"), "it_mw": 0.7}
    halls["y"] = copy.deepcopy(halls["x"])
    data["platforms"]["q"] = {**data["platforms"]["p"], "gpus_per_rack": 36}
    data["deliveries"] = {
        "d": {"platform": "p", "site": "s", "tranches": [{"date": "2026-01-21", "racks": 7}]},
        "e": {"platform": "q", "site": "s", "tranches": [{"date": "2026-01-21", "racks": 7}]},
    }
    data["contracts"] = {
        name: {
            "kind": "gpu_cloud",
            "site": "s",
            "price_usd_per_gpu_hour": 1.0,
            "term": "1y",
            "tranches": [{"racks": 7, "due": "2026-03-01", "hall": hall}],
        }
        for name, hall in (("cx", "x"), ("cy", "y"))
    }
    return data


@pytest.mark.parametrize(
    "paths",
    [["sites.s.halls"], ["deliveries"], ["contracts"], ["sites.s.halls", "deliveries"]],
)
def test_results_do_not_depend_on_the_order_of_halls_deliveries_or_contracts(
    paths: list[str],
) -> None:
    base = sim.run(scenario_from(rival_halls()))
    swapped = sim.run(scenario_from(reordered(rival_halls(), *paths)))
    # Ties go by name: hall x and delivery d first. Lot d (7 racks) installs Feb 10-17 in x,
    # accepted Feb 20; lot e installs Feb 17-24 in y, accepted Feb 27.
    for result in (base, swapped):
        cx, cy = (result.summary["contracts"][c] for c in ("cx", "cy"))
        assert (cx["full_delivery"], cy["full_delivery"]) == ("2026-02-20", "2026-02-27")
        assert (cx["revenue_usd"], cy["revenue_usd"]) == pytest.approx(
            (7 * 72 * 24 * (365 - 50), 7 * 36 * 24 * (365 - 57))
        )
    for key in ("contracts", "kpis"):
        a, b = base.summary[key], swapped.summary[key]
        assert {k: a[k] for k in sorted(a)} == {k: b[k] for k in sorted(b)}
    assert base.summary["money"] == swapped.summary["money"]
