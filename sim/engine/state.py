"""What a site's processes share and change during a run: each hall's state, the lots of
racks waiting in the inventory, and the types of the SimPy processes (see
`sim.engine.site`)."""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass

import simpy

from sim.engine.acceptance import Acceptor
from sim.engine.ledger import Ledger
from sim.engine.plan import HallPlan, PlatformPlan
from sim.engine.vocabulary import Stage
from sim.units import TIME_EPS, Days

Process = Generator[simpy.Event, object, None]
"""A SimPy process of the model."""
Until = Generator[simpy.Event, object, tuple[Days, bool]]
"""A sub-process that returns the time at which it ends, and whether an approval gate set
that time."""


@dataclass
class HallState:
    """A hall's plan and what changes during the run."""

    plan: HallPlan
    ledger: Ledger | None
    ready_at: Days | None = None
    free_kw: float = 0.0
    acceptor: Acceptor | None = None
    pending: int = 0
    """Racks installed (or being installed) here, not yet through burn-in and rework."""
    stage: Stage = Stage.HALL
    """What set its ready time: its construction and commissioning, an approval gate on its
    construction start (or its predecessor's), or grid power it waited for once built."""


@dataclass
class Lot:
    delivery: str
    platform: PlatformPlan
    racks: int
    arrived: Days = 0.0


def job_stage(lot: Lot, hall: HallState, crew_freed: Days) -> Stage:
    """What held an installation job of ``lot`` into ``hall`` that starts now the longest:
    the later of the lot's arrival (delivery) and the hall's readiness (the hall's own stage)
    held it from the earlier of the two; a crew that finished another job at ``crew_freed``,
    after both were there, held it from then. The longer hold wins; a tie goes to the hall,
    then the delivery."""
    ready = hall.ready_at if hall.ready_at is not None else -math.inf
    later, earlier = max(ready, lot.arrived), min(ready, lot.arrived)
    if crew_freed - later > later - earlier + TIME_EPS:
        return Stage.CREWS
    return hall.stage if ready + TIME_EPS >= lot.arrived else Stage.DELIVERY
