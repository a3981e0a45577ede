"""What a site's processes share and change during a run: each hall's state, the lots of
racks waiting in the inventory, and the types of the SimPy processes (see
`sim.engine.site`)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import simpy

from sim.engine.acceptance import Acceptor
from sim.engine.ledger import Ledger
from sim.engine.plan import HallPlan, PlatformPlan
from sim.units import Days

Process = Generator[simpy.Event, object, None]
"""A SimPy process of the model."""
Until = Generator[simpy.Event, object, Days]
"""A sub-process that returns the time at which it ends."""


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


@dataclass
class Lot:
    delivery: str
    platform: PlatformPlan
    racks: int
