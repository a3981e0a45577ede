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

from sim.scenario.schema.docstrings import document_fields
from sim.scenario.schema.scenario import Scenario

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
    """The JSON Schema of a scenario file.

    A file with `imports` is checked against a partial copy of the schema: every key still
    has its type, its bounds and its name, but none is required, since the imported files
    may supply it (a status update that writes only `scenario: {name: ...}`, or an override
    of one key of an imported hall). The loader checks the merged file whole."""
    document_fields(Scenario)
    schema = Scenario.model_json_schema(schema_generator=_Generator)
    defs = schema.pop("$defs", {})
    partial_defs = {f"{name}{PARTIAL}": _partial(d) for name, d in defs.items()}
    return {
        "$schema": DIALECT,
        "$defs": {**defs, **partial_defs, f"Scenario{PARTIAL}": _partial(schema)},
        "if": {"type": "object", "required": ["imports"]},
        "then": {"$ref": f"#/$defs/Scenario{PARTIAL}"},
        "else": schema,
    }


PARTIAL = "Partial"
"""Suffix of the partial copies of the definitions, for files with imports."""


def _partial(node: Any) -> Any:
    """``node`` with nothing required: no `required` lists, no one-of or any-of choices made
    only of required keys; references point to the partial copies."""
    if isinstance(node, list):
        return [_partial(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "required":
            continue
        if key == "not":  # what may never be given together stays forbidden
            out[key] = value
            continue
        if key in ("oneOf", "anyOf") and all(_only_required(v) for v in value):
            continue
        if key == "oneOf":  # without `kind`, a part of a contract may fit either kind
            out["anyOf"] = _partial(value)
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = value + PARTIAL
            continue
        out[key] = _partial(value)
    return out


def _only_required(node: Any) -> bool:
    """Whether a schema only says that some keys are given (and not null)."""
    return isinstance(node, dict) and "required" in node and set(node) <= {"required", "properties"}
