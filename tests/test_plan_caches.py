"""A plan built from parts kept across replications (`sim.engine.buildplan`), with a status
applied from records kept per status (`sim.engine.status`), is the plan built from scratch:
for every shipped scenario and generated ones, replication after replication, with other
scenarios realized in between, and for scenarios that share objects but not the inputs a
part reads (another start date, other platforms). What `realize` copied is handed to the
plan with the concrete scenario (`Realization.copied`), and nothing of it outlives the call."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import weakref
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import sim
from sim.engine import Plan, apply_status, build_plan
from sim.engine.buildplan import KEPT
from sim.engine.inputs import NOTHING_COPIED
from sim.engine.realize import Realization, Streams, realization, realize
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
    one, two = realization(scenario, Streams(3, 0)), realization(scenario, Streams(3, 1))
    first, second = build_plan(one.scenario, one.copied), build_plan(two.scenario, two.copied)
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


def _copies(uncertain: object, concrete: object) -> list[BaseModel]:
    """The models of ``concrete`` that are not the uncertain scenario's own at the same
    place (a walk of both side by side; below a shared object everything is shared)."""
    if concrete is uncertain:
        return []
    found: list[BaseModel] = []
    if isinstance(concrete, BaseModel) and isinstance(uncertain, BaseModel):
        found.append(concrete)
        pairs = [(getattr(uncertain, n), getattr(concrete, n)) for n in type(concrete).model_fields]
    elif isinstance(concrete, dict) and isinstance(uncertain, dict):
        pairs = [(uncertain[k], v) for k, v in concrete.items()]
    elif isinstance(concrete, list) and isinstance(uncertain, list):
        pairs = list(zip(uncertain, concrete, strict=True))
    else:
        return []  # a drawn value in place of its distribution
    for before, after in pairs:
        found += _copies(before, after)
    return found


def assert_copied_are_the_copies(scenario: Scenario, drawn: Realization) -> None:
    copies = _copies(scenario, drawn.scenario)
    assert drawn.copied.ids == {id(m) for m in copies}
    assert len(drawn.copied.models) == len(copies)
    assert all(m in drawn.copied for m in copies)
    assert scenario not in drawn.copied  # the uncertain scenario's own models are kept


def test_a_realization_hands_over_exactly_the_models_it_copied() -> None:
    for path in SHIPPED:
        scenario = sim.load(path)
        for streams in (Streams(4, 0), Streams(4, 1), None):
            drawn = realization(scenario, streams)
            assert_copied_are_the_copies(scenario, drawn)
            # the root holds every drawn value; a scenario that draws nothing is its own
            assert (drawn.scenario in drawn.copied) is bool(drawn.draws)
            assert (drawn.scenario is scenario) is not bool(drawn.draws)
            assert (drawn.scenario, drawn.draws) == realize(scenario, streams)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), seed=st.integers(0, 2**64))
def test_generated_realizations_hand_over_exactly_the_models_they_copied(
    data: dict[str, Any], seed: int
) -> None:
    scenario = Scenario.model_validate(data)
    for streams in (Streams(seed, 0), None):
        drawn = realization(scenario, streams)
        assert_copied_are_the_copies(scenario, drawn)
        if drawn.scenario is scenario:  # it draws nothing: nothing copied, all parts kept
            assert drawn.copied == NOTHING_COPIED


def _halls(plan: Plan) -> list[object]:
    return [hall for site in plan.sites for hall in site.halls]


def test_what_was_copied_goes_with_its_own_realization_only() -> None:
    """The copied models are handed over, not remembered: another realization in between
    changes nothing, and a plan built without them keeps every part (the parts of copied
    models too: found again for the same concrete scenario)."""
    scenario = sim.load(SCENARIOS / "portfolio.yaml")
    one = realization(scenario, Streams(6, 0))
    realization(scenario, Streams(6, 1))  # the last realization is another one's
    first, again = build_plan(one.scenario, one.copied), build_plan(one.scenario, one.copied)
    assert first == again
    # a hall reads a copied model (its construction slip is drawn): built afresh each time
    assert all(a is not b for a, b in zip(_halls(first), _halls(again), strict=True))
    assert all(first.contracts[n] is again.contracts[n] for n in first.contracts)
    two = realization(scenario, Streams(6, 2))  # the last realization: its copies not told
    kept, found = build_plan(two.scenario), build_plan(two.scenario)
    assert kept == build_plan(two.scenario, two.copied) == build_plan(two.scenario, cached=False)
    assert all(a is b for a, b in zip(_halls(kept), _halls(found), strict=True))


def test_the_copied_models_live_as_long_as_their_record() -> None:
    """`Copied` holds its models, so no other object can take one's id while it lives."""
    scenario = sim.load(SCENARIOS / "portfolio.yaml")
    concrete, _, copied = realization(scenario, Streams(8, 0))
    held = [weakref.ref(m) for m in copied.models]
    del concrete
    gc.collect()
    assert all(ref() is not None for ref in held)
    del copied
    gc.collect()
    assert all(ref() is None for ref in held)


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
        concrete, _, copied = realization(scenario, Streams(1, index))
        build_plan(concrete, copied)
    after_three = sizes()
    for index in range(3, 40):
        concrete, _, copied = realization(scenario, Streams(1, index))
        build_plan(concrete, copied)
    del concrete, copied
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
