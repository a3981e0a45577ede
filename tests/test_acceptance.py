"""Customer acceptance: units ready wait for the customer (per lot, tranche or hall) and are
accepted after the acceptance duration; only accepted units bill and count as online.

The story's racks are through burn-in on Feb 20 (7) and Feb 27 (7); the hall holds 20 racks
of the 14 delivered, so it is whole when the last delivered rack is ready.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import sim
from tests.helpers import STORY, scenario_from

D = dt.date


def log(result: sim.Result, since: str = "2026-02-15") -> list[tuple[str, str, str, float]]:
    return [
        (f"{e.date:%Y-%m-%d}", e.name, e.milestone, e.quantity)
        for e in result.events.itertuples()
        if f"{e.date:%Y-%m-%d}" >= since
    ]


def site_on(result: sim.Result, date: dt.date) -> dict[str, float]:
    rows = result.timeline[result.timeline.site == "s"].set_index("date")
    return rows.loc[pd.Timestamp(date)].to_dict()


def test_each_lot_is_accepted_after_the_duration_and_bills_from_then() -> None:
    result = sim.run(scenario_from(STORY, contracts__c__acceptance={"duration": "5d"}))
    assert log(result) == [
        ("2026-02-17", "h", "racks_installed", 7.0),
        ("2026-02-20", "h", "racks_ready", 7.0),
        ("2026-02-24", "h", "racks_installed", 7.0),
        ("2026-02-25", "h", "racks_accepted", 7.0),
        ("2026-02-27", "h", "racks_ready", 7.0),
        ("2026-03-04", "h", "racks_accepted", 7.0),
        ("2026-03-04", "c", "delivered", 14.0),
    ]
    feb_28 = site_on(result, D(2026, 2, 28))
    # 7 racks accepted (504 GPUs) bill $1/GPU-hour: $12,096 that day; 7 more wait.
    assert (feb_28["racks_online"], feb_28["gpus_online"], feb_28["revenue_usd"]) == (
        7.0,
        504.0,
        12096.0,
    )
    assert feb_28["racks_awaiting_acceptance"] == 7.0


@pytest.mark.parametrize("per", ["tranche", "hall"])
def test_a_whole_tranche_or_hall_is_accepted_at_once(per: str) -> None:
    # Both lots wait for the last (Feb 27), then 5 days: all 14 accepted on Mar 4; nothing
    # online and nothing billed before.
    result = sim.run(scenario_from(STORY, contracts__c__acceptance={"duration": "5d", "per": per}))
    assert log(result, "2026-02-27") == [
        ("2026-02-27", "h", "racks_ready", 7.0),
        ("2026-03-04", "h", "racks_accepted", 7.0),
        ("2026-03-04", "h", "racks_accepted", 7.0),
        ("2026-03-04", "c", "delivered", 14.0),
    ]
    mar_3, mar_4 = site_on(result, D(2026, 3, 3)), site_on(result, D(2026, 3, 4))
    assert (mar_3["gpus_online"], mar_3["revenue_usd"], mar_3["racks_awaiting_acceptance"]) == (
        0.0,
        0.0,
        14.0,
    )
    assert (mar_4["gpus_online"], mar_4["racks_awaiting_acceptance"]) == (1008.0, 0.0)
    assert result.summary["contracts"]["c"]["tranches"][0]["delivered"] == "2026-03-04"


def test_a_colocation_hall_is_billed_from_the_tenants_acceptance() -> None:
    colo = {
        **STORY,
        "deliveries": {},
        "platforms": {},
        "contracts": {
            "t": {
                "kind": "colocation",
                "site": "s",
                "rent_usd_per_mw_year": 365.25e3,  # $1,000 per MW-day
                "term": "1y",
                "acceptance": {"duration": "14d", "per": "hall"},
                "tranches": [{"hall": "h", "mw": 2, "due": "2026-03-01"}],
            }
        },
    }
    colo["sites"] = {"s": {k: v for k, v in STORY["sites"]["s"].items() if k != "crews"}}
    result = sim.run(scenario_from(colo))
    # Ready and handed over Feb 10; accepted 14 days later, Feb 24: rent from then.
    assert ("2026-02-10", "h", "handed_over", 2.0) in log(result, "2026-02-01")
    assert ("2026-02-24", "t", "delivered", 2.0) in log(result, "2026-02-01")
    assert site_on(result, D(2026, 2, 23))["revenue_usd"] == 0.0
    assert site_on(result, D(2026, 2, 23))["colo_awaiting_acceptance_mw"] == 2.0
    assert site_on(result, D(2026, 2, 24))["revenue_usd"] == 2000.0  # 2 MW x $1,000/MW-day


def test_ready_units_are_not_accepted_before_the_data_date() -> None:
    # Racks installed Feb 17 and 24 would be ready Feb 20 and 27 and, with a 2-day acceptance,
    # accepted Feb 22 and Mar 1. A status of Mar 1 records the installations but neither
    # readiness nor acceptance: both happen at or after the data date, so ready Mar 1 and
    # accepted 2 days later, Mar 3.
    built = {"started": "2026-01-01", "finished": "2026-01-31"}
    status = {
        "as_of": "2026-03-01",
        "sites": {
            "s": {
                "halls": {
                    "h": {
                        "construction": built,
                        "ready": {"date": "2026-02-10"},
                        "installed": [
                            {"date": "2026-02-17", "racks": 7},
                            {"date": "2026-02-24", "racks": 7},
                        ],
                    }
                }
            }
        },
        "deliveries": {"d": {"arrived": [{"date": "2026-01-21", "racks": 14}]}},
    }
    result = sim.run(
        scenario_from(STORY, contracts__c__acceptance={"duration": "2d"}, status=status)
    )
    assert log(result, "2026-02-25") == [
        ("2026-03-01", "h", "racks_ready", 7.0),
        ("2026-03-01", "h", "racks_ready", 7.0),
        ("2026-03-03", "h", "racks_accepted", 7.0),
        ("2026-03-03", "h", "racks_accepted", 7.0),
        ("2026-03-03", "c", "delivered", 14.0),
    ]


def test_without_acceptance_the_timeline_keeps_its_columns() -> None:
    assert "racks_awaiting_acceptance" not in sim.run(scenario_from(STORY)).timeline.columns
