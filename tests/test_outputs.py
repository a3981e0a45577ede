"""The run folder: every file, its columns, round trips, and all-or-nothing writing."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.image import imread

import sim
from sim.outputs.files import OutputError, write_atomically
from tests.helpers import EXAMPLE_PLOTS, SCENARIOS

EXAMPLE = SCENARIOS / "example.yaml"
REQUIRED_TIMELINE = [
    "date",
    "site",
    "grid_mw",
    "ready_it_mw",
    "ai_it_mw",
    "mining_mw",
    "facility_mw",
    "racks_delivered",
    "racks_waiting",
    "racks_installed",
    "racks_online",
    "gpus_online",
    "power_utilization",
    "revenue_usd",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sim.write_run(sim.run(EXAMPLE), tmp_path_factory.mktemp("runs") / "example")


def test_run_folder_holds_every_output(folder: Path) -> None:
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "timeline.csv",
        "timeline.parquet",
        "contracts.csv",
        "events.csv",
        "summary.json",
        "scenario.yaml",
        "manifest.json",
        "overrides.json",
        "plots",
        "report.html",
    }
    assert sorted(p.name for p in (folder / "plots").iterdir()) == EXAMPLE_PLOTS
    for png in (folder / "plots").iterdir():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        pixels = imread(png)[..., :3].mean(axis=2)
        assert (pixels < 0.9).mean() > 0.02, png.name  # a drawn chart, not an empty canvas


def test_timeline_files_agree_and_have_the_required_columns(folder: Path) -> None:
    csv = pd.read_csv(folder / "timeline.csv")
    parquet = pd.read_parquet(folder / "timeline.parquet")
    assert csv.columns[: len(REQUIRED_TIMELINE)].tolist() == REQUIRED_TIMELINE
    assert list(parquet.columns) == list(csv.columns)
    assert set(csv["site"]) == {"north", "south", "all"}
    numeric = csv.columns.drop(["date", "site"])
    pd.testing.assert_frame_equal(
        csv[numeric].astype(float), parquet[numeric].astype(float), check_exact=False, atol=1e-5
    )


def test_contract_and_event_tables(folder: Path) -> None:
    contracts = pd.read_csv(folder / "contracts.csv")
    assert contracts.columns.tolist()[:5] == [
        "date",
        "contract",
        "unit",
        "units_due",
        "units_delivered",
    ]
    assert "revenue_usd" in contracts.columns
    assert set(contracts["unit"]) == {"racks", "mw_it"}
    events = pd.read_csv(folder / "events.csv")
    assert events.columns.tolist() == [
        "date",
        "site",
        "kind",
        "name",
        "tranche",
        "milestone",
        "quantity",
    ]
    assert events["date"].is_monotonic_increasing


def test_summary_names_units_and_constraints(folder: Path) -> None:
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["contracts"]["acme_cloud"]["unit"] == "racks"
    assert summary["contracts"]["tenant_lease"]["unit"] == "mw_it"
    assert set(summary["binding_constraint"]) == {"north", "south", "all"}
    allowed = {"grid", "hall", "delivery", "crews", "none"}
    for months in summary["binding_constraint"].values():
        assert set(months.values()) <= allowed
    assert summary["peak_facility_mw"]["all"]["mw"] > 0


def test_manifest_identifies_the_input(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["dcsim_version"] == sim.__version__
    assert manifest["input_sha256"] == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert manifest["seed"] is None


def test_resolved_scenario_round_trips_to_the_same_result(folder: Path) -> None:
    again = sim.run(folder / "scenario.yaml")
    first = sim.run(EXAMPLE)
    assert again.scenario == first.scenario
    pd.testing.assert_frame_equal(again.timeline, first.timeline)


def test_a_non_empty_folder_is_refused_without_force(folder: Path) -> None:
    (folder / "stale.txt").write_text("from an older run")
    with pytest.raises(OutputError, match="already holds files; use --force"):
        sim.write_run(sim.run(EXAMPLE), folder)
    assert (folder / "stale.txt").exists()
    sim.write_run(sim.run(EXAMPLE), folder, force=True)
    assert not (folder / "stale.txt").exists()  # replaced whole, not merged
    assert (folder / "summary.json").exists()
    assert not list(folder.parent.glob(".example.*"))  # no staging or backup left


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    def fill(staging: Path) -> None:
        (staging / "timeline.csv").write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomically(tmp_path / "run", force=False, fill=fill)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_forced_write_keeps_the_previous_result(tmp_path: Path) -> None:
    target = tmp_path / "run"
    target.mkdir()
    (target / "summary.json").write_text("previous")

    def fill(staging: Path) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_atomically(target, force=True, fill=fill)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert (target / "summary.json").read_text() == "previous"


def _ended_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_what_runs_killed_outright_left_beside_a_folder_goes_with_the_next_run_into_it(
    tmp_path: Path,
) -> None:
    host = socket.gethostname()
    dead, live = _ended_pid(), os.getppid()
    left = {  # name -> removed by the next write into "run"
        f".run.{host}.{dead}.0a1b2c3d.partial": True,  # killed while it wrote
        f".run.{host}.{dead}.4e5f6a7b.old": True,  # killed between the renames
        f".run.{host}.{live}.0a1b2c3d.partial": False,  # a run still writing
        f".run.other-host.{dead}.0a1b2c3d.partial": False,  # cannot be told from here
        f".other.{host}.{dead}.0a1b2c3d.partial": False,  # another folder's
        f".run.{host}.{dead}.notes.partial": False,  # not a name dcsim gives
        ".run.notes": False,
    }
    for name in left:
        (tmp_path / name).mkdir()
        (tmp_path / name / "timeline.csv").write_text("half")

    write_atomically(tmp_path / "run", force=False, fill=lambda s: (s / "a").write_text("x"))

    kept = {p.name for p in tmp_path.iterdir()}
    assert kept == {"run"} | {name for name, removed in left.items() if not removed}
    assert (tmp_path / "run" / "a").read_text() == "x"
