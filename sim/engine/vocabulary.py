"""The engine's vocabulary, shared with the analysis and the outputs: the names of the levels
it records, the kinds of entity that reach milestones, and the milestones themselves.

The engine records only these names, so a misspelt one fails where it is written, and
readers (the timeline, the Gantt chart, tests) select by value rather than parse strings.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """A site's level recorded by the engine (MW, counts, a spending rate, cumulative USD)."""

    GRID_MW = "grid_mw"
    RESERVED_MW = "reserved_mw"
    HALLS_BUILDING_MW = "halls_building_mw"
    HALLS_WAITING_POWER_MW = "halls_waiting_power_mw"
    HALLS_COMMISSIONING_MW = "halls_commissioning_mw"
    READY_IT_MW = "ready_it_mw"
    AI_IT_MW = "ai_it_mw"
    AI_FACILITY_MW = "ai_facility_mw"
    MINING_MW = "mining_mw"
    MINING_FACILITY_MW = "mining_facility_mw"
    COLO_HANDED_OVER_MW = "colo_handed_over_mw"
    RACK_SPACE_KW = "rack_space_kw"
    RACKS_DELIVERED = "racks_delivered"
    RACKS_WAITING = "racks_waiting"
    RACKS_INSTALLING = "racks_installing"
    RACKS_BURN_IN = "racks_burn_in"
    RACKS_REWORK = "racks_rework"
    RACKS_INSTALLED = "racks_installed"
    RACKS_ACCEPTED = "racks_accepted"
    RACKS_ONLINE = "racks_online"
    RACKS_IN_REPAIR = "racks_in_repair"
    GPUS_ONLINE = "gpus_online"
    CREWS_BUSY = "crews_busy"
    MINING_POTENTIAL_MW = "mining_potential_mw"
    TENANT_FACILITY_MW = "tenant_facility_mw"
    RACKS_AWAITING_ACCEPTANCE = "racks_awaiting_acceptance"
    """Racks through burn-in, waiting for the customer's acceptance."""
    COLO_AWAITING_ACCEPTANCE_MW = "colo_awaiting_acceptance_mw"
    """Colocation IT MW handed over, waiting for the tenant's acceptance."""
    CAPEX_RATE_USD_PER_DAY = "capex_rate_usd_per_day"
    CAPEX_PAID_USD = "capex_paid_usd"


class Kind(StrEnum):
    """The kind of entity a milestone belongs to."""

    GRID = "grid"
    """A grid phase (its name is the phase's)."""
    MINING = "mining"
    """A site's mining fleet (its name is the site's)."""
    HALL = "hall"
    DELIVERY = "delivery"
    """A delivery of racks; its milestones carry the tranche number."""
    CONTRACT = "contract"
    """A customer contract; its milestones carry the tranche number."""


class Milestone(StrEnum):
    """What happened to an entity on a date."""

    ENERGIZED = "energized"
    DECOMMISSIONED = "decommissioned"
    CONSTRUCTION_STARTED = "construction_started"
    CONSTRUCTION_COMPLETE = "construction_complete"
    POWER_RESERVED = "power_reserved"
    READY = "ready"
    HANDED_OVER = "handed_over"
    ARRIVED = "arrived"
    """A delivery tranche arrived at the site."""
    RACKS_INSTALLED = "racks_installed"
    BURN_IN_FALLOUT = "burn_in_fallout"
    RACKS_READY = "racks_ready"
    """Racks through burn-in, now waiting for the customer's acceptance."""
    RACKS_ACCEPTED = "racks_accepted"
    REWORK_ACCEPTED = "rework_accepted"
    DELIVERED = "delivered"
    """A contract tranche was filled."""


HALL_PHASES = (
    Milestone.CONSTRUCTION_STARTED,
    Milestone.CONSTRUCTION_COMPLETE,
    Milestone.POWER_RESERVED,
    Milestone.READY,
)
"""The milestones that bound a hall's phases: building, waiting for power, commissioning."""


class Stage(StrEnum):
    """The pipeline stage that set a contract tranche's fill date (its criticality: see
    `sim.engine.state.job_stage` and docs/criticality.md), in pipeline order."""

    GRID = "grid"
    """The hall waited for grid power (a phase energized) after it was built."""
    GATE = "gate"
    """An approval gate held the hall's construction start."""
    HALL = "hall"
    """The hall's construction and commissioning."""
    DELIVERY = "delivery"
    """The racks arrived after the hall was ready (and no crew held them longer)."""
    CREWS = "crews"
    """Once the racks and the hall were there, the job waited for a free crew longer than
    the later of the two had held it."""
    ACCEPTANCE = "acceptance"
    """The units were ready; the customer's acceptance of a whole tranche or hall held them
    for other units."""
    RECORDED = "recorded"
    """A status update recorded the units that filled the tranche (the past set it)."""
