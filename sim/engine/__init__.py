"""The discrete-event engine: SimPy processes per domain entity, recording plain rows."""

from sim.engine.buildplan import build_plan
from sim.engine.model import simulate
from sim.engine.plan import Plan
from sim.engine.recorder import Recorder
from sim.engine.sampler import Deterministic, Random, Sampler
from sim.engine.status import apply_status

__all__ = [
    "Deterministic",
    "Plan",
    "Random",
    "Recorder",
    "Sampler",
    "apply_status",
    "build_plan",
    "simulate",
]
