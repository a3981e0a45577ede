"""A status run's outputs mark the data date and the recorded actuals."""

from __future__ import annotations

import datetime as dt

from sim.analysis.timeline import PORTFOLIO
from sim.outputs.plots.status import Marks, marks_of
from tests.helpers import STORY, scenario_from

STATUS = {
    "as_of": "2026-02-25",
    "sites": {
        "s": {
            "halls": {
                "h": {
                    "construction": {"started": "2026-01-01", "finished": "2026-01-31"},
                    "ready": {"date": "2026-02-10"},
                    "installed": [{"date": "2026-02-17", "racks": 7}],
                    "accepted": [{"date": "2026-02-20", "racks": 7}],
                }
            }
        }
    },
    "deliveries": {"d": {"arrived": [{"date": "2026-01-21", "racks": 14}]}},
}


def test_marks_of_a_status_are_its_data_date_and_actuals() -> None:
    scenario = scenario_from(STORY, status=STATUS)
    expected = Marks(
        dt.date(2026, 2, 25), ((dt.date(2026, 2, 10), "ready_it_mw"),), (dt.date(2026, 2, 20),)
    )
    assert marks_of(scenario, "s") == expected
    assert marks_of(scenario, PORTFOLIO) == expected
    assert marks_of(scenario_from(STORY), "s") is None
