"""Many sites: generated portfolios (bench/synthetic.py) load, and each site's results do
not depend on how many other sites share the file.

What is worked out per site or per contract (which halls serve a contract, the deliveries
to a site, a contract's tranche fills) is indexed once per scenario so that its cost stays
flat per site; these tests check that the indexes give each site its own answers.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.gcpause import paused_gc
from sim.scenario.loader import load_text
from sim.scenario.topology import contract_halls, deliveries_at, rack_halls
from tests.helpers import ROOT, dcsim, synthetic


def portfolio(sites: int, gpus_per_rack: int = 72) -> str:
    text: str = synthetic().portfolio(sites, gpus_per_rack)
    return text


def _site_rows(frame: pd.DataFrame, column: str, name: str) -> pd.DataFrame:
    return frame[frame[column] == name].reset_index(drop=True)


def test_a_site_runs_the_same_alone_and_among_many() -> None:
    alone = sim.run(load_text(portfolio(1)).scenario)
    among = sim.run(load_text(portfolio(30)).scenario)
    pd.testing.assert_frame_equal(
        _site_rows(alone.timeline, "site", "s0"), _site_rows(among.timeline, "site", "s0")
    )
    pd.testing.assert_frame_equal(
        _site_rows(alone.contracts, "contract", "c0"), _site_rows(among.contracts, "contract", "c0")
    )
    assert alone.summary["contracts"]["c0"] == among.summary["contracts"]["c0"]
    mine = {k: v for k, v in alone.summary["kpis"].items() if k.startswith("c0.")}
    assert mine
    assert mine == {k: among.summary["kpis"][k] for k in mine}
    # by the end every site has its racks online (less those out for repair, the same at
    # each site), and the portfolio adds them up
    final = among.timeline[among.timeline["date"] == among.timeline["date"].max()]
    racks = final.set_index("site")["racks_online"]
    assert len(racks) == 31
    assert racks.drop("all").eq(racks["s0"]).all()
    assert racks["s0"] == pytest.approx(1000, abs=10)
    assert racks["all"] == pytest.approx(30 * racks["s0"], rel=1e-12)


def test_topology_per_site_and_contract() -> None:
    scenario = load_text(portfolio(3)).scenario
    assert contract_halls(scenario) == {"c0": ("a", "b"), "c1": ("a", "b"), "c2": ("a", "b")}
    assert [d.site for d in deliveries_at(scenario, "s2")] == ["s2"]
    assert deliveries_at(scenario, "nowhere") == []
    assert rack_halls(scenario, "s1") == ["a", "b"]


def test_a_changed_copy_has_its_own_topology() -> None:
    """The topology is remembered per scenario object: a copy with another delivery site
    (the override makes a new object) never sees the original's."""
    scenario = load_text(portfolio(2)).scenario
    assert deliveries_at(scenario, "s0") == [scenario.deliveries["d0"]]
    swapped = scenario.with_overrides({"deliveries.d0.site": "s1", "deliveries.d1.site": "s0"})
    assert deliveries_at(swapped, "s0") == [swapped.deliveries["d1"]]
    assert deliveries_at(swapped, "s1") == [swapped.deliveries["d0"]]
    assert deliveries_at(scenario, "s0") == [scenario.deliveries["d0"]]  # the original's


def test_gpus_per_rack_change_gpus_not_the_schedule() -> None:
    """Racks of 8 GPUs follow the same dates as racks of 72: lots, not GPUs, drive the run."""
    big, small = (sim.run(load_text(portfolio(2, g)).scenario) for g in (72, 8))
    assert (
        big.summary["contracts"]["c1"]["tranches"] == small.summary["contracts"]["c1"]["tranches"]
    )
    pd.testing.assert_series_equal(big.timeline["racks_online"], small.timeline["racks_online"])
    assert big.timeline["gpus_online"].max() > 100_000
    np.testing.assert_allclose(
        big.timeline["gpus_online"], 9 * small.timeline["gpus_online"], rtol=1e-12
    )


def test_paused_gc_nests_and_restores() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause leaves the outer one in force
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()


PAUSE_SCRIPT = """
import gc, weakref
from sim.gcpause import paused_gc

class Node:
    pass

def cycle():
    node = Node()
    node.me = node
    return weakref.ref(node)

with paused_gc():
    built = [Node() for _ in range(1000)]
    garbage = cycle()
young = gc.get_count()[0]
frozen = gc.get_freeze_count()
alive = garbage() is not None
gc.collect()
print(gc.isenabled(), young < 1000, frozen == 0, alive, garbage() is None)
with paused_gc(keep=True):
    kept = [Node() for _ in range(1000)]
    garbage = cycle()
print(gc.isenabled(), gc.get_freeze_count() >= 1000, garbage() is None)
"""


def test_a_pause_leaves_its_objects_old_and_a_kept_pause_frozen() -> None:
    """After `paused_gc()` the block's objects are in the oldest generation, not the young
    one that the next collection walks, and its cyclic garbage is freed by a full
    collection; after `paused_gc(keep=True)` (a command's objects, alive until the process
    ends) its garbage is freed at once and what lives on is frozen out of every collection.
    In a child process: freezing is for good."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", PAUSE_SCRIPT], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.split("\n")[:2] == ["True True True True True", "True True True"]


@pytest.mark.slow
def test_five_thousand_generated_sites_validate() -> None:
    """A 5,000-site portfolio written out (over 200,000 YAML values, no alias) loads whole."""
    scenario = load_text(portfolio(5000)).scenario
    assert len(scenario.sites) == len(scenario.contracts) == len(scenario.deliveries) == 5000
    assert contract_halls(scenario)["c4999"] == ("a", "b")
    assert [d.site for d in deliveries_at(scenario, "s4999")] == ["s4999"]


def test_the_console_lists_twenty_contracts_and_counts_the_rest(tmp_path: Path) -> None:
    """`dcsim run` on 25 sites: a line for each of the first 20 contracts, then how many more
    there are; summary.json has all 25, and nothing goes to stderr."""
    path = tmp_path / "s25.yaml"
    path.write_text(portfolio(25))
    done = dcsim("run", path, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    contracts = [line for line in lines if line.startswith("  c") and "(gpu_cloud)" in line]
    assert [line.split()[0] for line in contracts] == [f"c{i}" for i in range(20)]
    assert "  ... 5 more contracts in summary.json" in lines
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert len(summary["contracts"]) == 25
