"""`realize` compiles a scenario's uncertain inputs once and draws them from streams it
computes without building a numpy `SeedSequence`: both must give what the straightforward
walk gives (tests/reference_realize.py), bit for bit: the same concrete scenario, and the
same draws in the same order, for every shipped scenario and variant, status updates,
correlation factors, shared keys and generated scenarios, in the plan run and replications."""

from __future__ import annotations

import copy
import datetime as dt
import gc
import pickle
import weakref
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.engine import Random, apply_status, build_plan, simulate
from sim.engine.realize import Streams, realize
from sim.engine.streams import StreamKey, key_hash
from sim.montecarlo.replications import replicate
from sim.scenario.loader import load_all
from sim.scenario.schema import Scenario
from tests.helpers import SCENARIOS, STORY, scenario_from
from tests.reference_realize import reference_realize, uniform
from tests.strategies import scenarios

RUNS: list[tuple[int, int] | None] = [None, (1, 0), (1, 7), (20261127, 2), (2**40 + 3, 5)]
"""The plan run and replications (seed, index), a seed of two words among them."""


def assert_same(scenario: Scenario, run: tuple[int, int] | None) -> None:
    concrete, draws = realize(scenario, None if run is None else Streams(*run))
    expected, expected_draws = reference_realize(scenario, run)
    assert list(draws.items()) == list(expected_draws.items())
    assert concrete.model_dump() == expected.model_dump()
    # the same fields marked as set (model_copy marks the ones it updates)
    assert concrete.model_dump(exclude_unset=True) == expected.model_dump(exclude_unset=True)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_and_variant_realizes_as_the_reference(path: Any) -> None:
    for loaded in load_all(path).values():
        for run in RUNS:
            assert_same(loaded.scenario, run)


UNDER_WAY = {
    "as_of": "2026-02-15",
    "sites": {"s": {"halls": {"h": {"construction": {"started": "2026-01-01"}}}}},
}
BUILD = "sites__s__halls__h__construction__"


@pytest.mark.parametrize(
    "changes",
    [
        # under way: duration drawn given it exceeds the 45 days spent (plan value 40: spent)
        {f"{BUILD}duration": {"uniform": ["20d", "60d"]}, "status": UNDER_WAY},
        # under way: a slip given the drawn duration, a shared fixed-risk duration, a lag drawn
        {
            f"{BUILD}duration": {"pert": ["10d", "30d", "50d"], "shared": "vendor"},
            f"{BUILD}slip": {"uniform": ["0d", "40d"], "correlation": {"factors": {"c": 0.7}}},
            f"{BUILD}delay": {"fixed": "2d", "risk": {"p": 0.5, "add": "9d"}},
            "status": UNDER_WAY,
        },
        # under way: a slip given a fixed duration; a duration given a fixed slip
        {f"{BUILD}slip": {"uniform": ["0d", "40d"]}, "status": UNDER_WAY},
        {
            f"{BUILD}duration": {"lognormal": {"median": "30d", "p90": "60d"}},
            f"{BUILD}slip": "3d",
            "status": UNDER_WAY,
        },
        # under way, nothing uncertain: copied with every field, as the full walk did
        {"status": UNDER_WAY},
        # no status: correlated inputs and shared keys across the hall and the delivery
        {
            f"{BUILD}duration": {
                "uniform": ["20d", "40d"],
                "correlation": {"factors": {"campus": 0.6, "texas": 0.3}},
            },
            "sites__s__halls__h__commissioning": {
                "lognormal": {"median": "10d", "p90": "30d"},
                "correlation": {"factors": {"campus": -0.5}},
                "shared": "crew",
            },
            "deliveries__d__slip": {"uniform": ["0d", "20d"], "shared": "crew"},
        },
    ],
    ids=["duration", "slip-given-duration", "slip", "duration-given-slip", "certain", "factors"],
)
def test_status_updates_factors_and_shared_keys_realize_as_the_reference(
    changes: dict[str, Any],
) -> None:
    scenario = scenario_from(STORY, **changes)
    for run in [*RUNS, *((3, i) for i in range(30))]:
        assert_same(scenario, run)


def test_one_distribution_under_way_at_two_data_dates_draws_as_the_reference() -> None:
    """Two scenarios share the hall's duration (the same object) under way since the same
    day, but at different data dates: the one drawn given 45 days spent, the other given 55
    (whose conditional CDF is kept per distribution, for the last days spent only)."""
    changes = {f"{BUILD}duration": {"uniform": ["20d", "60d"]}, "status": UNDER_WAY}
    first = scenario_from(STORY, **changes)
    assert first.status is not None
    later = first.status.model_copy(update={"as_of": first.status.as_of + dt.timedelta(10)})
    second = first.model_copy(update={"status": later})
    hall = second.sites["s"].halls["h"]
    assert hall.construction.duration is first.sites["s"].halls["h"].construction.duration
    for index in range(20):
        for scenario in (first, second, second, first):
            assert_same(scenario, (3, index))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), seed=st.integers(0, 2**64), index=st.integers(0, 10**6))
def test_generated_scenarios_realize_as_the_reference(
    data: dict[str, Any], seed: int, index: int
) -> None:
    scenario = Scenario.model_validate(data)
    assert_same(scenario, None)
    assert_same(scenario, (seed, index))


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**160),
    index=st.integers(0, 2**70),
    key=st.text(max_size=40),
)
def test_a_streams_uniform_is_its_seed_sequences_first_64_bits(
    seed: int, index: int, key: str
) -> None:
    streams = Streams(seed, index)
    assert streams.uniform(key) == uniform(seed, index, key)
    assert streams.uniform(StreamKey(key)) == uniform(seed, index, key)
    sequence = np.random.SeedSequence(seed, spawn_key=(index, key_hash(key)))
    # a generator: numpy's PCG64 in the state the key's own SeedSequence would give it
    expected = np.random.Generator(np.random.PCG64(sequence))
    generator = streams.generator(key)
    assert generator.bit_generator.state == expected.bit_generator.state
    assert (
        generator.binomial(40, 0.3, size=5).tolist() == expected.binomial(40, 0.3, size=5).tolist()
    )
    assert streams.generator(key) is generator  # one per key: repeated draws continue it


def test_streams_copy_and_pickle_with_their_generators() -> None:
    streams = Streams(7, 3)
    streams.generator("lot/fallout").random()
    copies = [copy.deepcopy(streams), pickle.loads(pickle.dumps(streams))]
    following = streams.generator("lot/fallout").random(3).tolist()
    for copied in copies:  # each continues where the original was copied
        assert copied.generator("lot/fallout").random(3).tolist() == following
        assert copied.uniform("k") == streams.uniform("k")


def test_a_negative_seed_is_refused_as_numpy_refuses_it() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        np.random.SeedSequence(-1, spawn_key=(0, 1))
    with pytest.raises(ValueError, match="non-negative"):
        Streams(-1, 0).uniform("k")


def test_a_replication_leaves_the_scenario_and_its_concrete_copy_as_they_were() -> None:
    """The concrete scenario shares every certain part with the uncertain one, so nothing
    downstream may change either: run a replication through the engine and every table,
    and the plan run through its tables and summary."""
    for name in ("portfolio.yaml", "iren_childress_2026-06-30.yaml"):
        (loaded,) = [v for k, v in load_all(SCENARIOS / name).items() if k is None]
        scenario = loaded.scenario
        before = scenario.model_dump()
        concrete, _ = realize(scenario, Streams(5, 1))
        planned, _ = realize(scenario)
        concrete_before, planned_before = concrete.model_dump(), planned.model_dump()
        simulate(apply_status(build_plan(concrete), concrete), Random(Streams(5, 1)))
        replicate(scenario, 5, 1, "all")
        sim.run(scenario)
        assert scenario.model_dump() == before
        assert concrete.model_dump() == concrete_before
        assert planned.model_dump() == planned_before
        assert realize(scenario, Streams(5, 1))[0].model_dump() == concrete_before


def test_the_compiled_inputs_do_not_keep_a_scenario_alive() -> None:
    scenario = scenario_from(STORY, sites__s__halls__h__commissioning={"uniform": ["5d", "9d"]})
    realize(scenario, Streams(1, 0))
    ref = weakref.ref(scenario)
    del scenario
    gc.collect()
    assert ref() is None
