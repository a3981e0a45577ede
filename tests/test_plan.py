"""The plan step: a concrete scenario becomes frozen plain numbers, with its rules resolved."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

import sim
from sim.analysis.records import LEVELS
from sim.engine import build_plan
from sim.engine.realize import realize
from sim.engine.recorder import Recorder, Stages
from sim.engine.vocabulary import Level
from sim.scenario.checks import check
from sim.scenario.topology import basis_mw, due_gpus_per_unit, units_per_rack
from sim.units import to_date, to_days
from tests.helpers import STORY, scenario_from

LEASE = {
    "kind": "colocation",
    "site": "s",
    "mw_basis": "gross",
    "rent_usd_per_mw_year": 1e6,
    "term": "10y",
    "tenant_load_factor": 0.5,
    "tenant_pays_power": True,
    "tranches": [{"hall": "h", "mw": 3, "due": "2026-02-15"}],
}


def test_story_plan_is_days_from_the_start() -> None:
    # Hall starts Jan 1 (day 0), 30 days to build, 10 to commission; racks arrive Jan 21
    # (day 20), 5 days late on a slip; the contract is due Mar 1 (day 59); the run ends
    # at the end of Dec 31 (day 364).
    scenario = scenario_from(STORY, deliveries__d__slip="5d")
    plan = build_plan(realize(scenario)[0])
    (site,) = plan.sites
    (hall,) = site.halls
    assert (hall.construction_start.day, hall.construction, hall.commissioning) == (0.0, 30, 10)
    assert (hall.it_mw, hall.grid_mw, hall.basis_mw, hall.takes_racks) == (2, 3, 2, True)
    assert hall.contract is plan.contracts["c"]
    assert [(t.number, t.arrives, t.racks) for t in plan.deliveries[0].tranches] == [(1, 25, 14)]
    assert [(t.number, t.due, t.units) for t in plan.contracts["c"].tranches] == [(1, 59, 14)]
    assert plan.contracts["c"].per_rack["p"].units == 1  # a racks contract: one per rack
    assert plan.contracts["c"].per_rack["p"].gpus_per_unit == 72
    assert site.smallest_rack_kw == 100
    assert plan.horizon == 365
    with pytest.raises(dataclasses.FrozenInstanceError):
        hall.commissioning = 0.0  # type: ignore[misc]


def test_plan_takes_each_draw_of_a_replication() -> None:
    scenario = scenario_from(
        STORY, sites__s__halls__h__construction__duration={"uniform": ["20d", "40d"]}
    )
    concrete, draws = realize(scenario)
    (hall,) = build_plan(concrete).sites[0].halls
    assert hall.construction == draws["sites.s.halls.h.construction.duration"] == 30.0


def test_plan_refuses_a_scenario_with_distributions_left() -> None:
    scenario = scenario_from(
        STORY, sites__s__halls__h__construction__duration={"uniform": ["20d", "40d"]}
    )
    with pytest.raises(TypeError, match="realize it first"):
        build_plan(scenario)


def test_colocation_hall_counts_gross_mw_and_tenant_terms_in_plan_and_checks() -> None:
    scenario = scenario_from(STORY, contracts={"lease": LEASE}, deliveries={})
    (hall,) = build_plan(scenario).sites[0].halls
    assert (hall.basis_mw, hall.takes_racks) == (3, False)
    assert hall.contract is not None
    assert (hall.contract.tenant_load_factor, hall.contract.tenant_pays_power) == (0.5, True)
    assert basis_mw(scenario.contracts["lease"], scenario.sites["s"].halls["h"]) == 3
    # The checks count the same 3 gross MW: asking for 4 is 1 MW short.
    short = scenario_from(
        STORY,
        contracts={"lease": {**LEASE, "tranches": [{"hall": "h", "mw": 4, "due": "2026-03-01"}]}},
    )
    messages = [f.message for f in check(short)]
    assert any("at most 3 (short by 1)" in m for m in messages), messages


def test_one_contract_unit_in_gpus_and_racks_everywhere() -> None:
    gpus = {"racks": None, "gpus": 1008, "due": "2026-03-01"}
    scenario = scenario_from(STORY, contracts__c__tranches=[gpus])
    contract, platform = scenario.contracts["c"], scenario.platforms["p"]
    assert units_per_rack(contract, platform) == 72
    assert due_gpus_per_unit(scenario, "c") == 1
    counts = build_plan(scenario).contracts["c"].per_rack["p"]
    assert (counts.units, counts.gpus_per_unit) == (72, 1)
    # 14 racks of 72 GPUs deliver the 1,008 GPUs on Feb 27, as racks would.
    tranche = sim.run(scenario).summary["contracts"]["c"]["tranches"][0]
    assert tranche["delivered"] == "2026-02-27"


def test_a_rack_due_weighs_the_platforms_its_halls_can_take_by_their_racks() -> None:
    # 14 racks of 72 GPUs and 6 of 36 reach the liquid-cooled hall; 10 air-cooled racks of
    # 8 GPUs cannot: (14 x 72 + 6 x 36) / 20 GPUs a rack, whichever delivery is listed first.
    platforms = {
        "air": {"gpus_per_rack": 8, "it_kw_per_rack": 10, "cooling": "air"},
        "p": STORY["platforms"]["p"],
        "q": {**STORY["platforms"]["p"], "gpus_per_rack": 36},
    }
    deliveries = {
        name: {"platform": name, "site": "s", "tranches": [{"date": "2026-01-21", "racks": n}]}
        for name, n in (("air", 10), ("q", 6), ("p", 14))
    }
    scenario = scenario_from(STORY, platforms=platforms, deliveries=deliveries)
    assert due_gpus_per_unit(scenario, "c") == pytest.approx((14 * 72 + 6 * 36) / 20)


def test_stages_move_records_a_balanced_pair() -> None:
    recorder = Recorder()
    Stages(recorder, "s").move(4.0, 7, frm=Level.RACKS_WAITING, to=Level.RACKS_INSTALLING)
    assert recorder.levels == [
        (4.0, "s", Level.RACKS_WAITING, -7),
        (4.0, "s", Level.RACKS_INSTALLING, 7),
    ]


def test_levels_are_the_timeline_columns_and_a_typo_is_refused() -> None:
    assert [level.value for level in Level] == LEVELS
    with pytest.raises(ValueError, match="racks_wating"):
        Level("racks_wating")


def test_to_days_is_the_inverse_of_to_date() -> None:
    start = dt.date(2026, 1, 1)
    assert to_days(dt.date(2026, 3, 1), start) == 59.0
    assert to_days(dt.date(2025, 12, 1), start) == -31.0
    assert to_date(to_days(dt.date(2027, 2, 28), start), start) == dt.date(2027, 2, 28)
