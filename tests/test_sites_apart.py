"""Sites that share nothing are simulated apart, each group of coupled sites in a SimPy
environment of its own (`sim.engine.coupling`): every site's and contract's records, the
tables and the KPIs are what one environment holding every site gives; only rows of
different sites interleave differently, and the event log orders simultaneous events of
different sites by site name, whatever the order of the file."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import simpy
from hypothesis import HealthCheck, given, settings

import sim
from sim.analysis.finance import monthly_flows
from sim.analysis.kpis import summarize
from sim.analysis.records import level_rows
from sim.analysis.timeline import build_tables
from sim.engine import Deterministic, Plan, Random, Recorder, apply_status, build_plan, simulate
from sim.engine.coupling import site_groups
from sim.engine.realize import Streams, realize
from sim.scenario.loader import load_file, load_text
from sim.scenario.schema import Scenario
from tests.helpers import SCENARIOS, STORY, dcsim, synthetic
from tests.strategies import scenarios


def by_site_and_contract(recorder: Recorder) -> dict[str, Any]:
    """What a run recorded, per site and per contract, each in recording order (the order
    within a site or a contract is part of the results; across them it is not)."""
    events: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for e in recorder.events:
        events[e.site].append((e.t, e.kind, e.name, e.tranche, e.milestone, e.quantity))
    levels: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for t, site, level, delta in recorder.levels:
        levels[site].append((t, level, delta))
    units: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    for t, contract, u, gpus in recorder.units:
        units[contract].append((t, u, gpus))
    fills: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for t, contract, number in recorder.fills:
        fills[contract].append((t, number))
    return {
        "events": dict(events),
        "levels": dict(levels),
        "units": dict(units),
        "fills": dict(fills),
        "dropped": recorder.dropped_by_contract(),
        "critical": recorder.critical,
        "level_sites": sorted(recorder.level_sites),
    }


def both(plan: Plan, sampler: Any) -> tuple[Recorder, Recorder]:
    """The plan simulated apart and together, each with a fresh copy of ``sampler``."""
    return simulate(plan, copy.deepcopy(sampler)), simulate(
        plan, copy.deepcopy(sampler), together=True
    )


def assert_same_run(scenario: Scenario, streams: Streams | None = None) -> None:
    """Apart and together, the plan run (or one replication drawn from ``streams``) records
    the same per site and per contract, and gives the same tables and KPIs."""
    concrete, _ = realize(scenario, copy.deepcopy(streams))
    plan = apply_status(build_plan(concrete), concrete)
    sampler = Random(copy.deepcopy(streams)) if streams is not None else Deterministic()
    apart, together = both(plan, sampler)
    assert by_site_and_contract(apart) == by_site_and_contract(together)
    sites = list(concrete.sites)
    tables = [build_tables(concrete, r, level_rows(r, sites)) for r in (apart, together)]
    for name in ("timeline", "contracts", "events"):
        pd.testing.assert_frame_equal(
            getattr(tables[0], name), getattr(tables[1], name), check_exact=True
        )
    summaries = [
        json.dumps(summarize(concrete, r, t, monthly_flows(concrete, r)), default=str)
        for r, t in zip((apart, together), tables, strict=True)
    ]
    assert summaries[0] == summaries[1]


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_run_the_same_apart_and_together(path: Path) -> None:
    scenario = load_file(path).scenario
    assert_same_run(scenario)
    assert_same_run(scenario, Streams(7, 3))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios())
def test_random_scenarios_run_the_same_apart_and_together(data: dict[str, Any]) -> None:
    scenario = Scenario.model_validate(data)
    assert_same_run(scenario)
    assert_same_run(scenario, Streams(11, 0))


def coupled_plan() -> Plan:
    """Three generated sites, where contract c1 takes the units of the halls of s0 and s1
    (s0's halls are named like s1's, so they fill the same tranches): s0 and s1 are coupled
    through c1's ledger, s2 is on its own."""
    concrete, _ = realize(load_text(synthetic().portfolio(3)).scenario)
    plan = build_plan(concrete)
    c1 = plan.contracts["c1"]
    sites = tuple(
        dataclasses.replace(
            site,
            halls=tuple(
                dataclasses.replace(h, contract=c1) if site.name == "s0" else h for h in site.halls
            ),
        )
        for site in plan.sites
    )
    contracts = {name: c for name, c in plan.contracts.items() if name != "c0"}
    return dataclasses.replace(plan, sites=sites, contracts=contracts)


def test_sites_are_grouped_by_the_contracts_their_halls_serve() -> None:
    concrete, _ = realize(load_text(synthetic().portfolio(3)).scenario)
    assert site_groups(build_plan(concrete)) == [["s0"], ["s1"], ["s2"]]
    assert site_groups(coupled_plan()) == [["s0", "s1"], ["s2"]]


def test_coupled_sites_share_an_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = coupled_plan()
    apart, together = both(plan, Deterministic())
    runs = by_site_and_contract(apart)
    assert runs == by_site_and_contract(together)
    # both sites' halls feed c1 (two tranches of 500 racks, naming halls a and b): it takes
    # 1,000 of their 2,000 racks
    assert sum(u for _, u, _ in runs["units"]["c1"]) == pytest.approx(1000)
    assert len(runs["fills"]["c1"]) == 2
    # run apart, s0's racks would take c1's tranches before s1 ran at all: other dates
    monkeypatch.setattr("sim.engine.model.site_groups", lambda p: [[s.name] for s in p.sites])
    split = by_site_and_contract(simulate(plan, Deterministic()))
    assert split["units"]["c1"] != runs["units"]["c1"]


def two_sites(first: str) -> dict[str, Any]:
    """Sites a and b, the same in all but name, each with its delivery and contract; ``first``
    comes first in the file (sites, deliveries and contracts alike)."""

    order = [first, "b" if first == "a" else "a"]
    return {
        "scenario": {"name": "twins", "start": "2026-01-01", "end": "2026-06-30", "step": "week"},
        "sites": {name: copy.deepcopy(STORY["sites"]["s"]) for name in order},  # the story's
        "platforms": {"p": {"gpus_per_rack": 8, "it_kw_per_rack": 100, "burn_in": "3d"}},
        "deliveries": {
            f"d_{name}": {
                "platform": "p",
                "site": name,
                "tranches": [{"date": "2026-01-21", "racks": 14}],
            }
            for name in order
        },
        "contracts": {
            f"c_{name}": {
                "kind": "gpu_cloud",
                "site": name,
                "price_usd_per_gpu_hour": 1.0,
                "term": "1y",
                "tranches": [{"racks": 14, "due": "2026-03-01"}],
            }
            for name in order
        },
    }


def site_log(site: str) -> list[tuple[str, str, str, str]]:
    """One of the twins' milestones by hand: built Jan 1-31, commissioned to Feb 10; 14 racks
    arrive Jan 21; one crew installs 7 racks a week (Feb 10-17, Feb 17-24), 3 days of
    burn-in; the second lot fills the contract's one tranche on Feb 27."""
    return [
        ("2026-01-01", "grid", "g", "energized"),
        ("2026-01-01", "hall", "h", "construction_started"),
        ("2026-01-21", "delivery", f"d_{site}", "arrived"),
        ("2026-01-31", "hall", "h", "construction_complete"),
        ("2026-01-31", "hall", "h", "power_reserved"),
        ("2026-02-10", "hall", "h", "ready"),
        ("2026-02-17", "hall", "h", "racks_installed"),
        ("2026-02-20", "hall", "h", "racks_accepted"),
        ("2026-02-24", "hall", "h", "racks_installed"),
        ("2026-02-27", "hall", "h", "racks_accepted"),
        ("2026-02-27", "contract", f"c_{site}", "delivered"),
    ]


@pytest.mark.parametrize("first", ["a", "b"])
def test_simultaneous_events_of_two_sites_come_by_site_whatever_the_file_order(
    first: str,
) -> None:
    """Every milestone of the twins happens at both sites at once: each date lists site a's
    milestones (in the order they happened there), then site b's."""
    result = sim.run(Scenario.model_validate(two_sites(first)))
    log = [
        (f"{r['date']:%Y-%m-%d}", r["site"], r["kind"], r["name"], r["milestone"])
        for r in result.events.to_dict("records")
    ]
    a, b = site_log("a"), site_log("b")
    expected = [
        (day, site, kind, name, milestone)
        for date in sorted({row[0] for row in a})
        for site, rows in (("a", a), ("b", b))
        for day, kind, name, milestone in rows
        if day == date
    ]
    assert log == expected


def test_the_event_log_file_is_the_same_whatever_the_order_of_sites(tmp_path: Path) -> None:
    logs = []
    for first in ("a", "b"):
        path = tmp_path / f"{first}.yaml"
        path.write_text(json.dumps(two_sites(first)))
        out = tmp_path / f"out_{first}"
        proc = dcsim("run", path, "--out", out)
        assert proc.returncode == 0, proc.stderr
        logs.append((out / "events.csv").read_text())
    assert logs[0] == logs[1]
    rows = logs[0].splitlines()
    assert rows[1].startswith("2026-01-01,a,grid,g,")
    assert rows[3].startswith("2026-01-01,b,grid,g,")


def test_each_site_of_a_generated_portfolio_runs_in_an_environment_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What keeps a site's cost flat however many sites the file holds: no environment (and
    so no event heap) holds more than one uncoupled site's events."""
    made: list[simpy.Environment] = []

    class Counted(simpy.Environment):
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    monkeypatch.setattr("sim.engine.model.simpy.Environment", Counted)
    concrete, _ = realize(load_text(synthetic().portfolio(12)).scenario)
    plan = build_plan(concrete)
    simulate(plan)
    assert len(made) == 12
    assert all(env.now == plan.horizon for env in made)
    made.clear()
    simulate(plan, together=True)
    assert len(made) == 1
