"""Every shipped scenario validates and runs, and its invariants hold."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.scenario.loader import load_file
from tests.helpers import SCENARIOS
from tests.test_invariants import check_invariants

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def test_scenarios_folder_is_not_empty() -> None:
    assert any(p.name == "example.yaml" for p in SHIPPED)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_validates_without_warnings(path: Path) -> None:
    loaded = load_file(path)
    assert loaded.warnings == []
    assert loaded.scenario.scenario.description, "describe what the scenario models"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_runs_and_keeps_its_invariants(path: Path) -> None:
    result = sim.run(path)
    check_invariants(result)
    for name, contract in result.summary["contracts"].items():
        assert contract["units_delivered"] > 0, f"{name} never receives anything"
