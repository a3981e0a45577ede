"""Monte Carlo bands: the headline metrics by default, every metric on request, and memory
bounded in bytes (the percentiles' blocks and the tasks' sizes), with the same numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.analysis.timeline import timeline_columns
from sim.errors import UsageError
from sim.montecarlo import replications
from sim.montecarlo.replications import (
    CHUNK_BYTES,
    HEADLINE_METRICS,
    Aggregator,
    Replication,
    band_metrics,
    chunks,
    replicate,
    replication_bytes,
)
from sim.runner import RunOptions, monte_carlo_run
from tests.helpers import SCENARIOS, dcsim

EXAMPLE = SCENARIOS / "example.yaml"


@pytest.fixture(scope="module")
def example() -> sim.Scenario:
    return sim.load(EXAMPLE)


def test_headline_metrics_are_timeline_columns_the_plots_draw(example: sim.Scenario) -> None:
    columns = timeline_columns(example)[2:]
    assert set(HEADLINE_METRICS) <= set(columns)
    # the band plots' and comparison overlays' metrics
    for metric in ("grid_mw", "ready_it_mw", "ai_it_mw", "gpus_online", "revenue_usd"):
        assert metric in HEADLINE_METRICS
    assert band_metrics(example, "all") == columns
    assert band_metrics(example, "headline") == [c for c in columns if c in HEADLINE_METRICS]


def test_a_headline_replication_carries_the_same_numbers_as_a_full_one(
    example: sim.Scenario,
) -> None:
    full = replicate(example, 5, 2, "all")
    head = replicate(example, 5, 2)
    columns = band_metrics(example, "all")
    rows = [columns.index(c) for c in band_metrics(example, "headline")]
    assert head.metrics.dtype == np.float32
    assert np.array_equal(head.metrics, full.metrics[rows])
    assert head.kpis == full.kpis  # tranche dates and KPIs are complete either way
    assert head.metrics.nbytes == replication_bytes(example, "headline")
    assert full.metrics.nbytes == replication_bytes(example, "all")


def test_bands_all_gives_every_metric_and_the_same_headline_bands(example: sim.Scenario) -> None:
    head = monte_carlo_run(example, RunOptions(6, seed=4))
    full = monte_carlo_run(example, RunOptions(6, seed=4, bands="all"))
    assert list(head.percentiles["metric"].unique()) == band_metrics(example, "headline")
    assert list(full.percentiles["metric"].unique()) == band_metrics(example, "all")
    shared = full.percentiles[full.percentiles["metric"].isin(HEADLINE_METRICS)]
    pd.testing.assert_frame_equal(shared.reset_index(drop=True), head.percentiles)
    pd.testing.assert_frame_equal(head.replications, full.replications)
    assert head.summary["band_metrics"] == {
        "set": "headline",
        "metrics": band_metrics(example, "headline"),
    }
    assert full.summary["band_metrics"]["set"] == "all"


def test_an_unknown_band_set_is_refused() -> None:
    with pytest.raises(UsageError, match="bands must be one of headline, all"):
        RunOptions(4, bands="most")  # type: ignore[arg-type]


def test_percentiles_in_blocks_equal_percentiles_over_the_whole_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(0)
    shape = (3, 2, 7)
    stack = rng.normal(size=(37, *shape)).astype(np.float32)
    whole = Aggregator(seed=0)
    for i, metrics in enumerate(stack):
        whole.add(Replication(i, metrics, {}))
    expected, mean = whole.percentiles()
    # 5 cells of 37 replications per block: 9 blocks, the last one short
    monkeypatch.setattr(replications, "BLOCK_BYTES", 37 * 4 * 5)
    blocked, blocked_mean = whole.percentiles()
    assert np.array_equal(blocked, expected)
    direct = np.sort(np.percentile(stack, replications.QUANTILES, axis=0) * 37 / 37, axis=0)
    assert np.array_equal(expected, direct)
    assert np.array_equal(mean, blocked_mean)


CELL_VALUES = [0.0, -0.0, 1.0, -2.5, 3e38, np.inf, -np.inf, np.nan, 7.125]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 12),
    st.lists(
        st.tuples(st.sampled_from(["same", "two", "any"]), st.sampled_from(CELL_VALUES)),
        min_size=1,
        max_size=24,
    ),
    st.integers(1, 7),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_percentiles_are_those_of_the_kept_replications_cell_by_cell(
    n: int, cells: list[tuple[str, float]], per_block: int, seed: int, capped: bool
) -> None:
    # Cells all one value (zeros of either sign, infinities and NaN among them), cells of two
    # values (+0.0 and -0.0 are equal, not the same bits) and cells of any values; blocks of
    # a few cells; and the bands from the first replications only, when memory is short.
    rng = np.random.default_rng(seed)
    columns = []
    for kind, value in cells:
        if kind == "same":
            column = np.full(n, value)
        elif kind == "two":
            column = rng.choice([value, -value if value == 0 else 0.0], n)
        else:
            column = rng.normal(size=n) * 10.0 ** rng.integers(-3, 4)
        columns.append(column)
    stack = np.array(columns, dtype=np.float32).T.reshape(n, 1, len(cells))
    keep = max(1, n // 2) if capped else n
    aggregator = Aggregator(seed=0, keep_bytes=keep * stack[0].nbytes)
    for i, metrics in enumerate(stack):
        aggregator.add(Replication(i, metrics, {}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(replications, "BLOCK_BYTES", keep * 4 * per_block)
        with np.errstate(invalid="ignore"):  # the lerp of infinities: NaN, as numpy has it
            got, _ = aggregator.percentiles()
            q = np.percentile(stack[:keep], replications.QUANTILES, axis=0)
    direct = np.sort(q * keep / keep, axis=0)
    assert aggregator.band_replications == keep
    assert np.array_equal(got, direct, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(direct))


def test_tasks_hold_at_most_chunk_bytes_of_timelines() -> None:
    assert chunks(100, 1) == [list(range(i, i + 13)) for i in range(0, 91, 13)] + [
        list(range(91, 100))
    ]
    big = CHUNK_BYTES // 3 + 1  # three do not fit in a task, two do
    tasks = chunks(100, 1, big)
    assert {len(t) for t in tasks} == {2}
    assert [i for t in tasks for i in t] == list(range(100))
    assert chunks(5, 2, 4 * CHUNK_BYTES) == [[0], [1], [2], [3], [4]]  # never empty tasks


def test_cli_bands_all_writes_every_metric_and_says_so(tmp_path: Path) -> None:
    for bands, expected in (("headline", "headline"), ("all", "all")):
        out = tmp_path / bands
        args = ["run", EXAMPLE, "--out", out, "-n", "3", "--seed", "2"]
        result = dcsim(*args, *(["--bands", "all"] if bands == "all" else []))
        assert result.returncode == 0, result.stderr
        table = pd.read_csv(out / "percentiles.csv")
        summary = json.loads((out / "summary.json").read_text())["monte_carlo"]
        assert summary["band_metrics"]["set"] == expected
        assert list(table["metric"].unique()) == summary["band_metrics"]["metrics"]
    assert len(pd.read_csv(tmp_path / "all" / "percentiles.csv")["metric"].unique()) > len(
        HEADLINE_METRICS
    )


def test_cli_refuses_an_unknown_band_set(tmp_path: Path) -> None:
    result = dcsim("run", EXAMPLE, "--out", tmp_path / "x", "-n", "3", "--bands", "some")
    assert result.returncode == 2
    assert "--bands" in result.stderr
    assert "headline" in result.stderr


def test_a_task_leaves_the_garbage_collector_as_it_found_it(example: sim.Scenario) -> None:
    import gc

    assert gc.get_freeze_count() == 0
    reps = replications.run_chunk(example, 5, [0, 1])
    assert gc.get_freeze_count() == 0  # frozen while it ran, unfrozen after
    assert [r.kpis for r in reps] == [replicate(example, 5, i).kpis for i in (0, 1)]
    gc.freeze()  # a caller that froze objects itself keeps them frozen
    try:
        assert gc.get_freeze_count() > 0
        replications.run_chunk(example, 5, [0])
        assert gc.get_freeze_count() > 0  # an unfreeze would have emptied the frozen set
    finally:
        gc.unfreeze()
