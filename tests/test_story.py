"""Story tests: tiny scenarios whose every date is computed by hand, asserted exactly."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.engine import Deterministic
from sim.engine.vocabulary import Kind, Milestone
from tests.helpers import STORY, scenario_from

D = pd.Timestamp  # the tables' dates are datetime64


Row = tuple[str, Kind, str, int | None, Milestone, float]
"""(date, kind, name, tranche, milestone, quantity): one row of the events table."""


def log(result: sim.Result) -> list[Row]:
    return [
        (
            f"{row.date:%Y-%m-%d}",
            Kind(row.kind),
            row.name,
            None if pd.isna(row.tranche) else int(row.tranche),
            Milestone(row.milestone),
            row.quantity,
        )
        for row in result.events.itertuples()
    ]


def test_story_event_log_is_exact() -> None:
    # Hall built in 30 days (Jan 31), power is there, commissioned in 10 (Feb 10). The 14
    # racks arrived Jan 21 and wait. One crew, 7 racks a week, lots of 7: installs end
    # Feb 17 and Feb 24; burn-in 3 days: accepted Feb 20 and Feb 27.
    result = sim.run(scenario_from(STORY))
    assert log(result) == [
        ("2026-01-01", Kind.GRID, "g", None, Milestone.ENERGIZED, 10.0),
        ("2026-01-01", Kind.HALL, "h", None, Milestone.CONSTRUCTION_STARTED, 2.0),
        ("2026-01-21", Kind.DELIVERY, "d", 1, Milestone.ARRIVED, 14.0),
        ("2026-01-31", Kind.HALL, "h", None, Milestone.CONSTRUCTION_COMPLETE, 2.0),
        ("2026-01-31", Kind.HALL, "h", None, Milestone.POWER_RESERVED, 3.0),
        ("2026-02-10", Kind.HALL, "h", None, Milestone.READY, 2.0),
        ("2026-02-17", Kind.HALL, "h", None, Milestone.RACKS_INSTALLED, 7.0),
        ("2026-02-20", Kind.HALL, "h", None, Milestone.RACKS_ACCEPTED, 7.0),
        ("2026-02-24", Kind.HALL, "h", None, Milestone.RACKS_INSTALLED, 7.0),
        ("2026-02-27", Kind.HALL, "h", None, Milestone.RACKS_ACCEPTED, 7.0),
        ("2026-02-27", Kind.CONTRACT, "c", 1, Milestone.DELIVERED, 14.0),
    ]


def test_story_summary_dates_slip_and_revenue() -> None:
    summary = sim.run(scenario_from(STORY)).summary
    contract = summary["contracts"]["c"]
    assert contract["tranches"][0] == {
        "tranche": 1,
        "hall": None,
        "units": 14,
        "due": "2026-03-01",
        "delivered": "2026-02-27",
        "slip_days": -2,
        "on_time": True,
        "critical_stage": "hall",  # racks waited 20 days for it, 7 for the crew
    }
    assert contract["first_delivery"] == "2026-02-20"
    assert contract["half_delivery"] == "2026-02-20"
    assert contract["full_delivery"] == "2026-02-27"
    # 7 racks x 72 GPUs x $1 x 24 h = $12,096 a day, from day 50 and from day 57, to the
    # end of Dec 31 (day 365).
    assert contract["revenue_usd"] == pytest.approx(12_096 * ((365 - 50) + (365 - 57)))
    assert summary["revenue_usd"] == pytest.approx(contract["revenue_usd"])
    # Racks waited from Jan 21 (day 20) to the install starts on days 40 and 47: 7 racks
    # for 27 days and 7 for 20 days.
    assert summary["stranded"]["rack_days_waiting"]["s"] == pytest.approx(7 * 20 + 7 * 27)


def test_story_timeline_levels_on_given_days() -> None:
    tl = sim.run(scenario_from(STORY)).timeline
    site = tl[tl["site"] == "s"].set_index("date")
    assert site.loc[D(2026, 2, 9), "ready_it_mw"] == 0
    assert site.loc[D(2026, 2, 10), "ready_it_mw"] == 2
    assert site.loc[D(2026, 2, 10), "racks_waiting"] == 7  # one lot taken by the crew
    assert site.loc[D(2026, 2, 10), "racks_installing"] == 7
    assert site.loc[D(2026, 2, 19), "racks_burn_in"] == 7
    assert site.loc[D(2026, 2, 26), "racks_online"] == 7
    assert site.loc[D(2026, 2, 27), "racks_online"] == 14
    assert site.loc[D(2026, 2, 27), "gpus_online"] == 14 * 72
    assert site.loc[D(2026, 2, 27), "ai_it_mw"] == pytest.approx(1.4)
    assert site.loc[D(2026, 2, 27), "facility_mw"] == pytest.approx(1.4 * 1.5)  # pue = 3 / 2


def test_weekly_and_monthly_rows_read_levels_at_the_end_of_their_date() -> None:
    weekly = sim.run(scenario_from(STORY, scenario__step="week")).timeline
    monthly = sim.run(scenario_from(STORY, scenario__step="month")).timeline
    week = weekly[weekly["site"] == "s"].set_index("date")
    month = monthly[monthly["site"] == "s"].set_index("date")
    assert list(month.index[:4]) == [D(2026, 1, 1), D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31)]
    assert month.loc[D(2026, 2, 28), "racks_online"] == 14
    assert week.loc[D(2026, 2, 26), "racks_online"] == 7
    assert week.index[-1] == D(2026, 12, 31)
    # Revenue is a flow: the periods add up to the same total at any step.
    assert weekly["revenue_usd"].sum() == pytest.approx(monthly["revenue_usd"].sum())


def _binding(scenario: sim.Scenario, month: str) -> str:
    return sim.run(scenario).summary["binding_constraint"]["s"][month]


def test_each_constraint_binds_in_turn() -> None:
    # Hall: racks waiting from Jan 21 while the hall is built and commissioned.
    assert _binding(scenario_from(STORY), "2026-01") == "hall"
    # Grid: the hall is built on Jan 31 but its 3 MW only arrive with a second phase.
    grid = scenario_from(
        STORY,
        sites__s__grid=[
            {"name": "g", "mw": 1, "energized": "2026-01-01"},
            {"name": "g2", "mw": 5, "after": "g", "lead_time": "90d"},
        ],
    )
    assert _binding(grid, "2026-02") == "grid"
    events = log(sim.run(grid))
    assert ("2026-04-01", Kind.HALL, "h", None, Milestone.POWER_RESERVED, 3.0) in events
    # Delivery: the hall is ready Feb 10 and the racks only come in May.
    late = scenario_from(STORY, deliveries__d__tranches=[{"date": "2026-05-01", "racks": 14}])
    assert _binding(late, "2026-03") == "delivery"
    # Crews: 140 racks waiting in a ready hall, one crew at 7 a week.
    crews = scenario_from(
        STORY,
        deliveries__d__tranches=[{"date": "2026-01-21", "racks": 20}],
        sites__s__crews={"count": 1, "racks_per_week": 1, "lot_racks": 1},
    )
    assert _binding(crews, "2026-03") == "crews"


def test_more_crews_install_in_parallel() -> None:
    two = scenario_from(STORY, sites__s__crews={"count": 2, "racks_per_week": 7, "lot_racks": 7})
    # Both lots start Feb 10, end Feb 17, accepted Feb 20.
    assert sim.run(two).summary["contracts"]["c"]["full_delivery"] == "2026-02-20"


def test_halls_fill_in_order_of_readiness_and_respect_space() -> None:
    # A 1 MW hall holds 10 racks of 100 kW; the other 4 go to a second hall, ready later.
    halls = {
        "h": {
            "it_mw": 1,
            "gross_mw": 1.5,
            "construction": {"start": "2026-01-01", "duration": "30d"},
            "commissioning": "10d",
        },
        "h2": {
            "it_mw": 1,
            "gross_mw": 1.5,
            "construction": {"after": "h", "lag": "0d", "duration": "30d"},
            "commissioning": "10d",
        },
    }
    crews = {"count": 3, "racks_per_week": 7, "lot_racks": 7}
    result = sim.run(scenario_from(STORY, sites__s__halls=halls, sites__s__crews=crews))
    installed = Milestone.RACKS_INSTALLED
    installs = [(d, n, q) for d, _, n, _, m, q in log(result) if m == installed]
    # h ready Feb 10: a lot of 7 and a lot of 3 (it is full); h2 ready Mar 12: the last 4.
    assert installs == [
        ("2026-02-13", "h", 3.0),
        ("2026-02-17", "h", 7.0),
        ("2026-03-16", "h2", 4.0),
    ]


def test_fallout_goes_to_rework_and_comes_back() -> None:
    platform = {
        "gpus_per_rack": 72,
        "it_kw_per_rack": 100,
        "burn_in": "3d",
        "fallout": 0.25,
        "rework": "10d",
    }
    result = sim.run(scenario_from(STORY, platforms__p=platform))
    events = log(result)
    # 7 x 0.25 = 1.75: one rack fails in the first lot, carrying 0.75; 1.75 + 0.75 = 2.5:
    # two fail in the second.
    assert ("2026-02-20", Kind.HALL, "h", None, Milestone.BURN_IN_FALLOUT, 1.0) in events
    assert ("2026-02-20", Kind.HALL, "h", None, Milestone.RACKS_ACCEPTED, 6.0) in events
    assert ("2026-02-27", Kind.HALL, "h", None, Milestone.BURN_IN_FALLOUT, 2.0) in events
    assert ("2026-03-02", Kind.HALL, "h", None, Milestone.REWORK_ACCEPTED, 1.0) in events
    assert ("2026-03-09", Kind.HALL, "h", None, Milestone.REWORK_ACCEPTED, 2.0) in events
    assert result.summary["contracts"]["c"]["full_delivery"] == "2026-03-09"


def test_deterministic_fallout_spreads_whole_racks_exactly() -> None:
    sampler = Deterministic()
    counts = [sampler.fallout("k", 8, 0.02) for _ in range(100)]
    assert sum(counts) == 16  # 800 racks x 2%
    assert set(counts) <= {0, 1}


def test_failures_take_the_expected_share_of_racks_offline() -> None:
    # 3 failures a rack-year, 73.05 days each: down 0.6 of the time per up-time, so the
    # offline share is 0.6 / 1.6.
    platform = {
        "gpus_per_rack": 72,
        "it_kw_per_rack": 100,
        "failures_per_rack_year": 3,
        "repair": "73.05d",
    }
    tl = sim.run(scenario_from(STORY, platforms__p=platform)).timeline
    end = tl[tl["site"] == "s"].iloc[-1]
    assert end["racks_installed"] == 14
    assert end["racks_in_repair"] == pytest.approx(14 * 0.6 / 1.6)
    assert end["racks_online"] == pytest.approx(14 / 1.6)
    assert end["gpus_online"] == pytest.approx(72 * 14 / 1.6)


def test_mining_yields_power_to_halls_and_is_decommissioned_for_good() -> None:
    site = scenario_from(
        STORY,
        sites__s__mining={"mw": 9, "j_per_th": 15, "pue": 1.0, "hashprice_usd_per_ph_day": 40},
    )
    result = sim.run(site)
    tl = result.timeline[result.timeline["site"] == "s"].set_index("date")
    assert tl.loc[D(2026, 1, 30), "mining_mw"] == 9
    # The hall reserves 3 of the 10 MW on Jan 31: mining drops to 7 MW and stays there.
    assert tl.loc[D(2026, 1, 31), "mining_mw"] == 7
    assert ("2026-01-31", Kind.MINING, "s", None, Milestone.DECOMMISSIONED, 2.0) in log(result)
    assert tl["mining_mw"].iloc[-1] == 7
    assert (tl["facility_mw"] <= tl["grid_mw"] + 1e-9).all()


def test_colocation_hands_over_hall_mw_and_bills_rent_from_rent_start() -> None:
    lease = {
        "kind": "colocation",
        "site": "s",
        "mw_basis": "gross",
        "rent_usd_per_mw_year": 365.25e3,
        "rent_start": "2026-03-01",
        "term": "10y",
        "escalator": 0.0,
        "tranches": [{"hall": "h", "mw": 3, "due": "2026-02-15"}],
    }
    scenario = scenario_from(STORY, contracts={"lease": lease}, deliveries={})
    result = sim.run(scenario)
    assert ("2026-02-10", Kind.HALL, "h", None, Milestone.HANDED_OVER, 3.0) in log(result)
    c = result.summary["contracts"]["lease"]
    assert c["unit"] == "mw_gross"
    assert c["tranches"][0]["slip_days"] == -5
    # $1,000 per MW-day on 3 MW from Mar 1 (day 59) to the end of Dec 31 (day 365).
    assert c["revenue_usd"] == pytest.approx(3 * 1000 * (365 - 59))


def test_colocation_escalator_steps_on_the_anniversary() -> None:
    lease = {
        "kind": "colocation",
        "site": "s",
        "rent_usd_per_mw_year": 365.25e3,
        "rent_start": "2026-02-10",
        "term": "10y",
        "escalator": 0.10,
        "tranches": [{"hall": "h", "mw": 2, "due": "2026-02-15"}],
    }
    scenario = scenario_from(
        STORY, contracts={"lease": lease}, deliveries={}, scenario__end="2027-12-31"
    )
    contracts = sim.run(scenario).contracts
    daily = contracts.set_index("date")["revenue_usd"]
    # Day rows: $2,000 a day in the first year, $2,200 after the anniversary.
    assert daily[D(2026, 6, 1)] == pytest.approx(2000.0)
    assert daily[D(2027, 6, 1)] == pytest.approx(2200.0)


def test_value_over_term_bills_the_contract_value_at_full_delivery() -> None:
    contract = dict(STORY["contracts"]["c"])
    contract.pop("price_usd_per_gpu_hour")
    contract.update(value_usd=14 * 365.25, term="1y")  # $1 per rack-day
    scenario = scenario_from(STORY, contracts={"c": contract}, scenario__end="2027-12-31")
    assert sim.run(scenario).summary["revenue_usd"] == pytest.approx(14 * 365.25)


def test_space_too_small_for_a_rack_is_not_room_for_crews() -> None:
    # 150 kW racks: a 1 MW hall takes 6 (900 kW) and strands 100 kW. The other 8 racks wait
    # for the second hall, so the hall, not the crews, binds while they wait.
    halls = {
        "h": {
            "it_mw": 1,
            "gross_mw": 1.5,
            "construction": {"start": "2026-01-01", "duration": "30d"},
            "commissioning": "10d",
        },
        "h2": {
            "it_mw": 2,
            "gross_mw": 3,
            "construction": {"start": "2026-01-01", "duration": "120d"},
            "commissioning": "10d",
        },
    }
    platform = {"gpus_per_rack": 72, "it_kw_per_rack": 150}
    result = sim.run(scenario_from(STORY, sites__s__halls=halls, platforms__p=platform))
    site = result.timeline[result.timeline["site"] == "s"].set_index("date")
    assert site.loc[D(2026, 3, 1), "racks_waiting"] == 8
    assert site.loc[D(2026, 3, 1), "rack_space_kw"] == 0  # 100 kW left, but no rack fits
    assert result.summary["binding_constraint"]["s"]["2026-03"] == "hall"
