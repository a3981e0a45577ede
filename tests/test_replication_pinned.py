"""A seeded replication's complete output, pinned: the Monte Carlo speed work must leave every
drawn input, KPI, critical stage and timeline metric identical to the bit.

Each shipped scenario (including the status-update ones, whose under-way durations are drawn
conditionally) runs three replications with every timeline metric (``bands="all"``); the
digest covers the metric arrays' bytes and every KPI's exact float (``float.hex``) in the
order the replication lists them (the order of the replications table's columns). A few
values are also asserted in the clear, so a failure shows what moved.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import sim
from sim.analysis.finance import monthly_flows
from sim.analysis.kpis import KPI_COLUMNS, kpi_row
from sim.analysis.records import level_rows
from sim.analysis.steps import cents
from sim.analysis.timeline import compute_arrays
from sim.engine import Random, apply_status, build_plan, simulate
from sim.engine import recorder as recorder_module
from sim.engine.realize import Streams, realize
from sim.engine.vocabulary import Level
from sim.montecarlo.replications import Replication, replicate
from sim.scenario.schema.distributions import DurationDist, QuantityDist
from tests.helpers import SCENARIOS
from tests.strategies import scenarios

PINNED = {
    "cipher.yaml": "e6ac8d530ae3041ea6295cbbfad1b8c98559bce129de6dc5ff42b3a602c7aba4",
    "cipher_2026-06-30.yaml": "e41dc2f988eb4d87549a2836824518cfdcf969b7aadf9c5ad87098bac3e86191",
    "example.yaml": "4a1ddba08999d2114ef31eb90a42ea668c3c7234b67b9d95ba3be9d083859616",
    "iren_childress.yaml": "5bb2eeb5c744b19dfa64dd5c148eb489ee9751448775830a7fb8af5d935b3f28",
    "iren_childress_2026-06-30.yaml": (
        "e6cdf2895b69cef25d609494a2f3685e04c5309102e91aa3c9d6e37c3735fbaa"
    ),
    "portfolio.yaml": "34efd0023022b29c4200597a4a44e21caf481876be6d8d06ba038538861a8353",
}


def digest(reps: list[Replication]) -> str:
    h = hashlib.sha256()
    for rep in reps:
        h.update(f"{rep.index}|{rep.metrics.dtype}|{rep.metrics.shape}".encode())
        h.update(rep.metrics.tobytes())
        for key, value in rep.kpis.items():  # in order: it is the order of the table's columns
            h.update(f"{key}={float(value).hex()};".encode())
        for key in rep.critical:
            h.update(f"{key}:{rep.critical[key]};".encode())
    return h.hexdigest()


@pytest.mark.parametrize("name", sorted(PINNED))
def test_seeded_replications_are_pinned(name: str) -> None:
    scenario = sim.load(SCENARIOS / name)
    reps = [replicate(scenario, 20261127, i, "all") for i in range(3)]
    assert digest(reps) == PINNED[name]


def test_a_portfolio_replication_in_the_clear() -> None:
    rep = replicate(sim.load(SCENARIOS / "portfolio.yaml"), 20261127, 0)
    kpis = rep.kpis
    assert kpis["microsoft.tranche_4.delivered"] == 497.0
    assert kpis["aws.tranche_2.slip_days"] == 6.0
    assert kpis["microsoft.revenue_usd"] == 9584569658.49
    assert kpis["revenue_usd"] == 13052832804.26
    assert kpis["cost_usd"] == 13342908773.44
    assert kpis["npv_usd"] == 636953264.7083858
    assert kpis["input.deliveries.dell.slip"] == 17.362106163833083
    assert kpis["input.factor.texas"] == 0.5104589393243113
    inputs = [k for k in kpis if k.startswith("input.")]
    assert inputs[:3] == [
        "input.factor.campus_childress",
        "input.factor.texas",
        "input.sites.childress.halls.horizon_1.construction.slip",
    ]
    assert len(inputs) == 17
    assert rep.metrics.shape == (7, 6, 323)  # headline metrics x (5 sites + portfolio) x dates
    assert rep.critical["microsoft.tranche_4"] == "crews"
    assert rep.critical["aws.tranche_1"] == "hall"


@pytest.mark.parametrize("name", ["portfolio.yaml", "iren_childress_2026-06-30.yaml"])
def test_the_columns_a_replication_computes_equal_the_full_tables(name: str) -> None:
    scenario = sim.load(SCENARIOS / name)
    streams = Streams(4, 2)
    concrete, _ = realize(scenario, streams)
    recorder = simulate(apply_status(build_plan(concrete), concrete), Random(streams))
    rows = level_rows(recorder, list(concrete.sites))
    full = compute_arrays(concrete, recorder, rows=rows)
    only = {"idle_mw", "power_utilization", "cash_usd", "capex_usd"}
    some = compute_arrays(concrete, recorder, rows=rows, only=only)
    assert list(some.columns) == [c for c in full.columns if c in only]  # timeline order
    for column in only:
        assert some.columns[column].tobytes() == full.columns[column].tobytes()
    for column, values in full.contract_columns.items():
        assert some.contract_columns[column].tobytes() == values.tobytes()
    monthly = monthly_flows(concrete, recorder, rows)
    net = monthly_flows(concrete, recorder, rows, by_column=False)
    assert net.money == {}
    assert net.dates == monthly.dates
    assert net.site_flows.tobytes() == monthly.site_flows.tobytes()
    assert net.contract_flows.tobytes() == monthly.contract_flows.tobytes()
    for_kpis = compute_arrays(concrete, recorder, rows=rows, only=KPI_COLUMNS)
    fast = kpi_row(concrete, recorder, for_kpis, rows)  # its NPVs from the net flows only
    slow = kpi_row(concrete, recorder, full, rows, monthly)
    assert list(fast.items()) == list(slow.items())


def test_level_rows_moved_into_the_columns_in_small_batches_are_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The recorder's pending rows move into its columns every `PENDING_ROWS` rows (a shipped
    scenario records fewer than that per run): in batches of 3, nothing changes."""
    monkeypatch.setattr(recorder_module, "PENDING_ROWS", 3)
    scenario = sim.load(SCENARIOS / "portfolio.yaml")
    reps = [replicate(scenario, 20261127, i, "all") for i in range(3)]
    assert digest(reps) == PINNED["portfolio.yaml"]
    rec = recorder_module.Recorder()
    rec.level(1.0, "a", {Level.GRID_MW: 5.0, Level.AI_IT_MW: 0.0})
    rec.level(2.5, "b", {Level.AI_IT_MW: 2})
    assert rec.levels == [(1.0, "a", Level.GRID_MW, 5.0), (2.5, "b", Level.AI_IT_MW, 2.0)]
    assert list(rec.level_site) == [0, 1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_subnormal=False),
        max_size=12,
    ),
    st.integers(min_value=1, max_value=3),
)
def test_cents_are_the_differences_of_the_rounded_cumulative_amounts(
    amounts: list[float], rows: int
) -> None:
    cumulative = np.array(amounts * rows).reshape(rows, -1)
    expected = np.diff(np.round(cumulative * 100.0), prepend=0.0) + 0.0
    assert cents(cumulative).tobytes() == expected.tobytes()
    assert cents(cumulative[0]).tobytes() == expected[0].tobytes()


def _distributions(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, distribution) of every distribution in a scenario, by the paths realize keys."""
    if isinstance(value, DurationDist | QuantityDist):
        return [(path, value)]
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        items = [(f"{path}.{k}" if path else k, getattr(value, k)) for k in fields]
    elif isinstance(value, dict):
        items = [(f"{path}.{k}", v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    else:
        return []
    return [found for p, v in items for found in _distributions(v, p)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios())
def test_realize_draws_every_input_and_shares_every_certain_part(data: dict[str, Any]) -> None:
    """realize walks only the parts that hold a distribution (found once per scenario
    object): still none is left undrawn, each is recorded under its key, the certain parts
    are shared as they are, and a fresh copy of the scenario draws the same numbers."""
    scenario = sim.Scenario.model_validate(data)
    concrete, draws = realize(scenario, Streams(3, 1))
    assert _distributions(concrete) == []
    keys = {f"shared.{d.shared}" if d.shared else p for p, d in _distributions(scenario)}
    assert keys <= set(draws)
    for name, site in scenario.sites.items():
        if not _distributions(site):
            assert concrete.sites[name] is site
    again, draws_again = realize(scenario.model_copy(deep=True), Streams(3, 1))
    assert list(draws_again.items()) == list(draws.items())
    assert again.model_dump() == concrete.model_dump()
