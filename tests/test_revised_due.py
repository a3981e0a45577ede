"""Baseline and revised due dates: slips and on-time probabilities are reported against both;
money (late credits) follows the contracted baseline."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

import sim
from tests.helpers import STORY, dcsim, scenario_from

# The story's 14 racks are accepted Feb 20 (7) and Feb 27 (7). Due Feb 20 at $10 per rack-day
# late: 7 racks x 7 days = $490 of late credits, a 7-day slip. Revised (on Feb 1) to Mar 1.
BASELINE = {"racks": 14, "due": "2026-02-20"}
REVISION = {"date": "2026-02-01", "due": "2026-03-01", "note": "customer agreed"}


def test_a_revised_due_date_changes_the_reported_slip_but_not_the_late_credits() -> None:
    late = {"contracts__c__late_credit_usd_per_unit_day": 10.0}
    before = sim.run(scenario_from(STORY, **late, contracts__c__tranches=[BASELINE]))
    after = sim.run(
        scenario_from(STORY, **late, contracts__c__tranches=[{**BASELINE, "revised": [REVISION]}])
    )
    assert before.summary["contracts"]["c"]["tranches"] == [
        {
            "tranche": 1,
            "hall": None,
            "units": 14,
            "due": "2026-02-20",
            "delivered": "2026-02-27",
            "slip_days": 7,
            "on_time": False,
            "critical_stage": "hall",
        }
    ]
    row = after.summary["contracts"]["c"]["tranches"][0]
    assert row["slip_days"] == 7  # the baseline columns stay
    assert row["on_time"] is False
    assert (row["due_revised"], row["slip_revised_days"], row["on_time_revised"]) == (
        "2026-03-01",
        -2,
        True,
    )
    assert before.summary["contracts"]["c"]["late_credits_usd"] == 490.0
    assert after.summary["contracts"]["c"]["late_credits_usd"] == 490.0
    assert after.contracts["late_credits_usd"].sum() == 490.0


def test_a_status_revision_in_force_at_as_of_is_reported(tmp_path: Path) -> None:
    # The revision is recorded by a status update made on Feb 10, with the story's own past
    # (so the dates do not move): every replication delivers on Feb 27, late against Feb 20,
    # on time against Mar 1. Through the real CLI.
    data = scenario_from(STORY, contracts__c__tranches=[BASELINE]).model_dump(
        mode="json", exclude_unset=True
    )
    built = {"started": "2026-01-01", "finished": "2026-01-31"}
    data["status"] = {
        "as_of": "2026-02-10",
        "sites": {"s": {"halls": {"h": {"construction": built, "ready": {"date": "2026-02-10"}}}}},
        "deliveries": {"d": {"arrived": [{"date": "2026-01-21", "racks": 14}]}},
        "contracts": {"c": {"tranches": [{"revised": [REVISION]}]}},
    }
    path = tmp_path / "status.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    result = dcsim("run", path, "-n", "4", "--seed", "7", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    with (out / "on_time.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["due"], r["p_on_time"], r["due_revised"], r["p_on_time_revised"]) for r in rows] == [
        ("2026-02-20", "0.000000", "2026-03-01", "1.000000")
    ]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    tranche = summary["contracts"]["c"]["tranches"][0]
    assert (tranche["due_revised"], tranche["slip_revised_days"]) == ("2026-03-01", -2)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "follows each tranche's contracted (baseline) due date" in report
    assert "Status update, data date 2026-02-10" in report
    assert (out / "plots" / "s.png").stat().st_size > 0


def test_a_scenario_without_revisions_reports_no_revised_columns(tmp_path: Path) -> None:
    result = sim.run(scenario_from(STORY))
    assert "due_revised" not in result.summary["contracts"]["c"]["tranches"][0]
