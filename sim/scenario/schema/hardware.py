"""Scenario schema for hardware: platforms (rack types) and deliveries (procurement orders)."""

import datetime as dt
from typing import Literal, Self

from pydantic import Field, model_validator

from sim.scenario.schema.durations import FixedDuration
from sim.scenario.schema.types import (
    Duration,
    Name,
    PositiveFloat,
    PositiveInt,
    StrictModel,
    UncertainNonNegative,
    UncertainRate,
    plan,
)


class Platform(StrictModel):
    """A hardware type. The rack (e.g. an NVL72) is the unit of install, burn-in and repair."""

    RULES = ("`allocated_it_kw_per_rack` >= `it_kw_per_rack`: the allocation includes the rack.",)

    gpus_per_rack: PositiveInt
    """GPUs in one rack (72 for an NVL72)."""
    it_kw_per_rack: PositiveFloat
    """Power one rack draws, in kW (about 135 for a GB300 NVL72)."""
    allocated_it_kw_per_rack: PositiveFloat | None = None
    """Critical IT a rack takes from its hall, with its share of networking and storage, in kW;
    defaults to `it_kw_per_rack`. This sets how many racks fill a hall."""
    cooling: Literal["liquid", "air", "any"] = "any"
    """Hall cooling the platform needs."""
    burn_in: Duration = 0.0
    """Burn-in and acceptance time after installation."""
    fallout: UncertainRate = 0.0
    """Fraction of racks that fail burn-in and go to rework."""
    rework: Duration = 0.0
    """Time a rack that failed burn-in spends in rework before it is accepted."""
    failures_per_rack_year: UncertainNonNegative = 0.0
    """Failures per online rack per year (rack-level outages)."""
    repair: Duration = 0.0
    """Time a failed rack is out of service."""
    price_usd_per_rack: UncertainNonNegative = 0.0
    """Price of one rack including its ancillary equipment, in USD."""

    @model_validator(mode="after")
    def _allocation(self) -> Self:
        if (
            self.allocated_it_kw_per_rack is not None
            and self.allocated_it_kw_per_rack < self.it_kw_per_rack
        ):
            raise ValueError(
                f"`allocated_it_kw_per_rack` ({self.allocated_it_kw_per_rack:g}) is below "
                f"`it_kw_per_rack` ({self.it_kw_per_rack:g}); the allocation includes the rack"
            )
        return self

    @property
    def hall_kw_per_rack(self) -> float:
        """Critical IT kW a rack occupies in its hall."""
        if self.allocated_it_kw_per_rack is not None:
            return self.allocated_it_kw_per_rack
        return self.it_kw_per_rack

    @property
    def unavailability(self) -> float:
        """Expected fraction of accepted racks out for repair (alternating renewal)."""
        down = plan(self.failures_per_rack_year) * plan(self.repair) / 365.25
        return down / (1.0 + down)


class DeliveryTranche(StrictModel):
    """Racks shipped to the site on a date."""

    date: dt.date
    """Date the racks arrive at the site."""
    racks: PositiveInt
    """Number of racks in the tranche."""
    slip: Duration = 0.0
    """Delay of this tranche alone, on top of the delivery's `slip`."""


class Delivery(StrictModel):
    """A procurement order: racks of one platform delivered to one site in dated tranches."""

    platform: Name
    """Name of the platform delivered."""
    site: Name
    """Name of the receiving site."""
    tranches: list[DeliveryTranche] = Field(min_length=1)
    """Dated tranches, in any order."""
    slip: Duration = 0.0
    """Delay added to every tranche's date: one draw for the whole delivery, so its
    tranches slip together."""
    payment_terms: FixedDuration = 0.0
    """Time from shipment to payment (e.g. `30d` for net-30 terms)."""
