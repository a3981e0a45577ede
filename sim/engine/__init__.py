"""The discrete-event engine: SimPy processes per domain entity, recording plain rows."""

from sim.engine.model import simulate
from sim.engine.recorder import Recorder
from sim.engine.sampler import Deterministic, Sampler

__all__ = ["Deterministic", "Recorder", "Sampler", "simulate"]
