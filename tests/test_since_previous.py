"""A status update's run says what moved since the file it imports: through `dcsim run` on
the shipped status file, each figure checked against a separate run of the imported file
with the same seed and replications."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim
from sim.outputs.headline import moves, since_sentence
from tests.helpers import SCENARIOS, dcsim

STATUS = SCENARIOS / "iren_childress_2026-06-30.yaml"
BASE = SCENARIOS / "iren_childress.yaml"


def run_cli(path: Path, out: Path, *extra: str) -> tuple[str, dict[str, Any]]:
    done = dcsim("run", path, "--out", out, *extra)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def days_between(before: str, now: str) -> int:
    return (dt.date.fromisoformat(now) - dt.date.fromisoformat(before)).days


def test_a_deterministic_status_run_says_how_far_each_tranche_moved(tmp_path: Path) -> None:
    stdout, summary = run_cli(STATUS, tmp_path / "status")
    _, base = run_cli(BASE, tmp_path / "base")
    changes = summary["since_previous"]
    assert changes["previous"] == "iren_childress"
    assert changes["file"] == "iren_childress.yaml"
    assert (changes["as_of"], changes["previous_as_of"]) == ("2026-06-30", None)
    now = summary["contracts"]["microsoft"]["tranches"]
    before = base["contracts"]["microsoft"]["tranches"]
    assert len(changes["tranches"]) == len(now) == 4
    for row, t_now, t_before in zip(changes["tranches"], now, before, strict=True):
        assert row["plan"] == {
            "from": t_before["delivered"],
            "to": t_now["delivered"],
            "days": days_between(t_before["delivered"], t_now["delivered"]),
        }
        assert "p50" not in row  # no replications: plan dates only
    # Horizon 1 finished later than planned and the racks are not accepted by June 30:
    # the first tranche is later than in the announcement-time plan.
    first = changes["tranches"][0]["plan"]
    assert first["days"] > 0
    assert "  Since iren_childress:" in stdout
    assert f"    microsoft tranche 1 plan {first['to']} (+{first['days']} d)" in stdout
    report = (tmp_path / "status" / "report.html").read_text(encoding="utf-8")
    assert f"Since iren_childress: microsoft tranche 1 plan {first['to']}" in report


def test_with_replications_the_bands_and_chances_moved_are_those_of_the_two_runs(
    tmp_path: Path,
) -> None:
    stdout, summary = run_cli(STATUS, tmp_path / "status", "-n", "20", "--seed", "3")
    run_cli(BASE, tmp_path / "base", "-n", "20", "--seed", "3")
    now = pd.read_csv(tmp_path / "status" / "on_time.csv")
    before = pd.read_csv(tmp_path / "base" / "on_time.csv")
    for row in summary["since_previous"]["tranches"]:
        a = before[before["tranche"] == row["tranche"]].iloc[0]
        b = now[now["tranche"] == row["tranche"]].iloc[0]
        for q in ("p50", "p80"):
            assert row[q] == {"from": a[q], "to": b[q], "days": days_between(a[q], b[q])}
        assert row["p_on_time"]["from"] == pytest.approx(a["p_on_time"])
        assert row["p_on_time"]["to"] == pytest.approx(b["p_on_time"])
    lines = [line.strip() for line in stdout.splitlines()]
    assert lines[lines.index("Since iren_childress:") + 1 :][
        : len(moves(summary["since_previous"]))
    ] == moves(summary["since_previous"])


def test_a_scenario_without_status_or_run_from_an_object_is_not_compared() -> None:
    assert "since_previous" not in sim.run(BASE).summary
    assert "since_previous" not in sim.run(sim.load(STATUS)).summary


def test_the_sentence_leaves_out_what_did_not_move_and_names_new_contracts() -> None:
    unmoved = {"from": "2026-09-30", "to": "2026-09-30", "days": 0}
    changes = {
        "previous": "cipher",
        "file": "cipher.yaml",
        "previous_as_of": None,
        "tranches": [
            {"contract": "aws", "tranche": 1, "plan": unmoved},
            {
                "contract": "aws",
                "tranche": 2,
                "plan": unmoved,
                "p50": {"from": "2026-12-01", "to": "2026-12-11", "days": 10},
                "p80": {"from": "2026-12-20", "to": None, "days": None},
                "p_on_time": {"from": 0.5, "to": 0.25, "change": -0.25},
            },
        ],
        "new_contracts": ["aws_stingray"],
    }
    assert since_sentence(changes) == (
        "Since cipher: aws tranche 2 P50 2026-12-11 (+10 d), P80 not in horizon (was "
        "2026-12-20), on time 50% → 25%; new contract: aws_stingray."
    )
    nothing = {**changes, "tranches": changes["tranches"][:1], "new_contracts": []}
    assert since_sentence(nothing) == "Since cipher: no tranche date or probability moved."


def test_an_override_the_imported_file_cannot_take_is_said_not_hidden(tmp_path: Path) -> None:
    # The lease signed since (aws_stingray) is not in cipher.yaml: the comparison is skipped
    # and the run says why.
    stdout, summary = run_cli(
        SCENARIOS / "cipher_2026-06-30.yaml",
        tmp_path / "out",
        "--set",
        "contracts.aws_stingray.term=10y",
    )
    changes = summary["since_previous"]
    assert changes["file"] == "cipher.yaml"
    assert changes["skipped"].startswith("the previous file does not take this run's overrides")
    assert f"  Not compared with cipher.yaml: {changes['skipped']}." in stdout.splitlines()
