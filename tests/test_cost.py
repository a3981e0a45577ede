"""Crew cost and the `cost_usd` KPI, and a search that minimises cost, on the story scenario
(racks arrive Jan 21, day 20; the hall is ready Feb 10; one crew installs a job of 7 racks a
week) with crews that cost $7,000 a week each ($1,000 a day)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import sim
from sim.scenario.schema.search import Search
from tests.helpers import STORY, dcsim, scenario_from

CREWS = "sites.s.crews.count"


def paid(**changes: Any) -> dict[str, Any]:
    data = scenario_from(STORY, **changes).model_dump(mode="json", exclude_none=True)
    data["sites"]["s"]["crews"]["cost_usd_per_week"] = 7000
    return data


def money(data: dict[str, Any]) -> dict[str, float]:
    result = sim.run(sim.Scenario.model_validate(data))
    return {**result.summary["money"]["all"], "cost_usd": result.summary["kpis"]["cost_usd"]}


def test_crews_are_paid_from_the_first_arrival_to_the_last_installation() -> None:
    # One crew: Jan 21 (day 20) to the second job's end, Feb 24 (day 54): 34 days.
    assert money(paid())["crew_cost_usd"] == 34_000.0
    # Two crews: both jobs end Feb 17 (day 47): 27 days of two crews.
    assert money(paid(sites__s__crews__count=2))["crew_cost_usd"] == 54_000.0
    # Racks still being installed at the end (Feb 20): paid to the end, 31 days.
    assert money(paid(scenario__end="2026-02-20"))["crew_cost_usd"] == 31_000.0


def test_crew_cost_is_off_by_default_and_comes_out_of_cash_and_npv() -> None:
    free = sim.run(scenario_from(STORY)).summary
    costly = sim.run(sim.Scenario.model_validate(paid())).summary
    assert free["money"]["all"]["crew_cost_usd"] == 0.0
    assert free["kpis"]["cost_usd"] == 0.0
    assert free["money"]["all"]["cash_usd"] - costly["money"]["all"]["cash_usd"] == 34_000.0
    assert costly["kpis"]["npv_usd"] < free["kpis"]["npv_usd"]


def test_cost_is_capex_power_and_crews_to_the_cent() -> None:
    data = paid()
    data["sites"]["s"]["power_price_usd_per_mwh"] = 41.3
    data["sites"]["s"]["halls"]["h"]["capex_usd_per_mw"] = 1_234_567.89
    totals = money(data)
    parts = totals["capex_usd"] + totals["power_cost_usd"] + totals["crew_cost_usd"]
    assert min(totals["capex_usd"], totals["power_cost_usd"]) > 0
    assert totals["cost_usd"] == round(parts, 2)
    result = sim.run(sim.Scenario.model_validate(data))
    timeline = result.timeline[result.timeline["site"] == "all"]
    assert timeline["crew_cost_usd"].sum() == pytest.approx(34_000.0, abs=1e-6)


# The fewest-crews story of the workbench tests: 28 racks (four jobs) arrive Jan 21, the
# hall is built in D days (uniform on [30, 40]) from Jan 1 and commissioned in 10, due Mar 1.
# With k crews the last job ends on day D + 10 + 7 ceil(4 / k), so on time with P >= 0.8
# needs k >= 4; crews are paid from day 20 to then: k (D - 10 + 7 ceil(4 / k)) crew-days,
# which grows with k. The cheapest point that meets the chance constraint: 4 crews.
RACKS_28 = {
    "deliveries__d__tranches": [{"date": "2026-01-21", "racks": 28}],
    "contracts__c__tranches": [{"racks": 28, "due": "2026-03-01"}],
    "sites__s__halls__h__it_mw": 3,
    "sites__s__halls__h__gross_mw": 4,
}


def crews_story(uncertain: bool) -> dict[str, Any]:
    data = paid(**RACKS_28)
    if uncertain:
        data["sites"]["s"]["halls"]["h"]["construction"] = {
            "start": "2026-01-01",
            "duration": {"uniform": ["30d", "40d"]},
        }
    return data


def search_block(objective: dict[str, str]) -> dict[str, Any]:
    return {
        "variables": {CREWS: {"integer": [1, 6]}},
        "objective": objective,
        "constraints": [{"on_time": "c", "p": 0.8}],
    }


def test_minimising_cost_finds_the_fewest_crews_known_by_hand() -> None:
    # D = 30: on time (day 57 <= 59) with two crews or more; two crews cost 2 x 34 days.
    scenario = sim.Scenario.model_validate(crews_story(uncertain=False))
    spec = Search.model_validate(search_block({"minimize": "cost_usd"}))
    result = sim.search(scenario, spec, replications=2, seed=1)
    assert result.best == {CREWS: 2}
    assert result.objective == 68_000.0
    by_crews = dict(zip(result.table[CREWS], result.table["objective"], strict=True))
    # k (20 + 7 ceil(4 / k)) crew-days at $1,000: 48, 68, 102, 108, 135, 162 thousand.
    assert by_crews == {k: 1000.0 * k * (20 + 7 * -(-4 // k)) for k in range(1, 7)}
    assert list(by_crews.values()) == [48e3, 68e3, 102e3, 108e3, 135e3, 162e3]


def test_dcsim_search_minimises_cost_under_a_chance_constraint(tmp_path: Path) -> None:
    data = crews_story(uncertain=True)
    data["search"] = search_block({"maximize": "revenue_usd"})
    file = tmp_path / "crews.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "s"
    args = ("-n", "40", "--seed", "2", "--jobs", "1", "--out", out)
    result = dcsim("search", file, "--minimize", "cost_usd", *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    answer = json.loads((out / "search.json").read_text())
    assert answer["best"] == {CREWS: 4}
    table = pd.read_csv(out / "search.csv")
    assert table["feasible"].tolist() == [False, False, False, True, True, True]
    assert table["objective"].is_monotonic_increasing  # more crews, more cost
    # The override replaced the file's objective (maximise revenue).
    assert answer["objective"] == {"minimize": "cost_usd", "value": table["objective"].iloc[3]}
    # Four crews, each paid for D - 3 days on average with D about 35 (uniform on [30, 40]).
    assert 4_000 * (30 - 3) < answer["objective"]["value"] < 4_000 * (40 - 3)


def test_a_misspelt_objective_on_the_command_line_exits_2_with_a_hint(tmp_path: Path) -> None:
    data = crews_story(uncertain=False)
    data["search"] = search_block({"minimize": "cost_usd"})
    file = tmp_path / "crews.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    result = dcsim("search", file, "-n", "2", "--maximize", "costs_usd", "--out", tmp_path / "o")
    assert result.returncode == 2
    assert "--maximize: `costs_usd` is neither a variable of the search nor a KPI" in result.stderr
    assert "did you mean `cost_usd`?" in result.stderr
    assert result.stdout == ""


def test_the_schema_documents_crew_cost() -> None:
    schema = copy.deepcopy(sim.Scenario.model_json_schema())
    crews = schema["$defs"]["Crews"]["properties"]["cost_usd_per_week"]
    assert crews["default"] == 0.0
    assert "cost_usd" in crews["description"]
