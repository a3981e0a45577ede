"""KPIs defined once: the plan summary, each Monte Carlo replication and every comparison
carry exactly the same KPIs; a contract never complete is a normal outcome."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import sim
from sim.analysis.kpis import (
    CONTRACT_KPIS,
    KPI,
    PORTFOLIO_KPIS,
    REVISED_KPIS,
    TRANCHE_KPIS,
    direction,
)
from sim.compare import paired
from sim.runner import RunOptions, monte_carlo_run
from tests.helpers import STORY, dcsim, scenario_from


def expected_kpis(contracts: dict[str, int]) -> set[str]:
    """Every KPI name for contracts with the given number of tranches."""
    names = {str(k) for k in PORTFOLIO_KPIS}
    for name, n in contracts.items():
        names |= {f"{name}.{k}" for k in CONTRACT_KPIS}
        names |= {f"{name}.tranche_{i + 1}.{k}" for i in range(n) for k in TRANCHE_KPIS}
    return names


def uncertain_story() -> dict[str, Any]:
    """STORY with an uncertain construction time, two contract tranches and a colocation-free
    site: every KPI is defined."""
    data = copy.deepcopy(STORY)
    data["sites"]["s"]["halls"]["h"]["construction"]["duration"] = {"pert": ["20d", "30d", "60d"]}
    data["contracts"]["c"]["tranches"] = [
        {"racks": 7, "due": "2026-02-25"},
        {"racks": 7, "due": "2026-03-01"},
    ]
    return data


def test_plan_and_replication_kpis_have_exactly_the_same_keys() -> None:
    scenario = scenario_from(uncertain_story())
    plan = sim.run(scenario).summary["kpis"]
    reps = monte_carlo_run(scenario, RunOptions(replications=3, seed=5)).replications
    kpis = {c for c in reps.columns if c not in ("replication", "seed")}
    kpis = {c for c in kpis if not c.startswith("input.")}
    assert set(plan) == kpis == expected_kpis({"c": 2})


def test_plan_kpis_agree_with_the_summary() -> None:
    # Hall ready Feb 10; accepted Feb 20 (day 50) and Feb 27 (day 57).
    summary = sim.run(scenario_from(uncertain_story())).summary
    kpis, contract = summary["kpis"], summary["contracts"]["c"]
    assert kpis["c.tranche_1.delivered"] == 50
    assert kpis["c.tranche_1.slip_days"] == -5
    assert kpis["c.tranche_2.delivered"] == 57
    assert kpis["c.full_delivery"] == 57
    assert kpis["c.revenue_usd"] == contract["revenue_usd"]
    assert kpis["c.revenue_lost_to_slips_usd"] == contract["revenue_lost_to_slips_usd"]
    # Due Feb 25 (day 55) and Mar 1 (day 59), delivered days 50 and 57: 5 + 2 days early.
    assert kpis["c.revenue_lost_to_slips_usd"] == pytest.approx(-12_096 * (5 + 2))
    assert kpis["gpu_months"] == summary["gpu_months"]
    assert kpis["revenue_usd"] == summary["revenue_usd"]


def test_every_kpi_has_a_direction_or_is_declared_neutral() -> None:
    assert direction("c.revenue_lost_to_slips_usd") == -1
    assert direction("c.tranche_3.delivered") == -1
    assert direction("cash_usd") == 1
    assert direction("peak_facility_mw") == 0
    assert {str(k) for k in KPI} == {
        str(k) for k in (*TRANCHE_KPIS, *REVISED_KPIS, *CONTRACT_KPIS)
    } | {str(k) for k in PORTFOLIO_KPIS} | {str(KPI.IRR)}  # the IRR is the plan's only


def test_a_kpi_missing_from_the_replications_is_an_error_not_a_gap() -> None:
    table = pd.DataFrame({"cash_usd": [1.0, 2.0]})
    with pytest.raises(KeyError, match=r"revenue_usd.*variant and base"):
        paired(table, table, "revenue_usd")


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_compare_with_replications_pairs_every_kpi(tmp_path: Path) -> None:
    base = uncertain_story()
    later = copy.deepcopy(base)
    later["deliveries"]["d"]["tranches"][0]["date"] = "2026-03-01"
    files = [write_yaml(tmp_path / "base.yaml", base), write_yaml(tmp_path / "late.yaml", later)]
    out = tmp_path / "cmp"
    result = dcsim("compare", *files, "-n", "4", "--seed", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    table = pd.read_csv(out / "comparison.csv").set_index("variant")
    for kpi in expected_kpis({"c": 2}):
        for suffix in ("", ".delta", ".delta_p10", ".delta_p50", ".delta_p90", ".p_better"):
            assert f"{kpi}{suffix}" in table.columns, f"{kpi}{suffix}"
    # Racks arriving Mar 1 (day 59) instead of Jan 21 are installed by Mar 8 and Mar 15,
    # accepted Mar 11 and Mar 18, whatever the construction draw (ready by Mar 2 at worst):
    # the revenue lost to slips is larger in every replication.
    late = table.loc[table.index != table.index[0]].iloc[0]
    assert late["c.revenue_lost_to_slips_usd.p_better"] == 0.0
    assert late["c.revenue_lost_to_slips_usd.delta_p10"] > 0
    assert late["c.tranche_1.delivered"] == "2026-03-11"


def never_complete() -> dict[str, Any]:
    """STORY whose contract wants 21 racks while 14 are delivered: never complete."""
    data = uncertain_story()
    data["contracts"]["c"]["tranches"] = [{"racks": 21, "due": "2026-03-01"}]
    return data


def test_monte_carlo_reports_a_contract_never_complete_as_not_in_horizon(tmp_path: Path) -> None:
    scenario_file = write_yaml(tmp_path / "short.yaml", never_complete())
    out = tmp_path / "mc"
    result = dcsim("run", scenario_file, "--out", out, "-n", "4", "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert (
        "full delivery P10 not in horizon, P50 not in horizon, P80 not in horizon, "
        "P90 not in horizon" in result.stdout
    )
    assert "on time by the last due date 0%" in result.stdout
    mc = json.loads((out / "summary.json").read_text())["monte_carlo"]["contracts"]["c"]
    assert mc["full_delivery"] == {"p10": None, "p50": None, "p80": None, "p90": None}
    assert mc["p_full_delivery_by_last_due"] == 0.0
    assert mc["p_delivered_in_horizon"] == 0.0
    reps = pd.read_parquet(out / "replications.parquet")
    assert reps["c.full_delivery"].isna().all()
    assert all(math.isnan(v) for v in reps["c.tranche_1.slip_days"])


def test_late_credits_accrue_when_nothing_is_delivered() -> None:
    # The racks arrive after the horizon: 14 racks late from Mar 1 (day 59) to the end of
    # Dec 31 (day 365) at $10 a rack-day.
    data = copy.deepcopy(STORY)
    data["deliveries"]["d"]["tranches"][0]["date"] = "2027-06-01"
    data["contracts"]["c"]["late_credit_usd_per_unit_day"] = 10.0
    contract = sim.run(scenario_from(data)).summary["contracts"]["c"]
    assert contract["late_credits_usd"] == pytest.approx(10.0 * 14 * (365 - 59))
