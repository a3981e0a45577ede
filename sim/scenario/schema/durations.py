"""Fixed durations in a scenario file: text with a unit (`90d`, `8w`, `6mo`, `5y`), days once
parsed; the JSON Schema's patterns for them; and signed durations for slips that can be early."""

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from sim.units import DURATION_HINT, format_days, parse_duration


def fixed_duration(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        raise ValueError(f"a duration is needed; {DURATION_HINT}")
    if isinstance(value, int | float):
        raise ValueError(f"a duration needs a unit; {DURATION_HINT}")
    if isinstance(value, str):
        return parse_duration(value)
    return value


_UNIT = r"\s*(d|w|mo|y)\s*$"
DURATION_PATTERN = r"^\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)" + _UNIT
"""A duration as text (the JSON Schema's view of what `sim.units.parse_duration` reads)."""
POSITIVE_DURATION_PATTERN = (
    r"^\s*([0-9]*[1-9][0-9]*(\.[0-9]*)?|[0-9]+\.[0-9]*[1-9][0-9]*|\.[0-9]*[1-9][0-9]*)" + _UNIT
)
ZERO_DURATION_PATTERN = r"^\s*(0+(\.0*)?|\.0+)" + _UNIT


def _duration_schema(pattern: str, what: str = "a duration") -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "pattern": pattern, "description": f"{what}: 90d, 8w, 6mo or 5y"}
    )


FixedDuration = Annotated[
    float,
    BeforeValidator(fixed_duration),
    PlainSerializer(format_days, return_type=str),
    _duration_schema(DURATION_PATTERN),
]
"""A fixed span of time, in days once parsed."""

PositiveDuration = Annotated[
    FixedDuration, Field(gt=0), _duration_schema(POSITIVE_DURATION_PATTERN, "a duration above 0")
]
"""A fixed span of time longer than zero."""


def signed_duration(value: Any) -> Any:
    if isinstance(value, str) and value.strip().startswith("-"):
        return -fixed_duration(value.strip()[1:])
    return fixed_duration(value)


SignedDuration = Annotated[
    float,
    BeforeValidator(signed_duration),
    PlainSerializer(format_days, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\s*-?\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*(d|w|mo|y)\s*$",
            "description": "a duration that may be negative (early): -30d, 8w, 6mo or 5y",
        }
    ),
]
"""A span of time that may be negative (a slip can be early), in days once parsed."""
