"""The scenario file format as a JSON Schema (`dcsim schema`), for editors and validators.

Generated from the pydantic models, so it says what the loader accepts: durations as text
with a unit, fixed values or distributions, `risk` as one mapping or a list, files that take
their sites from `imports`, variants as key path -> value. Rules that JSON Schema cannot
express (comparisons between keys, references between entities) are left to the loader.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from sim.schema.scenario import Scenario

DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _Generator(GenerateJsonSchema):
    """Writes defaults as the file would (`0d`, not 0.0): through the type's serializer."""

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        if "default" not in json_schema or schema.get("default") is None:
            return json_schema
        serializer = _plain_serializer(schema["schema"])
        if serializer is not None:
            json_schema["default"] = self.encode_default(serializer(schema["default"]))
        return json_schema

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        """Mappings keyed by name: a key that is not a valid name is an error, not ignored."""
        json_schema = super().dict_schema(schema)
        patterns = list(json_schema.get("patternProperties", {}))
        if len(patterns) == 1:
            json_schema.setdefault("propertyNames", {})["pattern"] = patterns[0]
        return json_schema


def _plain_serializer(schema: Any) -> Any:
    """The plain serializer function of a core schema, looking through validators."""
    while isinstance(schema, dict):
        function = (schema.get("serialization") or {}).get("function")
        if function is not None and schema["serialization"].get("type") == "function-plain":
            return function
        schema = schema.get("schema")
    return None


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file."""
    schema = Scenario.model_json_schema(schema_generator=_Generator)
    return {"$schema": DIALECT, **schema}
