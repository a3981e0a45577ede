"""Field types shared by the scenario schema: durations, numbers and uncertain quantities.

Every uncertain input is a `Duration` or an `Uncertain...` quantity: a fixed value or a
distribution. A run realizes them into plain numbers before the engine sees the scenario.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    Strict,
    Tag,
)

from sim.scenario.schema.base import NAME_PATTERN, Name, StrictModel
from sim.scenario.schema.distributions import Distribution, DurationDist, QuantityDist
from sim.scenario.schema.durations import FixedDuration
from sim.units import format_days

__all__ = [
    "NAME_PATTERN",
    "Bounds",
    "Duration",
    "Fraction",
    "Name",
    "NonNegativeFloat",
    "Number",
    "PositiveFloat",
    "PositiveInt",
    "StrictModel",
    "UncertainFraction",
    "UncertainNonNegative",
    "UncertainRate",
    "plan",
]


def _check_bounds(
    value: float | Distribution,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    render: Any = None,
) -> float | Distribution:
    """A fixed value, or every value a distribution can draw, must meet the field's bounds."""
    lo, hi = (value, value) if isinstance(value, float | int) else value.support()
    show = render or (lambda v: f"{v:g}")
    which = "" if isinstance(value, float | int) else "every draw "
    if ge is not None and lo < ge:
        raise ValueError(f"{which}must be >= {show(ge)} (lowest {show(lo)})")
    if gt is not None and lo <= gt:
        raise ValueError(f"{which}must be > {show(gt)} (lowest {show(lo)})")
    if le is not None and hi > le:
        raise ValueError(f"{which}must be <= {show(le)} (highest {show(hi)})")
    if lt is not None and hi >= lt:
        raise ValueError(f"{which}must be < {show(lt)} (highest {show(hi)})")
    return value


def _serialize(value: float | Distribution) -> Any:
    if isinstance(value, float | int):
        return value
    return value.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


def _serialize_duration(value: float | DurationDist) -> Any:
    return format_days(value) if isinstance(value, float | int) else _serialize(value)


def _route(value: Any) -> str:
    """Send a mapping to the distribution, anything else to the fixed value (one error each)."""
    return "dist" if isinstance(value, dict | BaseModel) else "fixed"


Duration = Annotated[
    Annotated[FixedDuration, Tag("fixed")] | Annotated[DurationDist, Tag("dist")],
    Discriminator(_route),
    AfterValidator(lambda v: _check_bounds(v, ge=0.0, render=format_days)),
    PlainSerializer(_serialize_duration),
]
"""A non-negative span of time (``90d``, ``8w``, ``6mo``, ``5y``), or a distribution of them."""


@dataclass(frozen=True)
class Bounds:
    """The bounds of an uncertain quantity, for the reference and the JSON Schema: a fixed
    value must meet them, and so must every value a distribution can draw."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def __get_pydantic_json_schema__(
        self, core_schema: Any, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        schema = handler(core_schema)
        keys = {
            "ge": "minimum",
            "gt": "exclusiveMinimum",
            "le": "maximum",
            "lt": "exclusiveMaximum",
        }
        limits = {k: v for a, k in keys.items() if (v := getattr(self, a)) is not None}
        for branch in schema.get("oneOf", []):
            if branch.get("type") == "number":
                branch.update(limits)
        return schema


_UncertainValue = (
    Annotated[Annotated[float, Strict()], Tag("fixed")] | Annotated[QuantityDist, Tag("dist")]
)


def _within(
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
) -> AfterValidator:
    """The validator that holds a number, or every draw of a distribution, to the bounds."""
    return AfterValidator(lambda v: _check_bounds(v, ge=ge, gt=gt, le=le, lt=lt))


# A number, or a distribution of numbers, within the bounds its name gives (the metadata is
# spelled out per alias: an annotation must be a type, not a call that builds one).
UncertainNonNegative = Annotated[
    _UncertainValue,
    Discriminator(_route),
    _within(ge=0.0),
    PlainSerializer(_serialize),
    Bounds(ge=0.0),
]
"""A number >= 0, or a distribution of them."""

UncertainFraction = Annotated[
    _UncertainValue,
    Discriminator(_route),
    _within(ge=0.0, le=1.0),
    PlainSerializer(_serialize),
    Bounds(ge=0.0, le=1.0),
]
"""A number in [0, 1], or a distribution of them."""

UncertainRate = Annotated[
    _UncertainValue,
    Discriminator(_route),
    _within(ge=0.0, lt=1.0),
    PlainSerializer(_serialize),
    Bounds(ge=0.0, lt=1.0),
]
"""A number in [0, 1) (a fallout rate), or a distribution of them."""


def plan(value: float | Distribution) -> float:
    """The value a deterministic run uses: a fixed number, or a distribution's plan value."""
    return float(value) if isinstance(value, float | int) else value.plan()


# Numbers are strict: YAML's `yes`/`true` or a quoted "50" is an error, not 1 or 50.0.
Number = Annotated[float, Strict()]
PositiveFloat = Annotated[float, Strict(), Field(gt=0)]
NonNegativeFloat = Annotated[float, Strict(), Field(ge=0)]
Fraction = Annotated[float, Strict(), Field(ge=0, le=1)]
PositiveInt = Annotated[int, Strict(), Field(gt=0)]
