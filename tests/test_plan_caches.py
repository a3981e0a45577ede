"""A plan built from parts kept across replications (`sim.engine.buildplan`), with a status
applied from records kept per status (`sim.engine.status`), is the plan built from scratch:
for every shipped scenario and generated ones, replication after replication, with other
scenarios realized in between, and for scenarios that share objects but not the inputs a
part reads (another start date, other platforms)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.engine import Plan, apply_status, build_plan
from sim.engine.buildplan import KEPT
from sim.engine.realize import Streams, realize
from sim.scenario.schema import Scenario
from sim.scenario.topology import topology
from tests.helpers import SCENARIOS
from tests.strategies import scenarios

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def assert_plans_from_scratch(concrete: Scenario) -> Plan:
    """The cached plan (and with the status applied) equals the one built from scratch, by
    value and by `repr` (the sign of a zero, an int against a float)."""
    kept, fresh = build_plan(concrete), build_plan(concrete, cached=False)
    assert kept == fresh
    assert repr(kept) == repr(fresh)
    kept, fresh = apply_status(kept, concrete), apply_status(fresh, concrete, cached=False)
    assert kept == fresh
    assert repr(kept) == repr(fresh)
    return kept


def test_every_shipped_scenario_plans_as_from_scratch_with_others_in_between() -> None:
    loaded = [sim.load(path) for path in SHIPPED]
    for index in range(4):
        for scenario in loaded:  # each replication follows the other scenarios' replications
            assert_plans_from_scratch(realize(scenario, Streams(11, index))[0])
            assert_plans_from_scratch(realize(scenario)[0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), other=scenarios(), seed=st.integers(0, 2**64))
def test_generated_scenarios_plan_as_from_scratch(
    data: dict[str, Any], other: dict[str, Any], seed: int
) -> None:
    scenario, between = Scenario.model_validate(data), Scenario.model_validate(other)
    for index in range(3):
        assert_plans_from_scratch(realize(scenario, Streams(seed, index))[0])
        assert_plans_from_scratch(realize(between, Streams(seed, index))[0])
    assert_plans_from_scratch(realize(scenario)[0])


def test_a_replication_rebuilds_only_the_parts_that_read_a_drawn_value() -> None:
    scenario = sim.load(SCENARIOS / "portfolio.yaml")
    first = build_plan(realize(scenario, Streams(3, 0))[0])
    second = build_plan(realize(scenario, Streams(3, 1))[0])
    # no contract holds a drawn value: the same plan objects in both replications
    assert all(first.contracts[n] is second.contracts[n] for n in first.contracts)
    sites = {s.name: s for s in first.sites}
    for site in second.sites:
        for a, b in zip(sites[site.name].grid, site.grid, strict=True):
            drawn = site.name in ("barber_lake", "colchis")  # their one phase's delay
            assert (a is b) is not drawn, (site.name, a.name)
        # every hall's construction slip is drawn: each hall is built again
        assert all(a is not b for a, b in zip(sites[site.name].halls, site.halls, strict=True))
    assert first.platforms["gb300_nvl72"] != second.platforms["gb300_nvl72"]  # burn-in drawn


def _with_start(scenario: Scenario, days: int) -> Scenario:
    """The same scenario objects under another start date (a part that ignored the start
    would find the first scenario's parts)."""
    info = scenario.scenario
    moved = info.model_copy(update={"start": info.start + dt.timedelta(days=days)})
    return scenario.model_copy(update={"scenario": moved})


def test_scenarios_sharing_objects_but_not_a_start_get_their_own_parts() -> None:
    scenario = sim.load(SCENARIOS / "portfolio.yaml")
    for days in (0, -30, 45, -30):
        shifted = _with_start(scenario, days)
        plan = assert_plans_from_scratch(realize(shifted, Streams(5, 0))[0])
        contract = plan.contracts["microsoft"]
        due = dt.date.fromisoformat("2026-06-30")  # its first tranche, in the scenario file
        assert contract.tranches[0].due == (due - shifted.scenario.start).days


def test_contracts_sharing_objects_but_not_platforms_get_their_own_parts() -> None:
    scenario = sim.load(SCENARIOS / "iren_childress.yaml")
    platforms = dict(scenario.platforms)
    for gpus in (72, 36, 72, 8):
        name = next(iter(platforms))
        platforms[name] = platforms[name].model_copy(update={"gpus_per_rack": gpus})
        changed = scenario.model_copy(update={"platforms": dict(platforms)})
        plan = assert_plans_from_scratch(realize(changed, Streams(5, 0))[0])
        assert plan.contracts["microsoft"].per_rack[name].gpus_per_unit == gpus  # in racks


def test_kept_parts_do_not_grow_with_replications_and_go_with_their_scenario() -> None:
    def sizes() -> dict[str, int]:
        gc.collect()
        return {f.name: len(getattr(KEPT, f.name)) for f in dataclasses.fields(KEPT)}

    before = sizes()
    scenario = sim.load(SCENARIOS / "iren_childress_2026-06-30.yaml")
    for index in range(3):
        build_plan(realize(scenario, Streams(1, index))[0])
    after_three = sizes()
    for index in range(3, 40):
        build_plan(realize(scenario, Streams(1, index))[0])
    assert sizes() == after_three
    assert after_three != before
    del scenario
    assert sizes() == before


def _unshared(scenario: Scenario) -> Scenario:
    """The scenario with copies of its contracts (so nothing kept for them is found)."""
    contracts = {n: c.model_copy() for n, c in scenario.contracts.items()}
    return scenario.model_copy(update={"contracts": contracts})


def test_a_replications_topology_is_the_one_worked_out_afresh() -> None:
    for path in SHIPPED:
        scenario = sim.load(path)
        for index in range(3):
            concrete = realize(scenario, Streams(2, index))[0]
            assert topology(concrete) == topology(_unshared(concrete))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), seed=st.integers(0, 2**64))
def test_generated_scenarios_topology_is_the_one_worked_out_afresh(
    data: dict[str, Any], seed: int
) -> None:
    scenario = Scenario.model_validate(data)
    concrete = realize(scenario, Streams(seed, 0))[0]
    assert topology(concrete) == topology(_unshared(concrete))
    assert topology(concrete) == topology(_unshared(scenario))


def test_scenarios_sharing_contracts_but_not_halls_or_deliveries_get_their_own_topology() -> None:
    loaded = sim.load(SCENARIOS / "portfolio.yaml")
    microsoft = loaded.contracts["microsoft"]
    anywhere = [t.model_copy(update={"hall": None}) for t in microsoft.tranches]
    contracts = {
        **loaded.contracts,
        "microsoft": microsoft.model_copy(update={"tranches": anywhere}),
    }
    scenario = loaded.model_copy(update={"contracts": contracts})  # Microsoft: any hall at its site
    sites = dict(scenario.sites)
    childress = sites["childress"]
    halls = {n: h for n, h in childress.halls.items() if n != "horizon_4"}
    sites["childress"] = childress.model_copy(update={"halls": halls})
    fewer_halls = scenario.model_copy(update={"sites": sites})  # the same contract objects
    moved = {n: d.model_copy(update={"site": "odessa"}) for n, d in scenario.deliveries.items()}
    moved_deliveries = scenario.model_copy(update={"deliveries": moved})
    for _ in range(2):
        for changed in (scenario, fewer_halls, moved_deliveries):
            assert topology(changed) == topology(_unshared(changed))
    assert topology(scenario).contract_halls["microsoft"][-1] == "horizon_4"
    assert "horizon_4" not in topology(fewer_halls).contract_halls["microsoft"]
    assert topology(moved_deliveries).deliveries_at == {"odessa": ("dell",)}
