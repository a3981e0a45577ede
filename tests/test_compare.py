"""Comparisons: deltas against the base, paired by common random numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.compare import compare
from sim.outputs.files import write_comparison
from sim.runner import RunOptions
from sim.scenario.loader import load_all, load_file, load_text
from tests.helpers import SCENARIOS


@pytest.fixture(scope="module")
def iren() -> dict:
    runs = load_all(SCENARIOS / "iren_childress.yaml")
    return {"base": runs[None], **{k: v for k, v in runs.items() if k}}


def test_a_variant_identical_to_the_base_has_zero_deltas() -> None:
    text = (SCENARIOS / "example.yaml").read_text() + (
        "\nvariants:\n  same:\n    sites.north.crews.count: 2\n"
    )
    runs = {"base": load_text(text), "same": load_text(text, variant="same")}
    table = compare(runs, RunOptions(8, seed=3)).table.set_index("variant")
    deltas = table.filter(like=".delta").loc["same"].dropna()
    assert len(deltas) > 10
    assert (deltas == 0).all(), deltas[deltas != 0]
    p_better = table.filter(like=".p_better").loc["same"].dropna()
    assert (p_better == 0).all()


def test_dell_late_never_delivers_ahead_of_the_base_and_is_behind_somewhere(iren: dict) -> None:
    runs = {"base": iren["base"], "dell_60d_late": iren["dell_60d_late"]}
    comparison = compare(runs, RunOptions(20, seed=4))
    base = comparison.results["base"].monte_carlo.replications
    late = comparison.results["dell_60d_late"].monte_carlo.replications
    dates = [c for c in base.columns if c.endswith((".delivered", ".full_delivery"))]
    for column in dates:
        ahead = late[column] < base[column]
        assert not ahead.any(), column
    behind = [(late[c] > base[c]).any() for c in dates]
    assert any(behind)
    row = comparison.table.set_index("variant").loc["dell_60d_late"]
    assert row["microsoft.full_delivery.delta"] >= 0
    assert row["microsoft.full_delivery.p_better"] == 0


def test_comparison_folder(iren: dict, tmp_path: Path) -> None:
    comparison = compare(iren)
    folder = write_comparison(comparison, tmp_path / "cmp")
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "comparison.csv",
        "overrides.json",
        "summaries.json",
        "manifest.json",
        "plots",
        "report.html",
    }
    assert {p.name for p in (folder / "plots").iterdir()} == {
        "overlay_gpus.png",
        "overlay_ai_mw.png",
        "overlay_revenue.png",
        "gantt.png",
    }
    table = pd.read_csv(folder / "comparison.csv")
    assert list(table["variant"]) == [
        "base",
        "dell_60d_late",
        "one_crew_fewer",
        "horizons_3_4_in_parallel",
    ]
    parallel = table.set_index("variant").loc["horizons_3_4_in_parallel"]
    assert parallel["microsoft.full_delivery.delta"] < 0  # Horizon 4 no longer waits
    overrides = json.loads((folder / "overrides.json").read_text())
    assert overrides["one_crew_fewer"] == [
        {"path": "sites.childress.crews.count", "old": 6, "new": 5, "by": "variant one_crew_fewer"}
    ]


def test_two_files_compare_the_same_way(tmp_path: Path) -> None:
    a = SCENARIOS / "example.yaml"
    b = tmp_path / "example_more_crews.yaml"
    b.write_text(a.read_text().replace("crews: {count: 2,", "crews: {count: 3,"))
    comparison = compare({"example": load_file(a), "example_more_crews": load_file(b)})
    row = comparison.table.set_index("variant").loc["example_more_crews"]
    assert row["acme_cloud.full_delivery.delta"] <= 0


def test_comparison_report_with_replications(tmp_path: Path) -> None:
    runs = load_all(SCENARIOS / "cipher.yaml")
    comparison = compare(
        {"base": runs[None], "colchis_year_late": runs["colchis_year_late"]}, RunOptions(6, seed=1)
    )
    folder = write_comparison(comparison, tmp_path / "cmp")
    page = (folder / "report.html").read_text()
    assert "P(better)" in page
    table = pd.read_csv(folder / "comparison.csv").set_index("variant")
    assert table.loc["colchis_year_late", "idle_mw_days.delta"] < 0  # a year less of idle MW
