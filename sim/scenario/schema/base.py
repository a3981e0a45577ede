"""The base of every scenario model, and the identifier type for named entities."""

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """Base of every scenario model: unknown keys rejected, instances immutable."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # Field docstrings become descriptions only when documenting: see docstrings.py
        use_attribute_docstrings=False,
        allow_inf_nan=False,
        str_strip_whitespace=True,
    )

    RULES: ClassVar[tuple[str, ...]] = ()
    """Rules across the model's keys that validation enforces; the reference lists them."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Pydantic's JSON Schema, with each field described by its docstring (read on the
        first call: see `sim.scenario.schema.docstrings`)."""
        from sim.scenario.schema.docstrings import document_fields

        document_fields(cls)
        return super().model_json_schema(*args, **kwargs)


def _given(key: str) -> dict[str, Any]:
    """JSON Schema: ``key`` is present and not null (null counts as left out)."""
    return {"required": [key], "properties": {key: {"not": {"type": "null"}}}}


def exactly_one(*keys: str) -> dict[str, Any]:
    """JSON Schema: exactly one of ``keys`` is given."""
    return {"oneOf": [_given(k) for k in keys]}


def only_with(key: str, anchor: str, other: str, zero: str) -> dict[str, Any]:
    """JSON Schema: when ``other`` is given, ``key`` may only be left out or ``zero``
    (``key`` goes with ``anchor``)."""
    return {"if": _given(other), "then": {"properties": {key: {"type": "string", "pattern": zero}}}}


def at_least_one(*keys: str) -> dict[str, Any]:
    """JSON Schema: at least one of ``keys`` is given."""
    return {"anyOf": [_given(k) for k in keys]}


NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
"""The name of a site, hall, platform, delivery or contract."""
