"""The criticality index: which stage set each contract tranche's fill date, in the plan run
and as shares of Monte Carlo replications. Hand-known stories on the story scenario (one
hall built by Jan 31 and ready Feb 10, 14 racks arriving Jan 21 in jobs of 7, one crew
installing 7 a week, burn-in 3 days)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import sim
from sim.analysis.criticality import STAGES
from tests.helpers import STORY, dcsim, scenario_from


def stages(result: sim.Result, contract: str = "c") -> list[str]:
    return [t["critical_stage"] for t in result.summary["contracts"][contract]["tranches"]]


def story(**changes: Any) -> dict[str, Any]:
    """The story as a dict, with key-path changes (``a__b__c=value``)."""
    return scenario_from(STORY, **changes).model_dump(mode="json", exclude_none=True)


def test_crews_set_the_date_when_they_hold_the_last_job_longest() -> None:
    # Racks arrive Feb 7, the hall is ready Feb 10 (it holds them 3 days); the second job of
    # 7 then waits for the one crew until Feb 17 (7 days).
    feb_7 = [{"date": "2026-02-07", "racks": 14}]
    assert stages(sim.run(scenario_from(STORY, deliveries__d__tranches=feb_7))) == ["crews"]


def test_the_hall_sets_the_date_when_it_held_the_racks_longer_than_the_crew() -> None:
    # Racks waiting since Jan 21 for the hall (ready Feb 10): 20 days; the second job then
    # waits 7 days for the one crew. The hall held it longer.
    assert stages(sim.run(scenario_from(STORY))) == ["hall"]


def test_the_hall_sets_the_date_when_racks_and_crews_wait_for_it() -> None:
    # Two crews: both jobs start when the hall is ready (Feb 10), the racks waiting since
    # Jan 21.
    assert stages(sim.run(scenario_from(STORY, sites__s__crews__count=2))) == ["hall"]


def test_the_delivery_sets_the_date_when_racks_arrive_after_the_hall_is_ready() -> None:
    late = [{"date": "2026-02-20", "racks": 14}]
    result = sim.run(scenario_from(STORY, sites__s__crews__count=2, deliveries__d__tranches=late))
    assert stages(result) == ["delivery"]


def test_the_grid_sets_the_date_when_the_built_hall_waits_for_power() -> None:
    # Built Jan 31, the only phase energizes Mar 1: the hall waits for power.
    grid = [{"name": "g", "mw": 10, "energized": "2026-03-01"}]
    result = sim.run(scenario_from(STORY, sites__s__crews__count=2, sites__s__grid=grid))
    assert stages(result) == ["grid"]


def test_an_approval_gate_sets_the_date_when_it_holds_the_construction_start() -> None:
    data = story(sites__s__crews__count=2)
    data["sites"]["s"]["halls"]["h"]["gate"] = {"name": "permit", "expected": "2026-01-15"}
    assert stages(sim.run(sim.Scenario.model_validate(data))) == ["gate"]
    # A gate that clears before the start does not hold it.
    data["sites"]["s"]["halls"]["h"]["gate"]["expected"] = "2025-12-15"
    assert stages(sim.run(sim.Scenario.model_validate(data))) == ["hall"]


def test_a_hall_started_after_another_inherits_what_held_that_one() -> None:
    data = story(sites__s__crews__count=2)
    halls = data["sites"]["s"]["halls"]
    halls["h"]["gate"] = {"expected": "2026-01-15"}
    halls["h"]["it_mw"] = halls["h"]["gross_mw"] = 0.1  # no room: every rack goes to h2
    halls["h2"] = copy.deepcopy(halls["h"])
    halls["h2"].update(it_mw=2, gross_mw=3, construction={"after": "h", "duration": "10d"})
    del halls["h2"]["gate"]
    data["sites"]["s"]["grid"][0]["mw"] = 20
    assert stages(sim.run(sim.Scenario.model_validate(data))) == ["gate"]


def test_a_per_hall_acceptance_holds_the_first_tranche_for_the_second() -> None:
    # Two tranches of 7: the first lot is ready Feb 20, but the customer accepts the whole
    # hall once the second is ready (Feb 27), so acceptance set the first tranche's date;
    # the second's racks waited longest for the hall.
    halves = [{"racks": 7, "due": "2026-02-25"}, {"racks": 7, "due": "2026-03-01"}]
    result = sim.run(
        scenario_from(
            STORY,
            contracts__c__tranches=halves,
            contracts__c__acceptance={"duration": "5d", "per": "hall"},
        )
    )
    assert stages(result) == ["acceptance", "hall"]
    per_lot = scenario_from(STORY, contracts__c__tranches=halves)
    assert stages(sim.run(per_lot)) == ["hall", "hall"]


def test_a_tranche_not_filled_in_the_horizon_says_so() -> None:
    result = sim.run(scenario_from(STORY, scenario__end="2026-02-20"))
    assert stages(result) == ["not_filled"]


def run_cli(data: dict[str, Any], folder: Path, *args: str) -> tuple[str, Path]:
    file = folder / "scenario.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = folder / "out"
    done = dcsim("run", file, "--out", out, "--jobs", "1", *args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout, out


def shares(out: Path) -> dict[tuple[str, int], dict[str, float]]:
    table = pd.read_csv(out / "criticality.csv")
    assert list(table.columns) == ["contract", "tranche", "stage", "share"]
    found: dict[tuple[str, int], dict[str, float]] = {}
    for row in table.itertuples():
        found.setdefault((row.contract, row.tranche), {})[row.stage] = row.share
    for key, by_stage in found.items():
        assert list(by_stage) == STAGES, key  # every stage, in pipeline order
        assert sum(by_stage.values()) == pytest.approx(1.0), key
    return found


def test_grid_always_late_is_critical_in_every_replication(tmp_path: Path) -> None:
    grid = [{"name": "g", "mw": 10, "energized": "2026-03-01", "delay": {"uniform": ["0d", "30d"]}}]
    data = story(sites__s__crews__count=2, sites__s__grid=grid)
    stdout, out = run_cli(data, tmp_path, "-n", "24")
    assert shares(out)[("c", 1)] == {s: float(s == "grid") for s in STAGES}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["monte_carlo"]["criticality"] == {"c": {"tranche_1": {"grid": 1.0}}}
    assert summary["contracts"]["c"]["tranches"][0]["critical_stage"] == "grid"
    assert "    date set by (tranche stage): 1 grid" in stdout
    assert "    c tranche 1 date set by: grid 100%" in stdout
    report = (out / "report.html").read_text()
    assert "<h2>Criticality</h2>" in report


def test_crews_the_bottleneck_are_critical_in_every_replication(tmp_path: Path) -> None:
    # Racks arrive Feb 5 to Feb 9, the hall is ready Feb 10 (a hold of 1 to 5 days); the
    # second job waits 7 days for the one crew.
    data = story(deliveries__d__tranches=[{"date": "2026-02-05", "racks": 14}])
    data["deliveries"]["d"]["slip"] = {"uniform": ["0d", "4d"]}
    _, out = run_cli(data, tmp_path, "-n", "24")
    assert shares(out)[("c", 1)] == {s: float(s == "crews") for s in STAGES}


def test_shares_add_up_when_stages_mix_and_some_tranches_are_never_filled(
    tmp_path: Path,
) -> None:
    # Two crews; the racks arrive between Jan 21 and Mar 22: before the hall is ready
    # (Feb 10) the hall sets the date, after it the delivery; arriving after about Mar 5
    # they are not accepted by the end of the horizon (Mar 15: install 7 days, burn-in 3).
    data = story(sites__s__crews__count=2, scenario__end="2026-03-15")
    data["deliveries"]["d"]["slip"] = {"uniform": ["0d", "60d"]}
    _, out = run_cli(data, tmp_path, "-n", "60")
    found = shares(out)[("c", 1)]
    assert min(found["hall"], found["delivery"], found["not_filled"]) > 0
    assert found["grid"] == found["gate"] == found["crews"] == found["acceptance"] == 0.0
    reps = pd.read_parquet(out / "replications.parquet")
    assert found["not_filled"] == pytest.approx(reps["c.tranche_1.delivered"].isna().mean())
