"""Comparisons that show the risk: tranche P50/P80 dates and on-time probabilities per run,
paired deltas in days and dollars with P10/P50/P90, and ties counted as ties."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.compare import compare
from sim.runner import RunOptions
from sim.scenario.loader import load_file
from tests.helpers import STORY, dcsim

DAILY = 14 * 72 * 24.0  # the story's revenue per day once all 14 racks are online


def story_file(folder: Path, name: str, crews: int) -> Path:
    data = yaml.safe_load(yaml.safe_dump(STORY))
    data["sites"]["s"]["crews"]["count"] = crews
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    return (
        story_file(tmp_path, "one_crew", 1),
        story_file(tmp_path, "two_crews", 2),
        story_file(tmp_path, "one_crew_again", 1),
    )


def test_paired_deltas_in_days_and_dollars(files: tuple[Path, Path, Path]) -> None:
    one, two, same = files
    runs = {"one_crew": load_file(one), "two_crews": load_file(two), "same": load_file(same)}
    comparison = compare(runs, RunOptions(3, seed=2))
    # Two crews install both lots of 7 racks in the same week: every rack is online on
    # 20 Feb instead of 27 Feb, and bills 7 days more (half the racks: 3.5 rack-days' worth).
    tranches = comparison.tranches.set_index("variant")
    assert tranches.loc["one_crew", "p50"] == dt.date(2026, 2, 27)
    assert tranches.loc["one_crew", "p80"] == dt.date(2026, 2, 27)
    assert tranches.loc["two_crews", "p80"] == dt.date(2026, 2, 20)
    assert tranches.loc["two_crews", "p_on_time"] == 1.0
    risk = comparison.risk.set_index(["variant", "kpi"])
    full = risk.loc[("two_crews", "c.full_delivery")]
    assert (full.unit, full.delta_p10, full.delta_p50, full.delta_p90) == ("days", -7, -7, -7)
    assert (full.base_p50, full.p50) == ("2026-02-27", "2026-02-20")
    assert (full.p_better, full.p_same, full.p_worse, full.verdict) == (1.0, 0.0, 0.0, "better")
    revenue = risk.loc[("two_crews", "c.revenue_usd")]
    assert revenue.unit == "usd"
    assert revenue.delta_p50 == pytest.approx(3.5 * DAILY)
    # An identical run: every delta is a tie, so nothing is better or worse: "same".
    ties = risk.loc["same"]
    assert (ties["verdict"] == "same").all()
    assert (ties["p_same"] == 1.0).all()
    assert (ties["p_better"] == 0.0).all()
    assert (ties["p_worse"] == 0.0).all()
    # The wide table says so too, with P(same) next to P(better).
    wide = comparison.table.set_index("variant")
    assert wide.loc["same", "c.full_delivery.p_same"] == 1.0
    assert wide.loc["two_crews", "c.full_delivery.p_better"] == 1.0


def test_dcsim_compare_prints_and_writes_the_risk(
    files: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    one, two, _ = files
    out = tmp_path / "cmp"
    done = dcsim("compare", one, two, "-n", "3", "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert (
        "    c tranche 1 due 2026-03-01: one_crew 100% 2026-02-27 2026-02-27; "
        "two_crews 100% 2026-02-20 2026-02-20"
    ) in lines
    assert "  two_crews against the base, paired over 3 replications:" in lines
    assert (
        "    c.full_delivery: −7 d at P50 (P10 −7 d, P90 −7 d); "
        "P(better) 100%, P(same) 0%, P(worse) 0%"
    ) in lines
    risk = pd.read_csv(out / "risk.csv")
    assert list(risk.columns[:4]) == ["variant", "kpi", "unit", "better_when"]
    assert set(pd.read_csv(out / "tranches.csv")["variant"]) == {"one_crew", "two_crews"}


def test_dcsim_compare_says_same_when_nothing_differs(
    files: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    one, _, same = files
    done = dcsim("compare", one, same, "-n", "2", "--out", tmp_path / "cmp")
    assert done.returncode == 0, done.stderr
    assert "    c.full_delivery: same in every replication" in done.stdout.splitlines()
    assert "    npv_usd: same in every replication" in done.stdout.splitlines()


def test_the_compare_progress_bar_names_each_run(
    files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    one, two, _ = files
    compare(
        {"one_crew": load_file(one), "two_crews": load_file(two)},
        RunOptions(2, seed=1, progress=True),
    )
    err = capsys.readouterr().err
    assert "one_crew: replications" in err
    assert "two_crews: replications" in err
