"""A step's level changes, moved into the recorder's columns in batches, and a contract
ledger that stops looking at tranches that need nothing more: both record exactly what the
plain, row-by-row definitions record, in the same order."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.engine.recorder as recorder_module
from sim.engine.ledger import Ledger, fill_order
from sim.engine.plan import ContractPlan, TranchePlan
from sim.engine.recorder import Recorder, Stages
from sim.engine.vocabulary import Kind, Level, Milestone, Stage
from sim.units import QUANTITY_EPS

LEVELS = list(Level)
DELTAS = st.one_of(
    st.integers(min_value=-50, max_value=50),
    st.sampled_from([0.0, -0.0, math.nan, math.inf, -math.inf, 1e-300, 5e-324]),
    st.floats(allow_nan=False, allow_subnormal=True, width=64),
)
STEPS = st.lists(
    st.tuples(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
        st.sampled_from(["a", "b", "c", "d"]),
        st.lists(st.tuples(st.sampled_from(LEVELS), DELTAS), max_size=8),
    ),
    max_size=60,
)


def _exact(rows: list[tuple[float, str, Level, float]]) -> list[tuple[str, str, str, str]]:
    return [(t.hex(), site, level.value, float(d).hex()) for t, site, level, d in rows]


@settings(max_examples=300, deadline=None)
@given(STEPS, st.integers(min_value=1, max_value=5), st.booleans())
def test_level_rows_are_each_steps_non_zero_deltas_in_order(
    steps: list[tuple[float, str, list[tuple[Level, Any]]]], batch: int, by_stages: bool
) -> None:
    """Whatever the batch the pending steps move in: a row per non-zero delta (NaN is one,
    -0.0 is not), as the float of the delta, steps in call order and each step's deltas in
    its order; sites numbered in order of their first change, even a change of nothing."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(recorder_module, "PENDING_ROWS", batch)
        recorder = Recorder()
        stages = {s: Stages(recorder, s) for s in "abcd"}
        expected: list[tuple[float, str, Level, float]] = []
        first: list[str] = []
        for t, site, pairs in steps:
            deltas = dict(pairs)
            if by_stages:
                stages[site].change(t, deltas)
            else:
                recorder.level(t, site, deltas)
            expected += [(t, site, level, float(d)) for level, d in deltas.items() if d]
            first += [site] if site not in first else []
        assert _exact(recorder.levels) == _exact(expected)
        assert recorder.level_sites == first
        assert all(type(d) is float for *_, d in recorder.levels)


def test_rows_read_part_way_and_recorded_on_keep_their_order() -> None:
    recorder = Recorder()
    recorder.level(1.0, "s", {Level.GRID_MW: 2, Level.AI_IT_MW: -0.0})
    assert recorder.levels == [(1.0, "s", Level.GRID_MW, 2.0)]
    Stages(recorder, "t").change(2.0, {})  # a change of nothing numbers the site
    recorder.level(3.0, "s", {Level.AI_IT_MW: math.nan, Level.GRID_MW: -1})
    rows = recorder.levels
    assert rows[0] == (1.0, "s", Level.GRID_MW, 2.0)
    assert rows[1][:3] == (3.0, "s", Level.AI_IT_MW)
    assert math.isnan(rows[1][3])
    assert rows[2] == (3.0, "s", Level.GRID_MW, -1.0)
    assert recorder.level_sites == ["s", "t"]
    assert list(recorder.level_site) == [0, 0, 0]


class PlainLedger(Ledger):
    """The definition: every delivery walks the whole fill order, tranches that need
    nothing more included."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.needs = {t.number: t.units for t in self.contract.tranches}

    def deliver(
        self, t: float, units: float, gpus_per_unit: float, hall: str | None, stage: Stage
    ) -> None:
        counted = 0.0
        for tranche in fill_order(self.contract, hall):
            left = self.needs[tranche.number]
            if left <= 0.0 or not tranche.opens <= t < tranche.closes:
                continue
            take = min(left, units - counted)
            if take <= 0.0:
                break
            counted += take
            self.needs[tranche.number] = left - take
            if left - take <= QUANTITY_EPS:
                self.needs[tranche.number] = 0.0
                self.recorder.filled(t, self.contract.name, tranche.number, stage)
                self.recorder.event(
                    t,
                    self.contract.site,
                    Kind.CONTRACT,
                    self.contract.name,
                    Milestone.DELIVERED,
                    tranche.units,
                    tranche=tranche.number,
                )
        if counted > 0.0:
            self.delivered += counted
            self.recorder.delivered(t, self.contract.name, counted, counted * gpus_per_unit)

    def remove(self, t: float, tranche: TranchePlan) -> None:
        left, self.needs[tranche.number] = self.needs[tranche.number], 0.0
        if left > 0.0:
            self.recorder.drop(t, self.contract.name, tranche.number, left)


HALLS = st.sampled_from([None, "h1", "h2"])
TRANCHES = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=400),  # due
        st.sampled_from([1.0, 2.0, 2.5, 8.0, 16.0]),  # units
        HALLS,
        st.sampled_from([-math.inf, 50.0, 200.0]),  # opens
        st.sampled_from([math.inf, 100.0, 300.0]),  # closes
    ),
    min_size=1,
    max_size=8,
)
MOVES = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=500),
        st.sampled_from([0.5, 1.0, 3.0, 4.0, 7.5]),
        HALLS,
        st.integers(min_value=0, max_value=12),  # a removal instead, when it names a tranche
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(TRANCHES, MOVES)
def test_a_ledger_records_what_walking_every_tranche_records(
    tranches: list[tuple[int, float, str | None, float, float]],
    moves: list[tuple[int, float, str | None, int]],
) -> None:
    plans = tuple(
        TranchePlan(i + 1, float(due), units, hall, opens, closes)
        for i, (due, units, hall, opens, closes) in enumerate(tranches)
    )
    contract = ContractPlan("c", "s", plans, {})
    fast, plain = Recorder(), Recorder()
    ledgers = [Ledger(contract, fast), PlainLedger(contract, plain)]
    for t, units, hall, removed in sorted(moves, key=lambda m: m[0]):
        for ledger in ledgers:
            if removed < len(plans) and removed % 3 == 0:
                ledger.remove(float(t), plans[removed])
            ledger.deliver(float(t), units, 8.0, hall, Stage.HALL)
    assert fast.units == plain.units
    assert fast.fills == plain.fills
    assert fast.critical == plain.critical
    assert fast.dropped == plain.dropped
    assert fast.events == plain.events
    assert ledgers[0].delivered == ledgers[1].delivered
