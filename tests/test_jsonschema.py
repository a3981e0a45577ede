"""The JSON Schema that `dcsim schema` prints agrees with the loader: every shipped scenario
and README example passes it, and bad files fail it wherever JSON Schema can say why.

The files are read as an editor's YAML plugin reads them (dates as text), then checked with
a real JSON Schema validator (`jsonschema`, draft 2020-12).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from sim.scenario.loader import load_file
from sim.scenario.schema import status as status_schema
from tests.helpers import ROOT, SCENARIOS, dcsim

BAD = ROOT / "tests" / "bad"

# Bad files the loader rejects for reasons JSON Schema cannot express, by reason. Every
# other file in tests/bad must fail the JSON Schema too.
NOT_EXPRESSIBLE = {
    "not YAML data (syntax, tags, anchors, alias bombs, control characters, bad dates)": [
        "alias_bomb",  # and reading it as data would expand it
        "control_character",
        "custom_include_tag",
        "duplicate_anchor",
        "explicit_bool_tag_bad",
        "explicit_int_tag_bad",
        "explicit_timestamp_tag_bad",
        "impossible_date",
        "python_object_tag",
        "syntax_bad_indent",
        "syntax_stray_colon",
        "syntax_two_documents",
        "syntax_unclosed_flow",
        "syntax_unclosed_quote",
        "tab_indent",
        "undefined_alias",
    ],
    "how the YAML is written (duplicate keys, merge keys); JSON has neither": [
        "duplicate_grid_phase_name",  # grid phases are a list: names compared across items
        "duplicate_hall_name",
        "duplicate_key_nested",
        "duplicate_key_top",
        "merge_key",
    ],
    "not finite: JSON has no NaN or infinity": ["inf_quantity", "nan_quantity"],
    "a comparison between two values": [
        "end_before_start",
        "dist_lognormal_p90_below_median",
        "dist_pert_min_above_mode",
        "dist_uniform_reversed",
        "dist_draw_out_of_bounds",  # a draw's range against the key's bounds
    ],
    "a reference between entities, or capacity": [
        "air_hall_liquid_platform",
        "delivery_beyond_capacity",
        "delivery_site_without_crews",
        "grid_phase_cycle",
        "hall_construction_cycle",
        "hall_exceeds_site_grid",
        "hall_grid_mw_exceeds_site",
        "missing_construction_after",
        "missing_contract_site",
        "missing_grid_phase_ref",
        "missing_hall_ref",
        "missing_platform_ref",
        "missing_site_ref",
        "two_contracts_one_hall",
    ],
    "a variant's path or value checked against the file it changes": [
        "variant_bad_index",
        "variant_bad_value",
        "variant_missing_key",
        "variant_missing_site",
    ],
    "the files an import names": [
        "imports/absolute_path",
        "imports/conflicting_names",
        "imports/cycle_a",
        "imports/cycle_b",
        "imports/error_in_import",
        "imports/escape_nested",
        "imports/escape_parent",
        "imports/import_directory",
        "imports/missing_target",
        "imports/self_import",
    ],
}
UNEXPRESSIBLE = {name for names in NOT_EXPRESSIBLE.values() for name in names}
ALL_CASES = sorted(BAD.glob("*.yaml")) + sorted((BAD / "imports").glob("*.yaml"))


def case_name(path: Path) -> str:
    return str(path.relative_to(BAD).with_suffix(""))


CASES = [p for p in ALL_CASES if case_name(p) not in UNEXPRESSIBLE]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = dcsim("schema")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def as_editor_reads(value: Any) -> Any:
    """YAML data as JSON: dates become ISO text (an editor's YAML plugin sees them so)."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): as_editor_reads(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editor_reads(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def errors(schema: dict[str, Any], data: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    found = validator.iter_errors(data)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found]


def read(path: Path) -> Any:
    return as_editor_reads(yaml.safe_load(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_passes(schema: dict[str, Any], path: Path) -> None:
    load_file(path)  # the loader accepts it
    assert errors(schema, read(path)) == []


def readme_examples() -> list[tuple[str, Any]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(blocks) >= 2
    return [(key, value) for b in blocks for key, value in yaml.safe_load(b).items()]


@pytest.mark.parametrize(("key", "value"), readme_examples(), ids=lambda x: str(x)[:20])
def test_every_readme_example_passes(schema: dict[str, Any], key: str, value: Any) -> None:
    """Each top-level key of a README example, against that key's schema wherever it is
    used (`delay` in a grid phase and in construction, `slip` in a delivery and a tranche)."""
    defs, root = schema["$defs"], schema["else"]  # a file without imports: the whole schema
    places = [root["properties"][key]] if key in root["properties"] else []
    status_models = {n for n, v in vars(status_schema).items() if isinstance(v, type)}
    places += [
        d["properties"][key]
        for name, d in defs.items()
        if key in d.get("properties", {})
        and name not in status_models  # a status block's `construction` records progress
        and not name.endswith("Partial")
    ]
    assert places, f"the README's `{key}` is not a key of the schema"
    for place in places:
        assert errors({"$defs": defs, **place}, as_editor_reads(value)) == []


def test_an_imports_only_file_passes_and_one_without_sites_or_imports_fails(
    schema: dict[str, Any],
) -> None:
    head = {"scenario": {"name": "p", "start": "2026-01-01", "end": "2027-12-31"}}
    assert errors(schema, {"imports": ["a.yaml", "b.yaml"], **head}) == []
    assert errors(schema, head) != []


def test_a_file_with_imports_may_override_part_of_an_entry_but_not_misspell_it(
    schema: dict[str, Any],
) -> None:
    """An importing file (a status update, an override) writes only what changes: nothing is
    required, but every key it writes is still typed, bounded and named."""
    partial = {"imports": ["base.yaml"], "scenario": {"name": "update"}}
    partial["sites"] = {"s": {"crews": {"count": 5}}}
    assert errors(schema, partial) == []
    partial["sites"] = {"s": {"crews": {"count": -5}}}
    assert errors(schema, partial) != []
    partial["sites"] = {"s": {"crews": {"cont": 5}}}
    assert errors(schema, partial) != []
    two_shapes = {"pert": ["1d", "2d", "3d"], "uniform": ["1d", "2d"]}
    partial["sites"] = {"s": {"halls": {"h": {"commissioning": two_shapes}}}}
    assert errors(schema, partial) != []


@pytest.mark.parametrize(
    "risk",
    [{"p": 0.1, "add": "45d"}, [{"p": 0.1, "add": "45d"}, {"p": 0.2, "add": "10d"}]],
    ids=["mapping", "list"],
)
def test_risk_is_a_mapping_or_a_list(schema: dict[str, Any], risk: Any) -> None:
    dist = {"$defs": schema["$defs"], "$ref": "#/$defs/DurationDist"}
    assert errors(dist, {"triangular": ["0d", "0d", "60d"], "risk": risk}) == []
    assert errors(dist, {"risk": risk}) == []  # a pure risk
    assert errors(dist, {"triangular": ["0d", "0d", "60d"], "risk": "45d"}) != []


def test_every_default_passes_its_own_schema(schema: dict[str, Any]) -> None:
    """Duration defaults are text with a unit (`0d`, `100y`), not numbers."""
    checked = 0
    for model, body in schema["$defs"].items():
        for key, prop in body.get("properties", {}).items():
            if "default" in prop:
                rest = {k: v for k, v in prop.items() if k != "default"}
                found = errors({"$defs": schema["$defs"], **rest}, prop["default"])
                assert found == [], f"{model}.{key}: default {prop['default']!r}: {found}"
                checked += 1
    assert checked > 40
    assert schema["$defs"]["NormalDuration"]["properties"]["max"]["default"] == "100y"
    assert schema["$defs"]["Delivery"]["properties"]["payment_terms"]["default"] == "0d"


def test_variants_map_key_paths_to_values(schema: dict[str, Any]) -> None:
    head = {"scenario": {"name": "p", "start": "2026-01-01", "end": "2027-12-31"}}
    base = {**head, "imports": ["a.yaml"]}
    good = {
        "deliveries.dell.slip": {"triangular": ["60d", "60d", "120d"]},
        "sites.childress.crews.count": 5,
        "deliveries.dell.tranches[2].date": "2026-06-01",
        "scenario.end": "2028-12-31",
    }
    assert errors(schema, {**base, "variants": {"v": good}}) == []
    for bad in ("imports", "variants.v", "sites..north", "sites[0].crews", "crews.count"):
        assert errors(schema, {**base, "variants": {"v": {bad: 1}}}) != [], bad


@pytest.mark.parametrize("path", CASES, ids=case_name)
def test_bad_files_fail_it_where_json_schema_can_say_why(
    schema: dict[str, Any], path: Path
) -> None:
    assert errors(schema, read(path)) != [], f"{case_name(path)} passes the JSON Schema"


def test_the_list_of_unexpressible_cases_is_current() -> None:
    names = {case_name(p) for p in ALL_CASES}
    assert names >= UNEXPRESSIBLE, sorted(UNEXPRESSIBLE - names)
