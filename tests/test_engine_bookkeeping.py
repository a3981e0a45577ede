"""The engine's bookkeeping around SimPy, made cheap without changing what it records: a
step's level changes in one call, draws of nothing that leave the streams alone, and a
finished run that does not wait for the garbage collector to be freed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

import sim
from sim.engine import Random, Recorder, apply_status, build_plan, simulate
from sim.engine.realize import Streams, realize
from sim.engine.recorder import PENDING_ROWS, Stages
from sim.engine.vocabulary import Level
from tests.helpers import SCENARIOS, STORY, scenario_from


def test_a_steps_changes_are_the_rows_of_one_level_call_in_their_order() -> None:
    by_step, by_call = Recorder(), Recorder()
    by_call.level(0.5, "other", {Level.GRID_MW: 1.0})
    by_step.level(0.5, "other", {Level.GRID_MW: 1.0})
    changes = {Level.RACKS_WAITING: -3, Level.RACKS_INSTALLING: 3, Level.AI_IT_MW: -0.0}
    Stages(by_step, "s").change(2.0, changes)
    by_call.level(2.0, "s", changes)
    assert (
        by_step.levels
        == by_call.levels
        == [
            (0.5, "other", Level.GRID_MW, 1.0),
            (2.0, "s", Level.RACKS_WAITING, -3.0),  # in the order given; the zero is not a row
            (2.0, "s", Level.RACKS_INSTALLING, 3.0),
        ]
    )
    assert by_step.level_sites == ["other", "s"]  # numbered on its first change
    assert list(by_step.level_site) == [0, 1, 1]


def test_a_site_is_numbered_on_its_first_change_not_before() -> None:
    recorder = Recorder()
    Stages(recorder, "quiet")
    assert recorder.level_sites == []
    Stages(recorder, "s").change(1.0, {Level.GRID_MW: 0.0})  # as `Recorder.level` numbers it
    Stages(recorder, "t").enter(1.0, 2.0, Level.GRID_MW)
    assert recorder.level_sites == ["s", "t"]
    assert recorder.levels == [(1.0, "t", Level.GRID_MW, 2.0)]


def draws(sampler: Random, key: str) -> list[float]:
    return [sampler.fallout(key, 40, 0.3), sampler.out_of_service(key, 40, 0.2)] * 3


@pytest.mark.parametrize(("racks", "p"), [(0, 0.3), (12, 0.0), (0, 0.0)])
def test_a_draw_of_nothing_is_zero_and_leaves_the_stream_alone(racks: int, p: float) -> None:
    untouched = draws(Random(Streams(5, 2)), "s/h")
    sampler = Random(Streams(5, 2))
    assert sampler.fallout("s/h", racks, p) == 0
    assert sampler.out_of_service("s/h", racks, p) == 0.0
    assert draws(sampler, "s/h") == untouched
    assert len(set(untouched)) > 1  # the draws themselves are random


def test_the_random_sampler_draws_from_the_keyed_streams() -> None:
    streams = Streams(5, 2)
    fallout = streams.generator("s/h/fallout").binomial(40, 0.3)
    repair = streams.generator("s/h/repair").binomial(40, 0.2)
    sampler = Random(Streams(5, 2))
    assert sampler.fallout("s/h", 40, 0.3) == fallout
    assert sampler.out_of_service("s/h", 40, 0.2) == float(repair)


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("name", ["story", "portfolio.yaml"])
@pytest.mark.usefixtures("collector_off")
def test_a_finished_runs_recorder_is_freed_when_dropped(name: str) -> None:
    """Once a run whose work is all done by its horizon is over, nothing of it (its sites,
    environments, processes) holds the recorder in a reference cycle, so dropping it frees
    it at once: left to the garbage collector, a replication's rows made it run more often
    in the next ones. (Work still under way at the horizon keeps its site, and so the
    recorder, in the environment's pending events, which SimPy's environment holds in a
    cycle of its own.)"""
    scenario = scenario_from(STORY) if name == "story" else sim.load(SCENARIOS / name)
    streams = Streams(3, 1)
    concrete, _ = realize(scenario, streams)
    recorder = simulate(apply_status(build_plan(concrete), concrete), Random(streams))
    assert recorder.events
    freed = weakref.ref(recorder)
    del recorder
    assert freed() is None


def test_level_rows_keep_every_value_through_the_moves_into_the_columns() -> None:
    # More rows than the pending list holds (several moves), whole and fractional deltas,
    # negative and tiny ones, times before the start, many sites: every column as written.
    recorder = Recorder()
    levels = list(Level)
    written = []
    for i in range(3 * PENDING_ROWS + 17):
        site = f"s{i % 301}"
        level = levels[i % len(levels)]
        delta: float = (i % 7) - 3 if i % 2 else (i - 5000) * 1e-9 + 0.1 * (i % 3)
        t = i * 0.37 - 40.0
        recorder.level(t, site, {level: delta})
        if delta:
            written.append((t, site, level, float(delta)))
    rows = recorder.levels
    assert rows == written
    assert all(type(d) is float for _, _, _, d in rows)
    assert recorder.level_sites == [f"s{i}" for i in range(301)]
