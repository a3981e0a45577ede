"""A run's grid-free money (`sim.analysis.runmoney`), worked out once and shared by its
tables and KPIs, gives every figure exactly as each table working it out for itself."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from sim.analysis.finance import monthly_flows
from sim.analysis.kpis import kpi_row
from sim.analysis.records import level_rows
from sim.analysis.runmoney import run_money
from sim.analysis.timeline import compute_arrays
from sim.engine.realize import Streams
from sim.engine.recorder import Recorder
from sim.scenario.loader import load_file
from sim.scenario.schema import Scenario
from tests.helpers import SCENARIOS, simulated
from tests.strategies import scenarios


def same(a: Any, b: Any) -> bool:
    """Equal to the bit, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def assert_shared_equals_own(concrete: Scenario, recorder: Recorder) -> None:
    rows = level_rows(recorder, list(concrete.sites))
    money = run_money(concrete, recorder)
    for step in (None, "month"):
        shared = compute_arrays(concrete, recorder, step, rows, money=money)
        own = compute_arrays(concrete, recorder, step, rows)
        for name, values in own.columns.items():
            assert np.array_equal(shared.columns[name], values), name
        for name, values in own.contract_columns.items():
            assert np.array_equal(shared.contract_columns[name], values), name
    weekly = compute_arrays(concrete, recorder, rows=rows, money=money)
    shared_row = kpi_row(concrete, recorder, weekly, rows, money=money)
    own_row = kpi_row(concrete, recorder, weekly, rows)
    assert shared_row.keys() == own_row.keys()
    assert all(same(shared_row[k], own_row[k]) for k in own_row), [
        k for k in own_row if not same(shared_row[k], own_row[k])
    ]
    flows = monthly_flows(concrete, recorder, rows, money=money)
    assert np.array_equal(flows.site_flows, monthly_flows(concrete, recorder, rows).site_flows)


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_share_their_money_exactly(path: Path) -> None:
    scenario = load_file(path).scenario
    assert_shared_equals_own(*simulated(scenario, None))
    assert_shared_equals_own(*simulated(scenario, Streams(7, 2)))


def test_deliveries_recorded_out_of_time_order_bill_in_time_order() -> None:
    # The KPIs bill a contract's deliveries in time order; shared money sorts them the same.
    concrete, recorder = simulated(load_file(SCENARIOS / "portfolio.yaml").scenario, Streams(7, 1))
    recorder.units.reverse()
    money = run_money(concrete, recorder)
    assert any(c.counted[0] is not c.times for c in money.contracts)
    assert_shared_equals_own(concrete, recorder)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios())
def test_random_scenarios_share_their_money_exactly(data: dict[str, Any]) -> None:
    scenario = Scenario.model_validate(data)
    assert_shared_equals_own(*simulated(scenario, None))
    assert_shared_equals_own(*simulated(scenario, Streams(11, 0)))
