"""The scenario file format, as strict immutable pydantic models."""

from sim.scenario.schema.contract import (
    ColocationContract,
    ColoTranche,
    Contract,
    GpuCloudContract,
    GpuTranche,
)
from sim.scenario.schema.hardware import Delivery, DeliveryTranche, Platform
from sim.scenario.schema.scenario import Scenario, ScenarioInfo, Step
from sim.scenario.schema.site import Construction, Crews, GridPhase, Hall, Mining, Site

__all__ = [
    "ColoTranche",
    "ColocationContract",
    "Construction",
    "Contract",
    "Crews",
    "Delivery",
    "DeliveryTranche",
    "GpuCloudContract",
    "GpuTranche",
    "GridPhase",
    "Hall",
    "Mining",
    "Platform",
    "Scenario",
    "ScenarioInfo",
    "Site",
    "Step",
]
