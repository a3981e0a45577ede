"""Determinism: the same inputs and seed give byte-identical result files (the manifest's
timestamp aside), across repeated runs, job counts and executors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sim
from tests.helpers import SCENARIOS, dcsim

SCENARIO = SCENARIOS / "iren_childress.yaml"


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def same_results(a: Path, b: Path) -> None:
    left, right = files(a), files(b)
    assert sorted(left) == sorted(right)
    for name in left:
        if name == "manifest.json":
            strip = [json.loads(x) for x in (left[name], right[name])]
            for m in strip:
                m.pop("created_utc")
            assert strip[0] == strip[1]
        else:
            assert left[name] == right[name], f"{name} differs"


def test_repeated_runs_and_job_counts_give_identical_files(tmp_path: Path) -> None:
    runs = [("one", "1"), ("again", "1"), ("two", "2")]
    for name, jobs in runs:
        result = dcsim(
            "run", SCENARIO, "-n", "16", "--seed", "5", "--jobs", jobs, "--out", tmp_path / name
        )
        assert result.returncode == 0, result.stderr
    same_results(tmp_path / "one", tmp_path / "again")
    same_results(tmp_path / "one", tmp_path / "two")


def test_the_dask_executor_writes_identical_files(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    assert (
        dcsim("run", SCENARIO, "-n", "16", "--seed", "5", "--out", tmp_path / "local").returncode
        == 0
    )
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0"
    ) as cluster:
        result = sim.run(
            str(SCENARIO),
            replications=16,
            seed=5,
            executor="dask",
            scheduler=cluster.scheduler_address,
        )
    sim.write_run(result, tmp_path / "dask")
    same_results(tmp_path / "local", tmp_path / "dask")
