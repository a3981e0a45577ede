"""Status updates: the schema, the layering on a scenario, the located errors, and the
records the engine will read (`sim.scenario.status`)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from sim.errors import Problem, ScenarioError
from sim.scenario.loader import load_file, load_text
from sim.scenario.schema.progress import Acceptance, Revision
from sim.scenario.status import Actual, actuals, effective_due, revisions, tranche_acceptance
from tests.helpers import SCENARIOS, STORY, dcsim, scenario_from

NAME = "status.yaml"
# The story scenario of conftest (one phase, one hall, one delivery, one contract) with a
# second phase that waits on a gate, and a status block at 2026-03-01.
BASE = """\
scenario: {name: story, start: 2026-01-01, end: 2026-12-31, step: day}
sites:
  s:
    grid:
      - {name: g, mw: 10, energized: 2026-01-01}
      - name: g2
        mw: 10
        energized: 2026-06-01
        gate: {name: review, expected: 2026-04-01, delay: 30d}
    mining: {mw: 5, j_per_th: 20}
    crews: {count: 1, racks_per_week: 7, lot_racks: 7}
    halls:
      h:
        it_mw: 2
        gross_mw: 3
        construction: {start: 2026-01-01, duration: 30d}
        commissioning: 10d
platforms:
  p: {gpus_per_rack: 72, it_kw_per_rack: 100, burn_in: 3d}
deliveries:
  d:
    platform: p
    site: s
    tranches: [{date: 2026-01-21, racks: 14}]
contracts:
  c:
    kind: gpu_cloud
    site: s
    price_usd_per_gpu_hour: 1.0
    term: 1y
    tranches:
      - {racks: 14, due: 2026-03-01}
status:
  as_of: 2026-03-01
  sites:
    s:
      grid:
        g2: {gate_cleared: 2026-02-20}
      halls:
        h:
          construction: {started: 2026-01-01, finished: 2026-01-31}
          ready: {date: 2026-02-10}
          installed: [{date: 2026-02-14, racks: 7}]
          accepted: [{date: 2026-02-17, racks: 7}]
      mining:
        retired: [{date: 2026-02-01, mw: 1}]
  deliveries:
    d:
      arrived: [{date: 2026-01-21, racks: 14}]
  contracts:
    c:
      tranches:
        - accepted: [{date: 2026-02-17, racks: 7}]
          revised: [{date: 2026-02-20, due: 2026-04-01}]
"""


def edit(*pairs: str) -> str:
    text = BASE
    for old, new in zip(pairs[::2], pairs[1::2], strict=True):
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def only_error(text: str) -> Problem:
    with pytest.raises(ScenarioError) as exc:
        load_text(text, NAME)
    errors = [p for p in exc.value.problems if p.severity == "error"]
    assert len(errors) == 1, "\n".join(map(str, errors))
    return errors[0]


def test_base_is_valid_and_its_actuals_are_typed_records() -> None:
    scenario = load_text(BASE, NAME).scenario
    got = actuals(scenario)
    assert got is not None
    assert (got.as_of, got.as_of_day) == (dt.date(2026, 3, 1), 59.0)
    hall = "sites.s.halls.h"
    assert got.records == (
        Actual(hall, "construction_started", dt.date(2026, 1, 1), 0.0),
        Actual("deliveries.d", "arrived", dt.date(2026, 1, 21), 20.0, 14, "racks"),
        Actual(hall, "construction_finished", dt.date(2026, 1, 31), 30.0),
        Actual("sites.s.mining", "retired", dt.date(2026, 2, 1), 31.0, 1.0, "mw"),
        Actual(hall, "ready", dt.date(2026, 2, 10), 40.0, 2.0, "mw"),
        Actual(hall, "installed", dt.date(2026, 2, 14), 44.0, 7, "racks"),
        Actual(hall, "accepted", dt.date(2026, 2, 17), 47.0, 7, "racks"),
        Actual("contracts.c.tranches[0]", "accepted", dt.date(2026, 2, 17), 47.0, 7.0, "racks"),
        Actual("sites.s.grid.g2", "gate_cleared", dt.date(2026, 2, 20), 50.0),
    )
    assert [r.milestone for r in got.of(hall, "ready")] == ["ready"]


def test_a_scenario_without_status_has_no_actuals_and_default_roll_out_fields() -> None:
    scenario = scenario_from(STORY)
    assert actuals(scenario) is None
    assert tranche_acceptance(scenario.contracts["c"], 0) == Acceptance(duration="0d", per="lot")
    contract = scenario.contracts["c"]
    assert (contract.amendments, contract.tranches[0].revised, contract.signed) == ([], [], None)
    site = scenario.sites["s"]
    assert (site.pauses, site.grid[0].gate, site.halls["h"].gate) == ([], None, None)


def test_effective_due_follows_the_latest_revision_made_by_the_date() -> None:
    data = copy.deepcopy(STORY)
    data["contracts"]["c"]["tranches"][0]["revised"] = [
        {"date": "2026-01-15", "due": "2026-03-15"},
        {"date": "2026-02-01", "due": "2026-04-15"},
    ]
    tranche = scenario_from(data).contracts["c"].tranches[0]
    assert effective_due(tranche, dt.date(2026, 1, 14)) == dt.date(2026, 3, 1)  # baseline
    assert effective_due(tranche, dt.date(2026, 1, 15)) == dt.date(2026, 3, 15)
    assert effective_due(tranche, dt.date(2026, 6, 1)) == dt.date(2026, 4, 15)
    later = [Revision(date=dt.date(2026, 2, 20), due=dt.date(2026, 3, 20))]
    assert effective_due(tranche, dt.date(2026, 6, 1), later) == dt.date(2026, 3, 20)
    assert tranche.due == dt.date(2026, 3, 1)  # the contracted date stays


def test_revisions_join_the_scenario_and_the_status() -> None:
    scenario = load_text(BASE, NAME).scenario
    found = revisions(scenario, "c", 0)
    assert found == [Revision(date=dt.date(2026, 2, 20), due=dt.date(2026, 4, 1))]
    tranche = scenario.contracts["c"].tranches[0]
    assert effective_due(tranche, scenario.status.as_of, found) == dt.date(2026, 4, 1)


def test_acceptance_of_a_tranche_overrides_the_contract() -> None:
    data = copy.deepcopy(STORY)
    data["contracts"]["c"]["acceptance"] = {"per": "hall", "duration": {"pert": ["1w", "2w", "6w"]}}
    data["contracts"]["c"]["tranches"].append(
        {"racks": 7, "due": "2026-06-01", "acceptance": {"per": "tranche"}}
    )
    data["deliveries"]["d"]["tranches"][0]["racks"] = 21
    scenario = scenario_from(data)
    assert tranche_acceptance(scenario.contracts["c"], 0).per == "hall"
    assert tranche_acceptance(scenario.contracts["c"], 0).duration.plan() == 14.0
    assert tranche_acceptance(scenario.contracts["c"], 1) == Acceptance(per="tranche")


# Each rule, with the line, key path, message and hint the planner sees.
CASES = [
    pytest.param(
        ("retired: [{date: 2026-02-01", "retired: [{date: 2026-03-14"),
        46,
        "status.sites.s.mining.retired[0].date",
        "2026-03-14 is after `as_of` (2026-03-01): a status records only what has happened",
        "move `as_of` later, or leave the event out until it happens",
        id="actual-after-as-of",
    ),
    pytest.param(
        ("revised: [{date: 2026-02-20", "revised: [{date: 2026-03-20"),
        54,
        "status.contracts.c.tranches[0].revised[0].date",
        "2026-03-20 is after `as_of` (2026-03-01): a status records only what has happened",
        "move `as_of` later, or leave the event out until it happens",
        id="revision-after-as-of",
    ),
    pytest.param(
        ("as_of: 2026-03-01", "as_of: 2027-03-01"),
        34,
        "status.as_of",
        "`as_of` (2027-03-01) is outside the horizon (2026-01-01 to 2026-12-31)",
        "give a data date within the scenario's horizon",
        id="as-of-outside-horizon",
    ),
    pytest.param(
        ("{name: g, mw: 10, energized: 2026-01-01}", "{name: g, mw: 1, energized: 2026-01-01}"),
        42,
        "status.sites.s.halls.h.ready.date",
        "the hall is ready on 2026-02-10 but the grid then has 1 MW energized, 3 MW needed by "
        "the halls ready by that date",
        "record the grid phase that powers it under `grid:` with its `energized` date",
        id="hall-ready-before-its-power",
    ),
    pytest.param(
        ("ready: {date: 2026-02-10}", "ready: {date: 2026-01-20}"),
        42,
        "status.sites.s.halls.h.ready.date",
        "the hall is ready on 2026-01-20, before its construction finished (2026-01-31)",
        "",
        id="hall-ready-before-built",
    ),
    pytest.param(
        ("finished: 2026-01-31}", "percent_complete: 80}"),
        42,
        "status.sites.s.halls.h.ready.date",
        "the hall is ready but its construction is only 80% complete",
        "record the construction as `finished: DATE`",
        id="hall-ready-while-building",
    ),
    pytest.param(
        (
            "accepted: [{date: 2026-02-17, racks: 7}]\n      mining",
            "accepted: [{date: 2026-02-17, racks: 8}]\n      mining",
        ),
        44,
        "status.sites.s.halls.h.accepted[0].racks",
        "by 2026-02-17, 8 racks are accepted in hall `h` but only 7 are installed",
        "",
        id="more-accepted-than-installed",
    ),
    pytest.param(
        ("arrived: [{date: 2026-01-21, racks: 14}]", "arrived: [{date: 2026-01-21, racks: 5}]"),
        43,
        "status.sites.s.halls.h.installed[0].racks",
        "by 2026-02-14, 7 racks are installed at site `s` but only 5 have arrived",
        "record the arrivals under status.deliveries.<name>.arrived",
        id="more-installed-than-delivered",
    ),
    pytest.param(
        ("arrived: [{date: 2026-01-21, racks: 14}]", "arrived: [{date: 2026-01-21, racks: 15}]"),
        49,
        "status.deliveries.d.arrived",
        "15 racks arrived but delivery `d` orders only 14",
        "add the extra racks to the delivery's tranches, or correct the arrivals",
        id="more-arrived-than-ordered",
    ),
    pytest.param(
        (
            "        - accepted: [{date: 2026-02-17, racks: 7}]",
            "        - accepted: [{date: 2026-02-17, racks: 15}]",
        ),
        53,
        "status.contracts.c.tranches[0].accepted[0].racks",
        "15 racks accepted but the tranche is 14",
        "",
        id="tranche-over-accepted",
    ),
    pytest.param(
        (
            "        - accepted: [{date: 2026-02-17, racks: 7}]",
            "        - accepted: [{date: 2026-02-17, gpus: 7}]",
        ),
        53,
        "status.contracts.c.tranches[0].accepted[0].gpus",
        "contract `c` counts racks, not gpus",
        "give `racks`",
        id="acceptance-in-the-wrong-unit",
    ),
    pytest.param(
        (
            "      halls:\n        h:\n          construction: {started",
            "      halls:\n        hh:\n          construction: {started",
        ),
        40,
        "status.sites.s.halls.hh",
        "no hall `hh` at site `s`",
        "did you mean `h`?",
        id="unknown-hall",
    ),
    pytest.param(
        ("        g2: {gate_cleared", "        g3: {gate_cleared"),
        38,
        "status.sites.s.grid.g3",
        "no grid phase `g3` at site `s`",
        "did you mean `g`?",
        id="unknown-grid-phase",
    ),
    pytest.param(
        (
            "  contracts:\n    c:\n      tranches:\n        - accepted",
            "  contracts:\n    cc:\n      tranches:\n        - accepted",
        ),
        51,
        "status.contracts.cc",
        "no contract `cc`",
        "did you mean `c`?",
        id="unknown-contract",
    ),
    pytest.param(
        ("  deliveries:\n    d:\n      arrived", "  deliveries:\n    dell:\n      arrived"),
        48,
        "status.deliveries.dell",
        "no delivery `dell`",
        "valid names: `d`",
        id="unknown-delivery",
    ),
    pytest.param(
        ("retired: [{date: 2026-02-01, mw: 1}]", "retired: [{date: 2026-02-01, mw: 6}]"),
        46,
        "status.sites.s.mining.retired[0]",
        "6 MW retired by now but the fleet is 5 MW",
        "",
        id="more-mining-retired-than-the-fleet",
    ),
    pytest.param(
        ("        gate: {name: review, expected: 2026-04-01, delay: 30d}\n", ""),
        37,
        "status.sites.s.grid.g2.gate_cleared",
        "grid phase `g2` has no `gate` to clear",
        "add `gate:` to the phase in sites.s.grid, or drop this date",
        id="gate-cleared-without-a-gate",
    ),
    pytest.param(
        ("          ready: {date: 2026-02-10}\n", ""),
        42,
        "status.sites.s.halls.h.installed[0].date",
        "racks installed on 2026-02-14 but the hall has no `ready` date",
        "record the hall's `ready: {date: ...}`",
        id="racks-installed-in-a-hall-not-ready",
    ),
    pytest.param(
        (
            "      - {racks: 14, due: 2026-03-01}",
            "      - {racks: 14, due: 2026-03-01}\n"
            "    amendments:\n      - {date: 2026-02-01, remove_tranches: [1]}",
        ),
        34,
        "contracts.c.amendments[0].remove_tranches[0]",
        "no tranches[1]: the contract's tranches go from tranches[0] to tranches[0]",
        "give the position of a tranche in the contract's `tranches`",
        id="amendment-removes-a-tranche-that-does-not-exist",
    ),
    pytest.param(
        (
            "      - {racks: 14, due: 2026-03-01}",
            "      - {racks: 14, due: 2026-03-01}\n"
            "    amendments:\n"
            "      - {date: 2026-02-01, add_tranches: [{gpus: 72, due: 2026-09-01}]}",
        ),
        34,
        "contracts.c.amendments[0].add_tranches[0].gpus",
        "the contract counts racks, not gpus",
        "give `racks`",
        id="amendment-adds-a-tranche-in-the-wrong-unit",
    ),
    pytest.param(
        (
            "      - {racks: 14, due: 2026-03-01}",
            "      - racks: 14\n        due: 2026-03-01\n        revised:\n"
            "          - {date: 2026-02-01, due: 2026-04-01}\n"
            "          - {date: 2026-01-01, due: 2026-05-01}",
        ),
        36,
        "contracts.c.tranches[0].revised[1].date",
        "revision dated 2026-01-01 comes after one dated 2026-02-01",
        "list revisions in the order they were made",
        id="revisions-out-of-order",
    ),
    pytest.param(
        (
            "mining: {mw: 5, j_per_th: 20}",
            "mining: {mw: 5, j_per_th: 20, retirements: [{date: 2027-01-01, hashrate_ehs: 0.3}]}",
        ),
        10,
        "sites.s.mining.retirements[0].hashrate_ehs",
        "retirements add up to 6 MW but the fleet is 5 MW",
        "retire no more than the fleet",
        id="mining-retirements-beyond-the-fleet",
    ),
]


@pytest.mark.parametrize(("change", "line", "path", "message", "hint"), CASES)
def test_status_rules_are_located(change, line, path, message, hint) -> None:
    problem = only_error(edit(*change))
    assert (problem.line, problem.path, problem.message, problem.hint) == (
        line,
        path,
        message,
        hint,
    )


SCHEMA_CASES = [
    pytest.param(
        (
            "      - {racks: 14, due: 2026-03-01}",
            "      - {racks: 14, due: 2026-03-01}\n"
            "    amendments:\n"
            "      - {date: 2026-02-01, value_usd: 1.0e+6, price_usd_per_gpu_hour: 2.0}",
        ),
        "contracts.c.amendments[0]",
        "an amendment sets `value_usd` or `price_usd_per_gpu_hour`, not both",
        id="amendment-value-and-price",
    ),
    pytest.param(
        (
            "      - {racks: 14, due: 2026-03-01}",
            "      - {racks: 14, due: 2026-03-01}\n    amendments:\n      - {date: 2026-02-01}",
        ),
        "contracts.c.amendments[0]",
        "an amendment changes something",
        id="amendment-that-changes-nothing",
    ),
    pytest.param(
        (
            "construction: {started: 2026-01-01, finished: 2026-01-31}",
            "construction: {finished: 2026-01-31, percent_complete: 50}",
        ),
        "status.sites.s.halls.h.construction",
        "construction is either `finished` (a date) or `percent_complete`, not both",
        id="finished-and-percent",
    ),
    pytest.param(
        ("retired: [{date: 2026-02-01, mw: 1}]", "retired: [{date: 2026-02-01}]"),
        "status.sites.s.mining.retired[0]",
        "a retired step needs exactly one of `mw` or `hashrate_ehs`",
        id="retired-without-size",
    ),
    pytest.param(
        (
            "gate: {name: review, expected: 2026-04-01, delay: 30d}",
            "gate: {name: review, expected: 2026-04-01, delay: 30d}\n"
            "    pauses: [{start: 2026-05-01}]",
        ),
        "sites.s.pauses[0]",
        "a pause needs exactly one of `end` (a date) or `duration`",
        id="pause-without-end",
    ),
]


@pytest.mark.parametrize(("change", "path", "message"), SCHEMA_CASES)
def test_status_schema_rules(change, path, message) -> None:
    problem = only_error(edit(*change))
    assert problem.path == path
    assert message in problem.message


def test_every_problem_of_a_status_is_reported_at_once() -> None:
    text = edit(
        "retired: [{date: 2026-02-01",
        "retired: [{date: 2026-03-14",
        "        g2: {gate_cleared",
        "        g3: {gate_cleared",
    )
    with pytest.raises(ScenarioError) as exc:
        load_text(text, NAME)
    assert {p.path for p in exc.value.problems} == {
        "status.sites.s.mining.retired[0].date",
        "status.sites.s.grid.g3",
    }


# --- Layering: a status file imports its scenario ---------------------------------------


SCENARIO_PART = BASE[: BASE.index("status:")]
STATUS_PART = BASE[BASE.index("status:") :]


def _files(tmp_path: Path) -> Path:
    (tmp_path / "story.yaml").write_text(SCENARIO_PART)
    (tmp_path / "story_2026-03-01.yaml").write_text(
        "imports: [story.yaml]\nscenario: {name: story_2026_03_01}\n" + STATUS_PART
    )
    return tmp_path / "story_2026-03-01.yaml"


def test_a_status_file_inherits_its_scenario_and_renames_the_run(tmp_path: Path) -> None:
    loaded = load_file(_files(tmp_path))
    info = loaded.scenario.scenario
    assert (info.name, info.start, info.end, info.step) == (
        "story_2026_03_01",
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
        "day",
    )
    assert loaded.scenario.status.as_of == dt.date(2026, 3, 1)


def test_a_later_status_layers_on_an_earlier_one(tmp_path: Path) -> None:
    first = _files(tmp_path)
    later = tmp_path / "story_2026-04-01.yaml"
    later.write_text(
        f"imports: [{first.name}]\n"
        "scenario: {name: story_2026_04_01}\n"
        "status:\n"
        "  as_of: 2026-04-01\n"
        "  sites:\n"
        "    s:\n"
        "      grid:\n"
        "        g2: {gate_cleared: 2026-02-20, energized: 2026-03-25}\n"
    )
    scenario = load_file(later).scenario
    assert scenario.scenario.name == "story_2026_04_01"
    got = actuals(scenario)
    assert got.as_of == dt.date(2026, 4, 1)
    assert got.of("sites.s.grid.g2", "energized")[0].date == dt.date(2026, 3, 25)
    # what the earlier update recorded is kept
    assert got.of("deliveries.d", "arrived")[0].quantity == 14


def test_a_bad_status_file_exits_2_with_its_line(tmp_path: Path) -> None:
    path = _files(tmp_path)
    text = path.read_text().replace(
        "        h:\n          construction", "        hx:\n          construction"
    )
    path.write_text(text)
    result = dcsim("validate", path)
    assert result.returncode == 2
    assert f"{path}:10: status.sites.s.halls.hx: no hall `hx` at site `s`" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["iren_childress_2026-06-30.yaml", "cipher_2026-06-30.yaml"])
def test_shipped_status_files_validate(name: str) -> None:
    result = dcsim("validate", SCENARIOS / name)
    assert result.returncode == 0, result.stderr
    scenario = load_file(SCENARIOS / name).scenario
    assert scenario.status.as_of == dt.date(2026, 6, 30)
    assert all(r.date <= dt.date(2026, 6, 30) for r in actuals(scenario).records)


def test_two_halls_ready_together_need_the_power_of_both() -> None:
    # Each hall needs 3 MW of grid; 5 MW are energized. The first hall ready is fine, the
    # second, ready a day later, is not.
    text = edit(
        "{name: g, mw: 10, energized: 2026-01-01}",
        "{name: g, mw: 5, energized: 2026-01-01}",
        "        commissioning: 10d\n",
        "        commissioning: 10d\n"
        "      h2:\n"
        "        it_mw: 2\n"
        "        gross_mw: 3\n"
        "        construction: {start: 2026-01-01, duration: 30d}\n",
        "      mining:\n        retired",
        "        h2:\n          ready: {date: 2026-02-11}\n      mining:\n        retired",
    )
    problem = only_error(text)
    assert (problem.path, problem.message) == (
        "status.sites.s.halls.h2.ready.date",
        "the hall is ready on 2026-02-11 but the grid then has 5 MW energized, 6 MW needed by "
        "the halls ready by that date",
    )
    # Recording the second phase energized before that day clears it, once its gate cleared.
    g2 = "        g2: {gate_cleared: 2026-02-20}"
    early = text.replace(g2, "        g2: {gate_cleared: 2026-02-20, energized: 2026-02-11}")
    problem = only_error(early)
    assert (problem.path, problem.message) == (
        "status.sites.s.grid.g2.energized",
        "energized on 2026-02-11, before its gate cleared (2026-02-20)",
    )
    fixed = text.replace(g2, "        g2: {gate_cleared: 2026-02-01, energized: 2026-02-11}")
    assert load_text(fixed, NAME).scenario.status is not None
