"""The discrete-event engine: SimPy processes per domain entity, recording plain rows."""

from sim.engine.model import simulate
from sim.engine.recorder import Recorder
from sim.engine.sampler import Deterministic, Random, Sampler

__all__ = ["Deterministic", "Random", "Recorder", "Sampler", "simulate"]
