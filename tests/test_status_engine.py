"""The engine at a status update's data date: actuals pinned, work in progress sampling only
its remaining duration, nothing unrecorded before `as_of`.

Story tests use the story scenario (hall built Jan 1-31, ready Feb 10, 14 racks arrived Jan 21,
installed Feb 17 and 24, accepted Feb 20 and 27) with dates computed by hand; the invariants
run Hypothesis over data dates and Monte Carlo replications.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import sim
from sim.engine import Random, apply_status, build_plan, simulate
from sim.engine.realize import Streams, realize
from sim.engine.recorder import Recorder
from sim.engine.vocabulary import Kind, Milestone
from sim.scenario.schema import Scenario
from sim.scenario.status import actuals
from tests.helpers import STORY, scenario_from

D = dt.date
START = D(2026, 1, 1)


def day(date: str) -> int:
    return (D.fromisoformat(date) - START).days


def events(result: sim.Result) -> list[tuple[str, str, str]]:
    """(date, name, milestone) of every event."""
    return [(f"{r.date:%Y-%m-%d}", r.name, r.milestone) for r in result.events.itertuples()]


def replication(scenario: Scenario, seed: int, index: int) -> Recorder:
    streams = Streams(seed, index)
    concrete, _ = realize(scenario, streams)
    return simulate(apply_status(build_plan(concrete), concrete), Random(streams))


def hall_events(recorder: Recorder, milestone: Milestone) -> list[float]:
    return [e.t for e in recorder.events if e.kind is Kind.HALL and e.milestone is milestone]


# -- story tests ---------------------------------------------------------------------------


def test_a_hall_in_progress_at_as_of_samples_only_what_remains() -> None:
    # Construction uniform 20-60 days, started Jan 1; on Feb 15 (day 45) it is not finished.
    # The plan value (40 days) is already spent, so the plan run takes the conditional median:
    # F(45) = 25/40, u = 0.625 + 0.5 x 0.375 = 0.8125, D = 20 + 0.8125 x 40 = 52.5 days: built
    # day 52.5 (Feb 22), ready day 62.5 (Mar 4). The racks, planned Jan 21 and not recorded,
    # arrive on the data date. Installs of 7 racks take a week: Mar 11 and Mar 18.
    scenario = scenario_from(
        STORY,
        sites__s__halls__h__construction__duration={"uniform": ["20d", "60d"]},
        status={
            "as_of": "2026-02-15",
            "sites": {"s": {"halls": {"h": {"construction": {"started": "2026-01-01"}}}}},
        },
    )
    assert events(sim.run(scenario)) == [
        ("2026-01-01", "g", "energized"),
        ("2026-01-01", "h", "construction_started"),
        ("2026-02-15", "d", "arrived"),
        ("2026-02-22", "h", "construction_complete"),
        ("2026-02-22", "h", "power_reserved"),
        ("2026-03-04", "h", "ready"),
        ("2026-03-11", "h", "racks_installed"),
        ("2026-03-14", "h", "racks_accepted"),
        ("2026-03-18", "h", "racks_installed"),
        ("2026-03-21", "h", "racks_accepted"),
        ("2026-03-21", "c", "delivered"),
    ]
    # Every replication: built after the data date; a draw already past it is kept as drawn
    # (common random numbers with the scenario without status).
    plain = scenario_from(
        STORY, sites__s__halls__h__construction__duration={"uniform": ["20d", "60d"]}
    )
    kept = 0
    for index in range(40):
        built = hall_events(replication(scenario, 3, index), Milestone.CONSTRUCTION_COMPLETE)
        before = hall_events(replication(plain, 3, index), Milestone.CONSTRUCTION_COMPLETE)
        assert built[0] > 45.0
        if before[0] > 45.0:
            assert built == before
            kept += 1
    assert 0 < kept < 40


def test_a_slip_of_completion_under_way_is_drawn_given_the_work_is_not_finished() -> None:
    # 30-day construction with a completion slip uniform 0-40 days, started Jan 1; on Mar 1
    # (day 59) it is not finished, so duration + slip > 59: the slip > 29. The plan slip (20
    # days) is spent, so the plan run takes the conditional median: F(29) = 29/40,
    # u = 0.725 + 0.5 x 0.275 = 0.8625, slip = 34.5 days: built day 64.5 (Mar 6), ready day
    # 74.5 (Mar 16).
    slip = {"uniform": ["0d", "40d"]}
    status = {
        "as_of": "2026-03-01",
        "sites": {"s": {"halls": {"h": {"construction": {"started": "2026-01-01"}}}}},
    }
    scenario = scenario_from(STORY, sites__s__halls__h__construction__slip=slip, status=status)
    log = events(sim.run(scenario))
    assert ("2026-03-06", "h", "construction_complete") in log
    assert ("2026-03-16", "h", "ready") in log
    # Every replication finishes after the data date and keeps a spread (the slip's); a draw
    # already past the data date is kept as drawn, as without the status.
    plain = scenario_from(STORY, sites__s__halls__h__construction__slip=slip)
    built_all = []
    for index in range(40):
        built = hall_events(replication(scenario, 5, index), Milestone.CONSTRUCTION_COMPLETE)
        before = hall_events(replication(plain, 5, index), Milestone.CONSTRUCTION_COMPLETE)
        assert 59.0 < built[0] <= 70.0
        if before[0] > 59.0:
            assert built == before
        built_all.append(built[0])
    assert len(set(built_all)) > 30


def test_a_start_delay_no_longer_matters_once_the_start_is_recorded() -> None:
    # The same uncertainty as a delay of the start: a recorded start pins it away, and the
    # 30-day build started Jan 1 finishes on Jan 31 in every replication.
    scenario = scenario_from(
        STORY,
        sites__s__halls__h__construction__delay={"uniform": ["0d", "40d"]},
        status={
            "as_of": "2026-01-15",
            "sites": {"s": {"halls": {"h": {"construction": {"started": "2026-01-01"}}}}},
        },
    )
    for index in range(5):
        built = hall_events(replication(scenario, 5, index), Milestone.CONSTRUCTION_COMPLETE)
        assert built == [30.0]


def test_percent_complete_scales_the_remaining_duration() -> None:
    # 30-day construction started Jan 1, 40% done on Jan 11 (day 10): 60% of 30 = 18 days
    # remain, built day 28 (Jan 29), ready day 38 (Feb 8).
    scenario = scenario_from(
        STORY,
        status={
            "as_of": "2026-01-11",
            "sites": {
                "s": {
                    "halls": {
                        "h": {"construction": {"started": "2026-01-01", "percent_complete": 40}}
                    }
                }
            },
        },
    )
    log = events(sim.run(scenario))
    assert ("2026-01-29", "h", "construction_complete") in log
    assert ("2026-02-08", "h", "ready") in log


def test_an_actual_in_the_past_pins_its_date_in_every_replication() -> None:
    # Uncertain construction and commissioning, but the hall was recorded ready on Feb 5 and
    # racks recorded installed Feb 12 and accepted Feb 16: every replication has them there.
    scenario = scenario_from(
        STORY,
        sites__s__halls__h__construction__duration={"pert": ["20d", "30d", "60d"]},
        sites__s__halls__h__commissioning={"pert": ["5d", "10d", "30d"]},
        status={
            "as_of": "2026-02-16",
            "sites": {
                "s": {
                    "halls": {
                        "h": {
                            "construction": {"started": "2026-01-01", "finished": "2026-01-28"},
                            "ready": {"date": "2026-02-05"},
                            "installed": [{"date": "2026-02-12", "racks": 7}],
                            "accepted": [{"date": "2026-02-16", "racks": 7}],
                        }
                    }
                }
            },
            "deliveries": {"d": {"arrived": [{"date": "2026-01-21", "racks": 14}]}},
        },
    )
    for index in range(20):
        rec = replication(scenario, 11, index)
        assert hall_events(rec, Milestone.CONSTRUCTION_COMPLETE) == [day("2026-01-28")]
        assert hall_events(rec, Milestone.READY) == [day("2026-02-05")]
        assert hall_events(rec, Milestone.RACKS_INSTALLED)[0] == day("2026-02-12")
        assert hall_events(rec, Milestone.RACKS_ACCEPTED)[0] == day("2026-02-16")
        # The second lot: the crew starts it on the data date, installs in a week (Feb 23).
        assert hall_events(rec, Milestone.RACKS_INSTALLED)[1] == day("2026-02-23")


def test_an_overdue_milestone_lands_at_or_after_as_of() -> None:
    # The racks were due Jan 21 and the hall planned ready Feb 10; on Mar 1 neither is
    # recorded beyond construction: the racks arrive on Mar 1, and commissioning (10 days
    # from the power reservation on Jan 31) ends on the data date at the earliest.
    scenario = scenario_from(
        STORY,
        status={
            "as_of": "2026-03-01",
            "sites": {
                "s": {
                    "halls": {
                        "h": {"construction": {"started": "2026-01-01", "finished": "2026-01-31"}}
                    }
                }
            },
        },
    )
    log = events(sim.run(scenario))
    assert ("2026-03-01", "d", "arrived") in log
    assert ("2026-03-01", "h", "ready") in log
    assert ("2026-03-08", "h", "racks_installed") in log


def test_a_colocation_tranche_accepted_on_its_recorded_date() -> None:
    # A colocation hall ready Feb 10 (as planned) whose handover the tenant accepted on Feb 20:
    # the MW count toward the tranche on Feb 20, not on Feb 10.
    colo = {
        **STORY,
        "deliveries": {},
        "platforms": {},
        "contracts": {
            "t": {
                "kind": "colocation",
                "site": "s",
                "rent_usd_per_mw_year": 1.0e6,
                "term": "1y",
                "tranches": [{"hall": "h", "mw": 2, "due": "2026-03-01"}],
            }
        },
    }
    colo["sites"] = {"s": {k: v for k, v in STORY["sites"]["s"].items() if k != "crews"}}
    plain = sim.run(scenario_from(colo))
    assert ("2026-02-10", "h", "handed_over") in events(plain)
    status = {
        "as_of": "2026-02-25",
        "sites": {
            "s": {
                "halls": {
                    "h": {
                        "construction": {"started": "2026-01-01", "finished": "2026-01-31"},
                        "ready": {"date": "2026-02-10"},
                    }
                }
            }
        },
        "contracts": {"t": {"tranches": [{"accepted": [{"date": "2026-02-20", "mw": 2}]}]}},
    }
    log = events(sim.run(scenario_from(colo, status=status)))
    assert ("2026-02-20", "h", "handed_over") in log
    assert ("2026-02-20", "t", "delivered") in log


def test_a_recorded_mining_retirement_applies_on_its_date() -> None:
    scenario = scenario_from(
        STORY,
        sites__s__mining={"mw": 6, "j_per_th": 20, "pue": 1.0},
        status={
            "as_of": "2026-01-11",
            "sites": {
                "s": {
                    "halls": {"h": {"construction": {"started": "2026-01-01"}}},
                    "mining": {"retired": [{"date": "2026-01-06", "mw": 4}]},
                }
            },
        },
    )
    result = sim.run(scenario)
    assert ("2026-01-06", "s", "decommissioned") in events(result)
    site = result.timeline[result.timeline.site == "s"].set_index("date")
    assert site.loc[pd.Timestamp(2026, 1, 5), "mining_mw"] == 6.0
    assert site.loc[pd.Timestamp(2026, 1, 6), "mining_mw"] == 2.0


# -- invariants ----------------------------------------------------------------------------


_RECORD = {
    "construction_started",
    "construction_complete",
    "ready",
    "arrived",
    "racks_installed",
    "racks_accepted",
}


def status_of(result: sim.Result, as_of: int) -> dict[str, Any]:
    """A status block recording exactly the run's own milestones up to day ``as_of``."""
    hall: dict[str, Any] = {}
    arrived: list[dict[str, Any]] = []
    for r in result.events.itertuples():
        d = f"{r.date:%Y-%m-%d}"
        if day(d) > as_of or r.milestone not in _RECORD:
            continue
        if r.milestone == "construction_started":
            hall.setdefault("construction", {})["started"] = d
        elif r.milestone == "construction_complete":
            hall.setdefault("construction", {})["finished"] = d
        elif r.milestone == "ready":
            hall["ready"] = {"date": d}
        elif r.milestone == "arrived":
            arrived.append({"date": d, "racks": int(r.quantity)})
        else:
            key = "installed" if r.milestone == "racks_installed" else "accepted"
            hall.setdefault(key, []).append({"date": d, "racks": int(r.quantity)})
    status: dict[str, Any] = {"as_of": (START + dt.timedelta(days=as_of)).isoformat()}
    if hall:
        status["sites"] = {"s": {"halls": {"h": hall}}}
    if arrived:
        status["deliveries"] = {"d": {"arrived": arrived}}
    return status


def story(build: int, arrive: int) -> dict[str, Any]:
    """The story with whole-day durations and dates, so every event falls on a whole day."""
    data = scenario_from(
        STORY,
        sites__s__halls__h__construction__duration=f"{build}d",
        deliveries__d__tranches=[
            {"date": (START + dt.timedelta(days=arrive)).isoformat(), "racks": 14}
        ],
    )
    return data.model_dump(mode="json", exclude_unset=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(5, 60), st.integers(0, 80), st.integers(0, 130))
def test_recording_the_plan_runs_own_past_changes_no_date(build: int, arrive: int, as_of: int):
    base = story(build, arrive)
    plan = sim.run(Scenario.model_validate(base))
    installs = [
        day(f"{r.date:%Y-%m-%d}")
        for r in plan.events.itertuples()
        if r.milestone == "racks_installed"
    ]
    # An installation job under way is not a recordable milestone: skip such data dates.
    assume(not any(t - 7 < as_of < t for t in installs))
    updated = sim.run(Scenario.model_validate({**base, "status": status_of(plan, as_of)}))
    assert events(updated) == events(plan)
    pd.testing.assert_frame_equal(updated.timeline, plan.timeline)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 130), st.integers(0, 1000))
def test_no_unrecorded_event_before_as_of_and_actuals_exact(as_of: int, seed: int) -> None:
    uncertain = scenario_from(
        STORY,
        sites__s__halls__h__construction__duration={"pert": ["15d", "30d", "70d"]},
        sites__s__halls__h__commissioning={"lognormal": {"median": "10d", "p90": "25d"}},
        platforms__p__fallout=0.2,
        platforms__p__rework="5d",
    ).model_dump(mode="json", exclude_unset=True)
    # The status: what one replication did up to the data date.
    history = replication(Scenario.model_validate(uncertain), seed, 0)
    installs = hall_events(history, Milestone.RACKS_INSTALLED)
    assume(not any(t - 7 < as_of < t for t in installs))
    status = status_from_recorder(history, as_of)
    scenario = Scenario.model_validate({**uncertain, "status": status})
    recorded = actuals(scenario)
    assert recorded is not None
    wanted = {(r.milestone, r.day) for r in recorded.records}
    for index in range(5):
        rec = replication(scenario, seed + 1, index)
        for e in rec.events:
            if e.t < as_of and e.milestone not in _CONSEQUENCES:
                assert (_name(e.milestone), e.t) in wanted, e
        assert wanted <= {(_name(e.milestone), e.t) for e in rec.events}


_CONSEQUENCES = {Milestone.ENERGIZED, Milestone.POWER_RESERVED, Milestone.DELIVERED}
"""Not recordable: the existing grid, and what follows at once from a recorded milestone
(power reserved when construction is recorded finished; a tranche filled by recorded racks)."""


def _name(milestone: Milestone) -> str:
    return {
        "construction_complete": "construction_finished",
        "racks_installed": "installed",
        "racks_accepted": "accepted",
        "rework_accepted": "accepted",
    }.get(str(milestone), str(milestone))


def status_from_recorder(rec: Recorder, as_of: int) -> dict[str, Any]:
    hall: dict[str, Any] = {}
    arrived: list[dict[str, Any]] = []
    for e in rec.events:
        when = int(e.t)  # a record is dated to the day: the floor keeps the order
        if e.t > as_of or str(e.milestone) not in {*_RECORD, "rework_accepted"}:
            continue
        d = (START + dt.timedelta(days=when)).isoformat()
        if e.milestone is Milestone.CONSTRUCTION_STARTED:
            hall.setdefault("construction", {})["started"] = d
        elif e.milestone is Milestone.CONSTRUCTION_COMPLETE:
            hall.setdefault("construction", {})["finished"] = d
        elif e.milestone is Milestone.READY:
            hall["ready"] = {"date": d}
        elif e.milestone is Milestone.ARRIVED:
            arrived.append({"date": d, "racks": int(e.quantity)})
        else:
            key = "installed" if e.milestone is Milestone.RACKS_INSTALLED else "accepted"
            hall.setdefault(key, []).append({"date": d, "racks": int(e.quantity)})
    status: dict[str, Any] = {"as_of": (START + dt.timedelta(days=as_of)).isoformat()}
    if hall:
        status["sites"] = {"s": {"halls": {"h": hall}}}
    if arrived:
        status["deliveries"] = {"d": {"arrived": arrived}}
    return status


def test_a_gpu_tranche_accepted_on_its_recorded_date() -> None:
    # On Feb 21 the status records the first lot installed Feb 17 and the customer's
    # acceptance of 7 racks of the tranche on Feb 20, but not which racks in the hall. The 7
    # count (and bill) from Feb 20; the installed lot ends its burn-in on the data date and is
    # not counted twice; the second lot (crew from Feb 21, a week) is accepted Mar 3 and fills
    # the tranche.
    built = {"started": "2026-01-01", "finished": "2026-01-31"}
    status = {
        "as_of": "2026-02-21",
        "sites": {
            "s": {
                "halls": {
                    "h": {
                        "construction": built,
                        "ready": {"date": "2026-02-10"},
                        "installed": [{"date": "2026-02-17", "racks": 7}],
                    }
                }
            }
        },
        "deliveries": {"d": {"arrived": [{"date": "2026-01-21", "racks": 14}]}},
        "contracts": {"c": {"tranches": [{"accepted": [{"date": "2026-02-20", "racks": 7}]}]}},
    }
    result = sim.run(scenario_from(STORY, status=status))
    assert ("2026-03-03", "c", "delivered") in events(result)
    units = result.contracts[result.contracts.contract == "c"].set_index("date")
    assert units.loc[pd.Timestamp(2026, 2, 19), "units_delivered"] == 0.0
    assert units.loc[pd.Timestamp(2026, 2, 20), "units_delivered"] == 7.0
    assert units.loc[pd.Timestamp(2026, 3, 2), "units_delivered"] == 7.0
    assert units.loc[pd.Timestamp(2026, 3, 3), "units_delivered"] == 14.0
    assert result.summary["contracts"]["c"]["first_delivery"] == "2026-02-20"
