"""Scenario schema for customer contracts: GPU cloud (billed per GPU) and colocation (per MW)."""

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from sim.scenario.schema.base import exactly_one
from sim.scenario.schema.durations import FixedDuration, PositiveDuration
from sim.scenario.schema.progress import Acceptance, Revision
from sim.scenario.schema.types import (
    Fraction,
    Name,
    NonNegativeFloat,
    Number,
    PositiveFloat,
    PositiveInt,
    StrictModel,
    UncertainFraction,
)


class GpuTranche(StrictModel):
    """Racks or GPUs the customer must have accepted by a due date (racks out for repair still
    count as delivered; `billed_gpus` says whether they bill)."""

    model_config = ConfigDict(json_schema_extra=exactly_one("racks", "gpus"))
    RULES = ("Give exactly one of `racks` or `gpus`.",)

    due: dt.date
    """Date the tranche is due."""
    racks: PositiveInt | None = None
    """Racks due. Give this or `gpus` (the same unit in every tranche of a contract)."""
    gpus: PositiveInt | None = None
    """GPUs due. Give this or `racks`."""
    hall: Name | None = None
    """Hall that serves the tranche: only that hall's units fill it. A contract is served by
    every hall its tranches name; if they name none, by every hall at its site that no other
    contract names. Tranches that name no hall fill from any of the contract's units."""
    acceptance: Acceptance | None = None
    """Acceptance of this tranche, when it differs from the contract's `acceptance`."""
    revised: list[Revision] = Field(default_factory=list)
    """Revised due dates, in the order they were made; `due` stays the contracted
    (baseline) date."""

    @model_validator(mode="after")
    def _one_unit(self) -> Self:
        if (self.racks is None) == (self.gpus is None):
            raise ValueError("a gpu_cloud tranche needs exactly one of `racks` or `gpus`")
        return self

    @property
    def units(self) -> int:
        return self.racks if self.racks is not None else self.gpus  # type: ignore[return-value]


class ColoTranche(StrictModel):
    """MW of hall capacity to hand over to the tenant by a due date."""

    due: dt.date
    """Date the tranche is due."""
    mw: PositiveFloat
    """MW due (critical IT or gross, as the contract's `mw_basis` says)."""
    hall: Name | None = None
    """Hall that serves the tranche: only that hall's units fill it. A contract is served by
    every hall its tranches name; if they name none, by every hall at its site that no other
    contract names. Tranches that name no hall fill from any of the contract's units."""
    acceptance: Acceptance | None = None
    """Acceptance of this tranche, when it differs from the contract's `acceptance`."""
    revised: list[Revision] = Field(default_factory=list)
    """Revised due dates, in the order they were made; `due` stays the contracted
    (baseline) date."""

    @property
    def units(self) -> float:
        return self.mw


class _ContractBase(StrictModel):
    site: Name
    """Site where the capacity is delivered."""
    customer: str = ""
    """Customer name, for reports."""
    label: str = ""
    """How plots and reports name the contract (default: its customer, else its key)."""
    value_usd: PositiveFloat | None = None
    """Total contract value: what the contract bills over every unit's `term` when its tranches
    are delivered on their due dates (with colocation escalation, in escalated rent). Give this
    or the unit price."""
    term: PositiveDuration
    """Billing term of each delivered unit, from its billing start (e.g. `5y`)."""
    late_credit_usd_per_unit_day: NonNegativeFloat = 0.0
    """Credit owed to the customer per unit-day a tranche is late (units due but not yet
    delivered, each day after their due date); 0 when the contract defines none. Days late
    before the scenario start count too, in the first row."""
    signed: dt.date | None = None
    """Date the contract was signed (a lease signed after the scenario was first written):
    nothing bills, is due or is prepaid before it, and no amendment comes before it."""
    acceptance: Acceptance | None = None
    """Customer acceptance of delivered units; none means each lot is accepted the day it is
    ready (per lot, no extra time)."""

    @property
    def total_units(self) -> float:
        return float(sum(t.units for t in self.tranches))  # type: ignore[attr-defined]


class _AmendmentBase(StrictModel):
    date: dt.date
    """Date the amendment takes effect; money before it follows the old terms."""
    note: str = ""
    """What changed and where it was published, for reports."""
    term: Annotated[FixedDuration, Field(gt=0)] | None = None
    """New billing term of each unit: from `date`, a unit bills while this term has not run
    out since its billing start."""
    value_usd: PositiveFloat | None = None
    """New total contract value: what the tranches in force after the amendment bill over the
    new term when delivered on their due dates. Without it (or a new price), the price per
    unit stays."""
    remove_tranches: list[Annotated[int, Field(ge=0, strict=True)]] = Field(default_factory=list)
    """Tranches dropped, by position in the contract's `tranches` (0 is the first): from `date`
    they take no more units, and what of them was not delivered is no longer owed (no late
    credits; a prepayment received for it is refunded)."""


class GpuCloudAmendment(_AmendmentBase):
    """A dated change to a GPU cloud contract: billing follows the old terms before `date`
    and the new ones from it (`sim.scenario.amendments`)."""

    RULES = (
        "`value_usd` or `price_usd_per_gpu_hour`, not both.",
        "An amendment changes something: a term, a value or price, or tranches.",
    )

    price_usd_per_gpu_hour: PositiveFloat | None = None
    """New price per billed GPU-hour."""
    add_tranches: list[GpuTranche] = Field(default_factory=list)
    """Tranches added, in the contract's unit: in force from `date` (due on their `due`, or
    on `date` if later), numbered after the contract's own tranches."""

    @model_validator(mode="after")
    def _changes(self) -> Self:
        _check_amendment(self, self.price_usd_per_gpu_hour, "price_usd_per_gpu_hour")
        return self


class ColocationAmendment(_AmendmentBase):
    """A dated change to a colocation lease: rent follows the old terms before `date` and the
    new ones from it (`sim.scenario.amendments`)."""

    RULES = (
        "`value_usd` or `rent_usd_per_mw_year`, not both.",
        "An amendment changes something: a term, a value or rent, or tranches.",
    )

    rent_usd_per_mw_year: PositiveFloat | None = None
    """New first-year rent per MW."""
    add_tranches: list[ColoTranche] = Field(default_factory=list)
    """Tranches of MW added: in force from `date` (due on their `due`, or on `date` if later),
    numbered after the contract's own tranches."""

    @model_validator(mode="after")
    def _changes(self) -> Self:
        _check_amendment(self, self.rent_usd_per_mw_year, "rent_usd_per_mw_year")
        return self


def _check_amendment(amendment: _AmendmentBase, price: float | None, price_key: str) -> None:
    if amendment.value_usd is not None and price is not None:
        raise ValueError(f"an amendment sets `value_usd` or `{price_key}`, not both")
    changes = (
        amendment.term,
        amendment.value_usd,
        price,
        amendment.remove_tranches or None,
        amendment.add_tranches or None,  # type: ignore[attr-defined]
    )
    if all(c is None for c in changes):
        raise ValueError(
            f"an amendment changes something: `term`, `value_usd`, `{price_key}`, "
            "`add_tranches` or `remove_tranches`"
        )


class GpuCloudContract(_ContractBase):
    """GPU cloud: the operator owns and runs the GPUs and bills for them once accepted
    (counted in racks or GPUs), as in IREN's contract with Microsoft. Tranches count accepted
    units; `billed_gpus` says whether the GPUs out for repair bill."""

    model_config = ConfigDict(json_schema_extra=exactly_one("value_usd", "price_usd_per_gpu_hour"))
    RULES = (
        "Give exactly one of `value_usd` or `price_usd_per_gpu_hour`.",
        "Every tranche counts the same unit: all `racks` or all `gpus`.",
        "With a `prepayment`: `prepayment_credit_after` < `term`, so the prepayment is "
        "credited back within the term.",
    )

    kind: Literal["gpu_cloud"]
    """Contract kind."""
    tranches: list[GpuTranche] = Field(min_length=1)
    """Tranches of racks or GPUs with due dates."""
    price_usd_per_gpu_hour: PositiveFloat | None = None
    """Price per billed GPU-hour. Give this or `value_usd`."""
    billed_gpus: Literal["available", "accepted"] = "available"
    """Which GPUs bill: `available` bills the GPUs online, that is accepted less the expected
    share out for repair (the platform's failure rate and repair time), so repairs cost
    revenue; `accepted` bills every accepted GPU, as when the contract pays for capacity
    whatever its availability. A `value_usd` contract bills the same share of its value."""
    prepayment: Fraction = 0.0
    """Fraction of each tranche's value (its units over the full term) the customer prepays."""
    prepayment_lead: FixedDuration = 0.0
    """How long before a tranche's due date its prepayment is received."""
    prepayment_credit_after: FixedDuration = 0.0
    """Service time after which the prepayment is credited back, in equal parts over the rest
    of each delivered unit's term (IREN-Microsoft: after the 24th month, `24mo`)."""
    amendments: list[GpuCloudAmendment] = Field(default_factory=list)
    """Dated changes to the contract, in date order."""

    @model_validator(mode="after")
    def _credit_within_term(self) -> Self:
        if self.prepayment and self.prepayment_credit_after >= self.term:
            raise ValueError(
                "`prepayment_credit_after` must be shorter than `term`, so the prepayment can "
                "be credited back within the term"
            )
        return self

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if (self.value_usd is None) == (self.price_usd_per_gpu_hour is None):
            raise ValueError(
                "a gpu_cloud contract needs exactly one of `value_usd` or `price_usd_per_gpu_hour`"
            )
        kinds = {"racks" if t.racks is not None else "gpus" for t in self.tranches}
        if len(kinds) > 1:
            raise ValueError("tranches mix `racks` and `gpus`; use one unit for the whole contract")
        return self

    @property
    def unit(self) -> str:
        return "racks" if self.tranches[0].racks is not None else "gpus"


class ColocationContract(_ContractBase):
    """Colocation: the operator hands over powered, cooled hall capacity and the tenant brings
    the IT, as in Cipher's lease to AWS. Billed as rent per MW delivered."""

    model_config = ConfigDict(json_schema_extra=exactly_one("value_usd", "rent_usd_per_mw_year"))
    RULES = ("Give exactly one of `value_usd` or `rent_usd_per_mw_year`.",)

    kind: Literal["colocation"]
    """Contract kind."""
    tranches: list[ColoTranche] = Field(min_length=1)
    """Tranches of MW with due dates."""
    mw_basis: Literal["it", "gross"] = "it"
    """Whether the contract's MW are critical IT or gross (facility) MW."""
    rent_usd_per_mw_year: PositiveFloat | None = None
    """First-year rent per delivered MW. Give this or `value_usd`."""
    rent_start: dt.date | None = None
    """No rent before this date; defaults to each MW's handover."""
    escalator: Number = Field(default=0.0, ge=0.0, le=0.5)
    """Annual rent escalation (0.03 = 3%/yr), stepping on each anniversary of `rent_start`, or
    without one of the contract's first handover (never of the scenario start)."""
    tenant_load_factor: UncertainFraction = 1.0
    """Fraction of the handed-over IT MW the tenant's equipment draws."""
    tenant_pays_power: bool = True
    """Whether the tenant pays for the energy its load draws (pass-through), so it is not the
    operator's power cost."""
    amendments: list[ColocationAmendment] = Field(default_factory=list)
    """Dated changes to the lease, in date order."""

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if (self.value_usd is None) == (self.rent_usd_per_mw_year is None):
            raise ValueError(
                "a colocation contract needs exactly one of `value_usd` or `rent_usd_per_mw_year`"
            )
        return self

    @property
    def unit(self) -> str:
        return "mw_it" if self.mw_basis == "it" else "mw_gross"


Contract = Annotated[GpuCloudContract | ColocationContract, Field(discriminator="kind")]
