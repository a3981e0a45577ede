"""The roll-out fields in the engine: approval gates, pause windows and the mining fleet's own
retirement steps. Story dates by hand: the hall is built Jan 1-31 and ready Feb 10."""

from __future__ import annotations

import pandas as pd

import sim
from tests.helpers import STORY, scenario_from


def log(result: sim.Result) -> list[tuple[str, str, str]]:
    return [(f"{e.date:%Y-%m-%d}", e.name, e.milestone) for e in result.events.itertuples()]


def test_a_pause_window_shifts_construction_by_its_length() -> None:
    # Construction does not progress Jan 11-20 (10 days): built Feb 10, ready Feb 20.
    pause = {"start": "2026-01-11", "end": "2026-01-20", "work": ["construction"]}
    result = sim.run(scenario_from(STORY, sites__s__pauses=[pause]))
    assert ("2026-02-10", "h", "construction_complete") in log(result)
    assert ("2026-02-20", "h", "ready") in log(result)


def test_a_pause_of_other_work_leaves_construction_alone() -> None:
    # Commissioning paused Feb 1-5 (5 days) and it runs Jan 31 - Feb 10: ready Feb 15.
    pause = {"start": "2026-02-01", "duration": "5d", "work": ["commissioning"]}
    result = sim.run(scenario_from(STORY, sites__s__pauses=[pause]))
    assert ("2026-01-31", "h", "construction_complete") in log(result)
    assert ("2026-02-15", "h", "ready") in log(result)


def test_a_hall_waits_for_its_gate() -> None:
    # The permit is expected Jan 10 and comes 5 days late: construction Jan 15 - Feb 14.
    gate = {"name": "permit", "expected": "2026-01-10", "delay": "5d"}
    result = sim.run(scenario_from(STORY, sites__s__halls__h__gate=gate))
    assert ("2026-01-15", "h", "construction_started") in log(result)
    assert ("2026-02-24", "h", "ready") in log(result)


def test_a_grid_phase_waits_for_its_gate_and_a_recorded_clearance_pins_it() -> None:
    # The phase is planned Jan 1 but its interconnection approval is expected Feb 1, 0-60 days
    # late (30 in the plan run): energized Mar 3, so the hall (built Jan 31) reserves power
    # Mar 3 and is ready Mar 13.
    gate = {"expected": "2026-02-01", "delay": {"uniform": ["0d", "60d"]}}
    plan = log(sim.run(scenario_from(STORY, sites__s__grid__0__gate=gate)))
    assert ("2026-03-03", "g", "energized") in plan
    assert ("2026-03-13", "h", "ready") in plan
    # A status of Feb 10 records the gate cleared Feb 5, the phase not yet energized: it is
    # energized on the data date, and the hall is ready 10 days later.
    status = {
        "as_of": "2026-02-10",
        "sites": {
            "s": {
                "grid": {"g": {"gate_cleared": "2026-02-05"}},
                "halls": {
                    "h": {"construction": {"started": "2026-01-01", "finished": "2026-01-31"}}
                },
            }
        },
        "deliveries": {"d": {"arrived": [{"date": "2026-01-21", "racks": 14}]}},
    }
    updated = log(sim.run(scenario_from(STORY, sites__s__grid__0__gate=gate, status=status)))
    assert ("2026-02-10", "g", "energized") in updated
    assert ("2026-02-20", "h", "ready") in updated


def test_the_mining_fleet_retires_on_its_own_schedule() -> None:
    # 6 MW of miners; a planned step retires 4 MW on Jan 6 (2 days late): Jan 8.
    mining = {
        "mw": 6,
        "j_per_th": 20,
        "pue": 1.0,
        "retirements": [{"date": "2026-01-06", "mw": 4, "delay": "2d"}],
    }
    result = sim.run(scenario_from(STORY, sites__s__mining=mining))
    assert ("2026-01-08", "s", "decommissioned") in log(result)
    rows = result.timeline[result.timeline.site == "s"].set_index("date")
    assert rows.loc[pd.Timestamp(2026, 1, 7), "mining_mw"] == 6.0
    assert rows.loc[pd.Timestamp(2026, 1, 8), "mining_mw"] == 2.0


def test_mining_revenue_follows_the_hashprice_path() -> None:
    # 6 MW at 20 J/TH is 0.3 EH/s = 300 PH/s: $40/PH/day earns $12,000 a day; from Jan 11 the
    # hashprice is $20: $6,000 a day. The hall takes 3 MW of the 10 from Jan 31: mining keeps
    # its 6 MW (7 MW of headroom at PUE 1.0).
    mining = {
        "mw": 6,
        "j_per_th": 20,
        "pue": 1.0,
        "hashprice_usd_per_ph_day": 40,
        "hashprice_path": [{"start": "2026-01-11", "usd_per_ph_day": 20}],
    }
    result = sim.run(scenario_from(STORY, sites__s__mining=mining))
    rows = result.timeline[result.timeline.site == "s"].set_index("date")["mining_revenue_usd"]
    assert rows[pd.Timestamp(2026, 1, 10)] == 12000.0
    assert rows[pd.Timestamp(2026, 1, 11)] == 6000.0
    assert rows.sum() == 10 * 12000.0 + 355 * 6000.0
