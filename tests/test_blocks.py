"""The timeline computed a block of sites at a time is the whole-portfolio computation to the
bit, whatever the block size (one site, a last partial block, all sites in one); the level
records grouped by site keep each site's changes in recording order; the tables written a
row group at a time are the files of one conversion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.records import LEVELS, LevelRows, level_rows
from sim.analysis.sitearrays import block_sites, blocks
from sim.analysis.timeline import Arrays, compute_arrays
from sim.engine import Deterministic, apply_status, build_plan, simulate
from sim.engine.realize import realize
from sim.engine.recorder import Recorder
from sim.outputs import files
from sim.scenario.loader import load_file
from sim.scenario.schema import Scenario
from tests.helpers import SCENARIOS
from tests.strategies import scenarios


def simulated(scenario: Scenario) -> tuple[Scenario, Recorder]:
    concrete, _ = realize(scenario)
    return concrete, simulate(apply_status(build_plan(concrete), concrete), Deterministic())


def assert_same_bits(a: Arrays, b: Arrays) -> None:
    assert (a.dates, a.sites, a.contracts) == (b.dates, b.sites, b.contracts)
    for got, want in ((a.columns, b.columns), (a.contract_columns, b.contract_columns)):
        assert list(got) == list(want)
        for column in want:
            assert got[column].shape == want[column].shape, column
            assert got[column].tobytes() == want[column].tobytes(), column  # -0.0 too


def test_blocks_cover_the_sites_in_order_with_a_last_partial_block() -> None:
    assert blocks(7, 3) == [(0, 3), (3, 6), (6, 7)]
    assert blocks(6, 3) == [(0, 3), (3, 6)]
    assert blocks(2, 5) == [(0, 2)]
    assert blocks(3, 1) == [(0, 1), (1, 2), (2, 3)]
    # a few MB of levels a block: dozens of weekly sites, one site of a long daily horizon
    assert block_sites(263) == (4 << 20) // (len(LEVELS) * 263 * 8) > 30
    assert block_sites(100_000) == 1


def test_a_block_holds_its_sites_changes_in_recording_order() -> None:
    # changes of five sites interleaved (as one SimPy environment records them)
    rng = np.random.default_rng(7)
    n_sites, n_rows = 5, 400
    key = rng.integers(0, n_sites * len(LEVELS), n_rows)
    rows = LevelRows([f"s{i}" for i in range(n_sites)], rng.random(n_rows), key, rng.random(n_rows))
    assert rows.block(0, n_sites) is rows  # all sites: the rows as they are, nothing sorted
    site = rows.key // len(LEVELS)
    assert (np.diff(site) < 0).any()
    for size in range(1, n_sites):
        for lo, hi in blocks(n_sites, size):
            part = rows.block(lo, hi)
            assert part.sites == rows.sites[lo:hi]
            part_site = part.key // len(LEVELS)
            assert (np.diff(part_site) >= 0).all()  # grouped by site
            for s in range(lo, hi):  # each site's changes, all of them, in recording order
                mine, got = site == s, part_site == s - lo
                assert mine.sum() > 0
                assert np.array_equal(part.key[got], rows.key[mine] - lo * len(LEVELS))
                assert np.array_equal(part.t[got], rows.t[mine])
                assert np.array_equal(part.delta[got], rows.delta[mine])
            assert len(part.key) == ((site >= lo) & (site < hi)).sum()


SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_blocked_arrays_are_the_whole_arrays_on_the_shipped_scenarios(path: Path) -> None:
    concrete, recorder = simulated(load_file(path).scenario)
    rows = level_rows(recorder, list(concrete.sites))
    n_sites = len(concrete.sites)
    for step in ("week", "month"):
        whole = compute_arrays(concrete, recorder, step, rows, block=n_sites)
        for size in range(1, n_sites):
            assert_same_bits(compute_arrays(concrete, recorder, step, rows, block=size), whole)
        assert_same_bits(compute_arrays(concrete, recorder, step, rows), whole)  # default
        assert_same_bits(compute_arrays(concrete, recorder, step, block=1), whole)  # own rows
    # a Monte Carlo replication's columns only: each as in the full set
    only = {"cash_usd", "facility_mw", "gpu_days"}
    some = compute_arrays(concrete, recorder, rows=rows, only=only, block=1)
    full = compute_arrays(concrete, recorder, rows=rows)
    assert list(some.columns) == [c for c in full.columns if c in only]
    for column in only:
        assert some.columns[column].tobytes() == full.columns[column].tobytes()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), size=st.integers(1, 3))
def test_blocked_arrays_are_the_whole_arrays_for_random_scenarios(
    data: dict[str, Any], size: int
) -> None:
    concrete, recorder = simulated(Scenario.model_validate(data))
    n_sites = len(concrete.sites)
    whole = compute_arrays(concrete, recorder, block=n_sites)
    blocked = compute_arrays(concrete, recorder, block=size)
    assert_same_bits(blocked, whole)
    # the portfolio's money is the sum of the sites' whole cents
    cents = np.round(whole.columns["revenue_usd"] * 100.0)
    assert np.array_equal(cents[-1], cents[:-1].sum(axis=0))


def test_a_table_written_a_row_group_at_a_time_is_the_file_of_one_conversion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "ROW_GROUP_ROWS", 7)
    dates = pd.to_datetime(["2026-01-01", "2026-01-08", "2026-01-15"]).astype("datetime64[ns]")
    frame = pd.DataFrame(
        {
            "date": np.tile(dates, 10),
            "site": np.repeat([f"s{i}" for i in range(10)], 3),
            "x": np.arange(30) / 7.0,
        }
    )
    files.write_table(frame, tmp_path / "t.csv", tmp_path / "t.parquet")
    table = pa.Table.from_pandas(files.as_dates(frame), preserve_index=False)
    pa_csv.write_csv(table, tmp_path / "one.csv", pa_csv.WriteOptions(quoting_style="needed"))
    pq.write_table(table, tmp_path / "one.parquet", row_group_size=7)
    assert (tmp_path / "t.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert (tmp_path / "t.parquet").read_bytes() == (tmp_path / "one.parquet").read_bytes()
    assert pq.read_metadata(tmp_path / "t.parquet").num_row_groups == 5  # 30 rows, 7 a group
    assert (tmp_path / "t.csv").read_text().splitlines()[1] == '2026-01-01,"s0",0'
    files.write_table(frame.iloc[:0], tmp_path / "empty.csv")  # no rows: the header
    assert (tmp_path / "empty.csv").read_text() == '"date","site","x"\n'
