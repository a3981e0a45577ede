"""Monte Carlo: reproducible streams, order-independent aggregation, on-time probabilities."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim
from sim.engine.realize import Streams, realize
from sim.montecarlo import replications
from sim.montecarlo.replications import (
    Aggregator,
    Replication,
    ReplicationError,
    band_note,
    replicate,
)
from sim.runner import RunOptions, monte_carlo_run
from tests.helpers import EXAMPLE, SCENARIOS, STORY, scenario_from

PORTFOLIO = SCENARIOS / "portfolio.yaml"


@pytest.fixture(scope="module")
def portfolio() -> sim.Scenario:
    return sim.load(PORTFOLIO)


def test_streams_depend_only_on_seed_replication_and_key() -> None:
    a, b = Streams(5, 3), Streams(5, 3)
    assert a.uniform("k") == b.uniform("k")
    assert a.uniform("k") != Streams(5, 4).uniform("k")
    assert a.uniform("k") != Streams(6, 3).uniform("k")
    assert a.uniform("k") != a.uniform("other")
    draws = [Streams(1, i).uniform("k") for i in range(2000)]
    assert min(draws) > 0
    assert max(draws) < 1
    assert np.mean(draws) == pytest.approx(0.5, abs=0.02)


def test_same_seed_gives_identical_results_for_one_and_two_jobs(portfolio: sim.Scenario) -> None:
    one = monte_carlo_run(portfolio, RunOptions(24, seed=11, jobs=1))
    two = monte_carlo_run(portfolio, RunOptions(24, seed=11, jobs=2))
    assert one.percentiles.to_csv(index=False) == two.percentiles.to_csv(index=False)
    pd.testing.assert_frame_equal(one.replications, two.replications)
    pd.testing.assert_frame_equal(one.on_time, two.on_time)
    other = monte_carlo_run(portfolio, RunOptions(24, seed=12, jobs=1))
    assert not one.replications.equals(other.replications)


def test_percentiles_are_ordered_and_exact_within_a_batch(portfolio: sim.Scenario) -> None:
    mc = monte_carlo_run(portfolio, RunOptions(30, seed=3))
    p = mc.percentiles
    assert (p["p10"] <= p["p50"] + 1e-9).all()
    assert (p["p50"] <= p["p80"] + 1e-9).all()
    assert (p["p80"] <= p["p90"] + 1e-9).all()
    # With fewer replications than a batch, P50 is the exact median of the replications.
    reps = [replicate(portfolio, 3, i) for i in range(30)]
    stack = np.stack([r.metrics for r in reps])
    median = np.percentile(stack, 50, axis=0).reshape(-1)
    assert np.allclose(p["p50"].to_numpy(), median, atol=1e-3)


def test_bands_are_exact_order_statistics_over_many_replications() -> None:
    # A step-shaped outcome: 0 in 70% of replications, 1 in 30%. The exact P80 is 1; the
    # mean of per-batch P80s (the old method) lands strictly between 0 and 1.
    agg = Aggregator(seed=0)
    shape = (2, 3, 4)
    n = 1000
    values = (np.arange(n) % 10 >= 7).astype(np.float32)
    for i in range(n):
        agg.add(Replication(i, np.full(shape, values[i], dtype=np.float32), {"x": float(i)}))
    quantiles, mean = agg.percentiles()
    assert agg.band_replications == n
    assert [float(q[0, 0, 0]) for q in quantiles] == [0.0, 0.0, 1.0, 1.0]  # P10 P50 P80 P90
    assert mean[0, 0, 0] == pytest.approx(0.3)
    assert len(agg.rows) == n
    with pytest.raises(ValueError, match="out of order"):
        agg.add(Replication(0, np.zeros(shape, dtype=np.float32), {}))


def test_bands_past_the_memory_budget_use_the_first_replications_and_say_so() -> None:
    shape = (2, 3, 4)
    one = np.zeros(shape, dtype=np.float32).nbytes
    agg = Aggregator(seed=0, keep_bytes=100 * one)
    for i in range(300):
        agg.add(Replication(i, np.full(shape, float(i), dtype=np.float32), {"x": float(i)}))
    quantiles, mean = agg.percentiles()
    assert agg.band_replications == 100
    assert float(quantiles[1][0, 0, 0]) == pytest.approx(np.percentile(np.arange(100), 50))
    assert mean[0, 0, 0] == pytest.approx(299 / 2)  # the mean uses every replication
    note = band_note(100)
    assert note["replications"] == 100
    assert note["rank_error_95"]["p80"] == pytest.approx(1.96 * (0.8 * 0.2 / 100) ** 0.5, abs=1e-4)


def test_in_order_restores_replication_order() -> None:
    def rep(i: int) -> Replication:
        return Replication(i, np.zeros(1, dtype=np.float32), {})

    arrivals = [(2, [rep(4), rep(5)]), (0, [rep(0), rep(1)]), (1, [rep(2), rep(3)])]
    assert [r.index for r in replications.in_order(arrivals)] == [0, 1, 2, 3, 4, 5]


def test_one_risk_event_gives_p_on_time_of_one_minus_p() -> None:
    # The hall is ready on Feb 10 and the tranche is due Mar 1; with probability 0.3 its
    # construction takes 60 days longer, which makes the tranche late.
    construction = {
        "start": "2026-01-01",
        "duration": {"fixed": "30d", "risk": {"p": 0.3, "add": "60d"}},
    }
    scenario = scenario_from(STORY, sites__s__halls__h__construction=construction)
    mc = monte_carlo_run(scenario, RunOptions(400, seed=2))
    p = mc.on_time.loc[0, "p_on_time"]
    assert p == pytest.approx(0.7, abs=3 * np.sqrt(0.21 / 400))
    assert mc.summary["contracts"]["c"]["tranches"][0]["p_on_time"] == p


def test_variants_share_random_numbers_for_shared_inputs() -> None:
    base: dict[str, Any] = {
        **STORY,
        "platforms": {
            "p": {
                "gpus_per_rack": 72,
                "it_kw_per_rack": 100,
                "burn_in": {"pert": ["1d", "3d", "9d"]},
            }
        },
    }
    a = scenario_from(base, sites__s__halls__h__commissioning={"pert": ["5d", "10d", "30d"]})
    b = scenario_from(
        a.model_dump(mode="json", exclude_none=True),
        sites__s__halls__h__commissioning={"pert": ["6d", "12d", "40d"]},
    )
    for i in range(20):
        _, draws_a = realize(a, Streams(9, i))
        _, draws_b = realize(b, Streams(9, i))
        assert draws_a["platforms.p.burn_in"] == draws_b["platforms.p.burn_in"]
        assert draws_a["sites.s.halls.h.commissioning"] != draws_b["sites.s.halls.h.commissioning"]


def test_shared_draws_move_together() -> None:
    deliveries = {
        "d1": {
            "platform": "p",
            "site": "s",
            "slip": {"uniform": ["0d", "30d"], "shared": "vendor"},
            "tranches": [{"date": "2026-01-21", "racks": 7}],
        },
        "d2": {
            "platform": "p",
            "site": "s",
            "slip": {"uniform": ["0d", "90d"], "shared": "vendor"},
            "tranches": [{"date": "2026-01-21", "racks": 7}],
        },
    }
    scenario = scenario_from(STORY, deliveries=deliveries)
    for i in range(10):
        concrete, draws = realize(scenario, Streams(1, i))
        assert list(draws) == ["shared.vendor"]
        assert concrete.deliveries["d2"].slip == pytest.approx(3 * concrete.deliveries["d1"].slip)


def test_drivers_rank_the_input_that_moves_the_date(portfolio: sim.Scenario) -> None:
    mc = monte_carlo_run(portfolio, RunOptions(60, seed=5))
    # The calibrated scenario: phase 2's slip (a later_building prior) sets AWS's full delivery.
    dominant = "input.sites.black_pearl.halls.aws_phase_2.construction.slip"
    top = mc.drivers[mc.drivers["kpi"] == "aws.full_delivery"].iloc[0]
    assert top["input"] == dominant
    assert top["spearman"] > 0.6
    tornado = mc.tornado[mc.tornado["kpi"] == "aws.full_delivery"]
    assert tornado.iloc[0]["input"] == dominant
    assert tornado.iloc[0]["unit"] == "days"
    assert tornado.iloc[0]["swing"] > 14


def test_a_failing_replication_names_its_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(replications, "simulate", broken)
    with pytest.raises(
        ReplicationError,
        match=r"replication 0 \(seed 4\) failed: "
        r"ZeroDivisionError: boom; reproduce with",
    ):
        monte_carlo_run(scenario_from(STORY), RunOptions(3, seed=4))


def test_dask_gives_the_same_results_as_local(portfolio: sim.Scenario) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0"
    ) as cluster:
        remote = monte_carlo_run(
            portfolio,
            RunOptions(16, seed=8, executor="dask", scheduler=cluster.scheduler_address),
        )
    local = monte_carlo_run(portfolio, RunOptions(16, seed=8, jobs=2))
    assert remote.percentiles.to_csv(index=False) == local.percentiles.to_csv(index=False)
    pd.testing.assert_frame_equal(remote.replications, local.replications)


def test_no_more_workers_are_started_than_there_are_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    from sim.montecarlo import executors
    from sim.montecarlo.replications import chunks

    sizes: list[int] = []

    class Recorded(ProcessPoolExecutor):
        def __init__(self, max_workers: int, **kwargs: Any) -> None:
            sizes.append(max_workers)
            super().__init__(max_workers, **kwargs)

    monkeypatch.setattr(executors, "ProcessPoolExecutor", Recorded)
    scenario = sim.load(EXAMPLE)
    tasks = chunks(3, 1000)
    assert len(tasks) == 3
    done = sorted(n for n, _ in executors.local(scenario, 1, tasks, 1000))
    assert (done, sizes) == ([0, 1, 2], [3])
    assert list(executors.local(scenario, 1, chunks(1, 1000), 1000))  # one task: no pool
    assert sizes == [3]
