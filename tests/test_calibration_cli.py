"""`dcsim priors fit`, `dcsim priors backtest` and `dcsim score`, through the real entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import TypeAdapter

from sim.scenario.schema.distributions import DurationDist
from tests.helpers import SCENARIOS


def dcsim(*args: str | Path) -> subprocess.CompletedProcess[str]:
    found = shutil.which("dcsim", path=str(Path(sys.executable).parent)) or shutil.which("dcsim")
    if found is None:
        pytest.fail("the dcsim console script is not installed; run `pip install -e '.[test]'`")
    return subprocess.run(
        [found, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning:sim"},
    )


ON_TIME = """\
contract,tranche,due,p_on_time,p10,p50,p90
acme,1,2026-06-30,0.8,2026-06-01,2026-06-20,2026-07-20
acme,2,2026-09-30,0.3,2026-10-01,2026-11-01,
"""


def test_score_prints_and_writes_each_milestone(tmp_path: Path) -> None:
    folder = tmp_path / "mc"
    folder.mkdir()
    (folder / "on_time.csv").write_text(ON_TIME)
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(
        "contract,tranche,actual,actual_from,actual_to,censored_after\n"
        "acme,1,2026-06-25,,,\n"
        "acme,2,,,,2026-12-31\n"
    )
    result = dcsim("score", folder, actuals)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "note: P80 left blank: on_time.csv has none and there is no replications.parquet" in (
        result.stdout
    )
    assert "coverage of the 80% band: 100% of 1 settled" in result.stdout
    table = pd.read_csv(folder / "score.csv")
    assert table["actual"].tolist() == ["2026-06-25", "after 2026-12-31"]
    assert table["on_time"].tolist() == [1, 0]
    # acme 2: P90 is "not within the horizon", so a milestone still open is not outside it.
    assert table["inside_80"].isna().tolist() == [False, True]
    overall = json.loads((folder / "score.json").read_text())
    assert overall["mean_brier"] == pytest.approx((0.2**2 + 0.3**2) / 2)


def test_score_computes_p80_from_the_replications(tmp_path: Path) -> None:
    out = tmp_path / "mc"
    run = dcsim("run", SCENARIOS / "example.yaml", "-n", "20", "--out", out)
    assert run.returncode == 0, run.stderr
    actuals = tmp_path / "actuals.csv"
    actuals.write_text("contract,tranche,actual\nacme_cloud,1,2026-12-02\n")
    written = pd.read_csv(out / "on_time.csv")
    assert list(written.columns[-4:]) == ["p10", "p50", "p80", "p90"]  # a run writes P80 now
    result = dcsim("score", out, actuals, "--out", tmp_path / "new")
    assert "P80 computed" not in result.stdout
    assert (
        pd.read_csv(tmp_path / "new" / "score.csv")["p80"].tolist()[:1]
        == written["p80"][:1].tolist()
    )
    written.drop(columns="p80").to_csv(out / "on_time.csv", index=False)  # a folder from before
    result = dcsim("score", out, actuals, "--out", tmp_path / "score")
    assert result.returncode == 0, result.stderr
    assert "P80 computed from replications.parquet" in result.stdout
    table = pd.read_csv(tmp_path / "score" / "score.csv")
    assert (table["p50"] <= table["p80"]).all()
    assert (table["p80"] <= table["p90"]).all()
    reps = pd.read_parquet(out / "replications.parquet")
    assert table.loc[0, "p80"] == str(
        reps["acme_cloud.tranche_1.delivered"].quantile(0.8, interpolation="lower").date()
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("contract,tranche,actual\nacme,1,2026-06-25\nacme,x,2026-06-25\n", ":3: (row): tranche"),
        (
            "contract,tranche,actual,censored_after\nacme,1,2026-06-25,2026-06-01\n",
            ":2: (row): give one outcome",
        ),
        ("contract,tranche,actual\nzeta,1,2026-06-25\n", "zeta tranche 1: is not in the forecast"),
    ],
)
def test_bad_actuals_exit_2_with_where_and_what(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "on_time.csv").write_text(ON_TIME)
    (tmp_path / "a.csv").write_text(text)
    result = dcsim("score", tmp_path, tmp_path / "a.csv")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_score_needs_a_monte_carlo_folder(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("contract,tranche,actual\nacme,1,2026-06-25\n")
    result = dcsim("score", tmp_path, tmp_path / "a.csv")
    assert result.returncode == 2
    assert "has no on_time.csv" in result.stderr
    assert "dcsim run SCENARIO -n 1000" in result.stderr


def test_priors_fit_writes_distributions_to_paste_and_a_plot(tmp_path: Path) -> None:
    records = tmp_path / "ours.csv"
    records.write_text(
        "id,kind,deadline,actual,actual_from,actual_to,censored_after\n"
        "a,hall,2026-01-31,2026-01-21,,,\n"
        "b,hall,2026-03-31,2026-04-30,,,\n"
        "c,hall,2026-06-30,,2026-07-01,2026-09-30,\n"
        "d,hall,2026-06-30,,,,2026-08-31\n"
        "e,hall,2026-06-30,2026-06-30,,,\n"
    )
    result = dcsim("priors", "fit", records)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "hall: normal mean" in result.stdout
    fragment = yaml.safe_load((tmp_path / "ours.priors.yaml").read_text())
    assert set(fragment) == {"any_buildout", "hall"}
    for spec in fragment.values():
        TypeAdapter(DurationDist).validate_python(spec)  # pastes as a valid `slip:`
    assert (tmp_path / "ours.fit.png").read_bytes()[:4] == b"\x89PNG"


def test_priors_fit_of_a_bad_file_exits_2(tmp_path: Path) -> None:
    records = tmp_path / "ours.csv"
    records.write_text("id,kind,planned\na,hall,2026\n")
    result = dcsim("priors", "fit", records)
    assert result.returncode == 2
    assert "ours.csv:1: (header): no column deadline" in result.stderr


def test_priors_backtest_reports_the_leave_one_out_scores() -> None:
    result = dcsim("priors", "backtest")
    assert result.returncode == 0, result.stderr
    assert "coverage of the 80% band: 60% of 5 settled" in result.stdout
    assert "mean Brier score: 0.319 over 6 settled" in result.stdout


def test_score_problems_with_the_folders_exit_2(tmp_path: Path) -> None:
    (tmp_path / "on_time.csv").write_text("contract,tranche,due\nacme,1,2026-06-30\n")
    (tmp_path / "a.csv").write_text("contract,tranche,actual\nacme,1,2026-06-25\n")
    result = dcsim("score", tmp_path, tmp_path / "a.csv")
    assert result.returncode == 2
    assert "on_time.csv:1: (header): no column p_on_time, p10, p50, p90" in result.stderr
    (tmp_path / "on_time.csv").write_text(ON_TIME)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    result = dcsim("score", tmp_path, tmp_path / "a.csv", "--out", blocked)
    assert result.returncode == 2
    assert "a-file: (folder): cannot be written" in result.stderr


def test_too_few_records_to_fit_exit_2(tmp_path: Path) -> None:
    records = tmp_path / "ours.csv"
    records.write_text("id,kind,deadline,actual\na,hall,2026-01-31,2026-02-03\n")
    result = dcsim("priors", "fit", records)
    assert result.returncode == 2
    assert "ours.csv: (fit): 1 records with an actual date or range cannot fit" in result.stderr


def test_help_lists_the_calibration_commands() -> None:
    result = dcsim("--help")
    assert result.returncode == 0
    assert "priors" in result.stdout
    assert "score" in result.stdout
