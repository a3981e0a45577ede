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
        (
            "contract,tranche,actual\nacme,1,2026-06-25\nacme,x,2026-06-25\n",
            ":3: tranche: 'x' is not a whole number",
        ),
        (
            "contract,tranche,actual,censored_after\nacme,1,2026-06-25,2026-06-01\n",
            ":2: actual: give one outcome",
        ),
        (
            "contract,tranche,actual\nzeta,1,2026-06-25\n",
            "a.csv:2: contract: no contract 'zeta' in the forecast; valid names: `acme`",
        ),
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


def problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The problems a command that exits 2 reports, one a line, and nothing else."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    *lines, count = result.stderr.splitlines()
    assert count == f"{len(lines)} problem{'' if len(lines) == 1 else 's'} found."
    return lines


HEADER = "id,kind,deadline,actual,actual_from,actual_to,censored_after\n"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "a,hall,2026-01-31,2026-02-03,,,\n",
            "(fit): 1 dated record is too few to fit a centre and a spread: that needs at "
            "least 2 with an actual date or range; add records with an actual date or range",
        ),
        (
            "a,hall,2026-01-31,2026-02-03,,,\nb,hall,2026-01-31,,,,2026-03-01\n",
            "(fit): 2 dated records, 1 with an actual date or range, are too few to fit a centre "
            "and a spread: that needs at least 2 with an actual date or range; add records with "
            "an actual date or range",
        ),
        (
            # Two of kind A give it a centre; B, censored only, needs a centre of its own.
            "a,A,2026-01-31,2026-02-03,,,\nb,A,2026-03-31,2026-04-13,,,\n"
            "c,B,2026-03-31,,,,2026-04-13\n",
            "(fit): 3 dated records, 2 with an actual date or range, are too few to fit 2 "
            "centres (A, the thin kinds) and a spread: that needs at least 3 with an actual date "
            "or range; add records with an actual date or range, or give fewer kinds",
        ),
        (
            "a,hall,2026-01-31,,,,\n",
            "(fit): no dated records to fit; give records an actual date, a range (actual_from "
            "and actual_to) or censored_after",
        ),
    ],
)
def test_too_few_records_to_fit_exit_2(tmp_path: Path, rows: str, message: str) -> None:
    records = tmp_path / "ours.csv"
    records.write_text(HEADER + rows)
    assert problems(dcsim("priors", "fit", records)) == [f"{records}: {message}"]


@pytest.mark.parametrize(
    ("rows", "have"),
    [
        ("", "1 dated record is"),
        ("b,hall,2026-03-31,2026-04-03,,,\n", "2 dated records are"),
        (
            "b,hall,2026-03-31,2026-04-03,,,\nc,hall,2026-03-31,,,,2026-04-30\n",
            "3 dated records, 2 with an actual date or range, are",
        ),
    ],
)
def test_a_backtest_of_too_few_records_names_the_file(tmp_path: Path, rows: str, have: str) -> None:
    records = tmp_path / "ours.csv"
    records.write_text(HEADER + "a,hall,2026-01-31,2026-02-03,,,\n" + rows)
    assert problems(dcsim("priors", "backtest", records)) == [
        f"{records}: (backtest): {have} too few for a leave-one-out backtest: each record is "
        "forecast from a fit to the others, so it needs at least 3 with an actual date or "
        "range; add records with an actual date or range"
    ]


def test_a_backtest_names_each_record_whose_leaving_out_leaves_too_few(tmp_path: Path) -> None:
    records = tmp_path / "ours.csv"
    records.write_text(
        HEADER + "a,A,2026-01-31,2026-02-03,,,\nb,A,2026-03-31,2026-04-13,,,\n"
        "c,A,2026-03-31,2026-04-23,,,\nd,B,2026-03-31,,,,2026-04-13\n"
    )
    assert dcsim("priors", "fit", records).returncode == 0  # all four fit
    # Without a, b or c, kind A has two records left for a centre, and B needs one too.
    assert problems(dcsim("priors", "backtest", records)) == [
        f"{records}:{line}: (backtest): with record {name} left out, the others cannot be "
        "fitted: 3 dated records, 2 with an actual date or range, are too few to fit 2 centres "
        "(A, the thin kinds) and a spread: that needs at least 3 with an actual date or range; "
        "add records with an actual date or range, or give fewer kinds"
        for line, name in [(2, "a"), (3, "b"), (4, "c")]
    ]


def test_every_bad_record_is_reported_at_once(tmp_path: Path) -> None:
    records = tmp_path / "ours.csv"
    records.write_text(
        HEADER + "a,hall,2026-13-31,2026-02-30,,,\n"  # two bad dates in one row
        "b,hall,2026-01-31,2026-02-03,,,\n"
        "b,,2026-01-31\n"  # the same id, no kind, and a short row
        ",hall,,,2026-03-01,2026-02-01,\n"
    )
    where = f"{records}:"
    expected = [
        f"{where}2: deadline: '2026-13-31' is not a date; write YYYY-MM-DD",
        f"{where}2: actual: '2026-02-30' is not a date; write YYYY-MM-DD",
        f"{where}4: id: 'b' is also the id on line 3; give each record an id of its own",
        f"{where}4: kind: no kind; give the kind of milestone (first_phase, ...)",
        f"{where}5: id: no id; give each record an id of its own",
        f"{where}5: deadline: no deadline; write the planned date, YYYY-MM-DD",
        f"{where}5: actual_to: a range needs actual_from <= actual_to",
    ]
    assert problems(dcsim("priors", "fit", records)) == expected
    assert problems(dcsim("priors", "backtest", records)) == expected


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ("zeta,1,2026-06-25", "contract: no contract 'zeta' in the forecast; valid names: `acme`"),
        ("acme,2,2026-02-30", "actual: '2026-02-30' is not a date; write YYYY-MM-DD"),
    ],
)
def test_score_reports_both_of_two_bad_actuals_rows(
    tmp_path: Path, second: str, message: str
) -> None:
    (tmp_path / "on_time.csv").write_text(ON_TIME)
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(f"contract,tranche,actual\nacme,1,2026-13-02\n{second}\n")
    assert problems(dcsim("score", tmp_path, actuals)) == [
        f"{actuals}:2: actual: '2026-13-02' is not a date; write YYYY-MM-DD",
        f"{actuals}:3: {message}",
    ]


def test_an_actuals_row_is_located_in_a_file_from_a_spreadsheet(tmp_path: Path) -> None:
    (tmp_path / "on_time.csv").write_text(ON_TIME)
    actuals = tmp_path / "actuals.csv"  # a byte-order mark, and a blank line (line 3)
    actuals.write_bytes(
        b"\xef\xbb\xbfcontract,tranche,actual\nacme,1,2026-06-25\n\nacme,2,2026-9-1\n"
    )
    assert problems(dcsim("score", tmp_path, actuals)) == [
        f"{actuals}:4: actual: '2026-9-1' is not a date; write YYYY-MM-DD"
    ]


def test_score_reports_every_bad_actuals_row_at_once(tmp_path: Path) -> None:
    (tmp_path / "on_time.csv").write_text(ON_TIME)
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(
        "contract,tranche,actual,actual_from,actual_to,censored_after\n"
        "acme,1,2026-13-02,,,\n"  # a bad date
        "zeta,1,2026-06-25,,,\n"  # a contract the forecast does not have
        "acme,2,2026-02-30,,,\n"  # another bad date
        "acme,3,,2026-05-01,2026-04-01,\n"  # a tranche it does not have; a reversed range
        "acme,x,2026-06-25,,,2026-06-01\n"  # not a tranche; two outcomes
        "acme,2,2026-06-25,,,\n"  # acme 2 again
        "acm,1,,,,\n"  # a misspelt contract; no outcome
    )
    where = f"{actuals}:"
    assert problems(dcsim("score", tmp_path, actuals)) == [
        f"{where}2: actual: '2026-13-02' is not a date; write YYYY-MM-DD",
        f"{where}3: contract: no contract 'zeta' in the forecast; valid names: `acme`",
        f"{where}4: actual: '2026-02-30' is not a date; write YYYY-MM-DD",
        f"{where}5: tranche: acme has no tranche 3 in the forecast; its tranches: 1, 2",
        f"{where}5: actual_to: actual_from 2026-05-01 is after actual_to 2026-04-01; give the "
        "range earliest first",
        f"{where}6: tranche: 'x' is not a whole number; give the tranche's number (1 for the "
        "first)",
        f"{where}6: actual: give one outcome: actual, or actual_from <= actual_to, or "
        "censored_after (not done by); see docs/calibration.md for the columns of an actuals "
        "file",
        f"{where}7: tranche: acme tranche 2 is also on line 4; give one row per tranche",
        f"{where}8: contract: no contract 'acm' in the forecast; did you mean `acme`?",
        f"{where}8: actual: give one outcome: actual, or actual_from <= actual_to, or "
        "censored_after (not done by); see docs/calibration.md for the columns of an actuals "
        "file",
    ]
    assert not (tmp_path / "score.csv").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "(header): no actuals"),
        (
            "tranche,actual_from,actual_to\n1,2026-06-01,2026-06-30\n",
            "(header): no column contract",
        ),
        (
            "contract,tranche,when\nacme,1,2026-06-25\n",
            "(header): no column actual (or actual_from and actual_to, or censored_after)",
        ),
        ("contract,tranche,actual\n", "(header): no actuals"),
    ],
)
def test_an_actuals_file_without_its_columns_or_rows_exits_2(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "on_time.csv").write_text(ON_TIME)
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(text)
    assert problems(dcsim("score", tmp_path, actuals)) == [
        f"{actuals}:1: {message}; see docs/calibration.md for the columns of an actuals file"
    ]


def test_score_reports_every_bad_forecast_row_at_once(tmp_path: Path) -> None:
    on_time = tmp_path / "on_time.csv"
    on_time.write_text(
        "contract,tranche,due,p_on_time,p10,p50,p90\n"
        "acme,1,2026-06-30,0.8,2026-13-01,2026-06-20,2026-07-20\n"
        "acme,x,2026-09-30,abc,2026-10-01,2026-11-01,\n"
        "acme,1,2026-06-30,1.5,2026-06-01,2026-06-20,2026-07-20\n"
    )
    actuals = tmp_path / "a.csv"
    actuals.write_text("contract,tranche,actual\nacme,1,2026-06-25\n")
    rerun = "rerun `dcsim run SCENARIO -n N --out DIR` rather than edit on_time.csv"
    assert problems(dcsim("score", tmp_path, actuals)) == [
        f"{on_time}:2: p10: '2026-13-01' is not a date; write YYYY-MM-DD, or leave it blank: "
        "not within the horizon",
        f"{on_time}:3: tranche: 'x' is not a whole number; give the tranche's number (1 for the "
        "first)",
        f"{on_time}:3: p_on_time: 'abc' is not a probability; write a number from 0 to 1",
        f"{on_time}:4: tranche: acme tranche 1 is also on line 2; {rerun}",
        f"{on_time}:4: p_on_time: '1.5' is not a probability; write a number from 0 to 1",
    ]
    on_time.write_text("")
    assert problems(dcsim("score", tmp_path, actuals)) == [
        f"{on_time}:1: (header): no column contract, tranche, due, p_on_time, p10, p50, p90; "
        "score the folder of a Monte Carlo run, as `dcsim run -n N` writes it"
    ]


def test_help_lists_the_calibration_commands() -> None:
    result = dcsim("--help")
    assert result.returncode == 0
    assert "priors" in result.stdout
    assert "score" in result.stdout
