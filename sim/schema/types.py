"""Field types shared by the scenario schema: strict base model, names, durations, quantities.

Every uncertain input (a duration or a quantity) goes through one of the aliases below, and
the engine reads it only through a sampler; that is the seam where distributions plug in.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    WithJsonSchema,
)

from sim.units import DURATION_HINT, format_days, parse_duration


class StrictModel(BaseModel):
    """Base of every scenario model: unknown keys rejected, instances immutable."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        allow_inf_nan=False,
        str_strip_whitespace=True,
    )


NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
"""The name of a site, hall, platform, delivery or contract."""


def _duration_input(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        raise ValueError(f"a duration is needed; {DURATION_HINT}")
    if isinstance(value, int | float):
        raise ValueError(f"a duration needs a unit; {DURATION_HINT}")
    if isinstance(value, str):
        return parse_duration(value)
    return value


Duration = Annotated[
    float,
    BeforeValidator(_duration_input),
    Field(ge=0),
    PlainSerializer(format_days, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*(d|w|mo|y)\s*$",
            "description": "a duration: 90d, 8w, 6mo or 5y",
        }
    ),
]
"""A non-negative span of time, in days once parsed (``90d``, ``8w``, ``6mo``, ``5y``)."""

# Numbers are strict: YAML's `yes`/`true` or a quoted "50" is an error, not 1 or 50.0.
Number = Annotated[float, Strict()]
PositiveFloat = Annotated[float, Strict(), Field(gt=0)]
NonNegativeFloat = Annotated[float, Strict(), Field(ge=0)]
Fraction = Annotated[float, Strict(), Field(ge=0, le=1)]
PositiveInt = Annotated[int, Strict(), Field(gt=0)]
