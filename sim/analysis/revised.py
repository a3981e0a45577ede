"""Revised due dates: the due date a tranche is reported against besides its baseline.

A tranche's contracted `due` is the baseline: late credits and the rest of the money follow
it. A revision (in the scenario's tranche or recorded by a status update) moves the date the
planner now works to. Slips and on-time probabilities are reported against both: the
revised due date is the one in force at the status's data date (`as_of`), or, for a scenario
without a status, the latest revision in the file.

Scenarios with no status and no revision report no revised columns, so their outputs are
unchanged. A tranche an amendment added or removed says so in its row (`amended_row`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sim.scenario.amendments import Window, all_tranches
from sim.scenario.schema import Scenario
from sim.scenario.status import effective_due, revisions


def reports_revisions(scenario: Scenario) -> bool:
    """Whether the scenario's outputs carry revised-due columns: it has a status, or a
    tranche with a revision."""
    return scenario.status is not None or any(
        t.revised for c in scenario.contracts.values() for t in all_tranches(c)
    )


def revised_due(scenario: Scenario, contract: str, index: int) -> dt.date:
    """The due date of tranche ``index`` (from 0) in force at the data date, or after every
    revision of the file when there is no status."""
    tranche = all_tranches(scenario.contracts[contract])[index]
    at = scenario.status.as_of if scenario.status is not None else dt.date.max
    status_revisions = revisions(scenario, contract, index)[len(tranche.revised) :]
    return effective_due(tranche, at, status_revisions)


def amended_row(due: dt.date, span: Window, delivered: dt.date | None) -> dict[str, Any]:
    """An added tranche's `added` date, a removed one's `removed` date; a tranche removed
    before it was due and never delivered is neither on time nor late (``on_time`` None)."""
    out: dict[str, Any] = {}
    if span.opens is not None:
        out["added"] = span.opens.isoformat()
    if span.closes is not None:
        out["removed"] = span.closes.isoformat()
        if delivered is None and span.closes <= due:
            out["on_time"] = None
    return out
