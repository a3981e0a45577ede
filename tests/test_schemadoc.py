"""Tests for the generated scenario file reference (docs/scenario.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, get_args

import pytest
from pydantic import BaseModel

from sim.scenario.schema import Scenario
from sim.scenario.schemadoc import render_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenario.md"


def _reachable(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from ``root`` through its field types (independent of schemadoc)."""

    def models_in(tp: Any) -> list[type[BaseModel]]:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return [tp]
        return [m for arg in get_args(tp) for m in models_in(arg)]

    seen: list[type[BaseModel]] = []
    todo = [root]
    while todo:
        model = todo.pop()
        if model not in seen:
            seen.append(model)
            todo += [m for info in model.model_fields.values() for m in models_in(info.annotation)]
    return seen


def _section(doc: str, model: type[BaseModel]) -> str:
    match = re.search(rf"^## {model.__name__}\n(.*?)(?=^## |\Z)", doc, re.M | re.S)
    assert match, f"docs/scenario.md has no section for {model.__name__}"
    return match.group(1)


def test_committed_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/scenario.md is stale; regenerate it with "
        "`python -m sim.scenario.schemadoc > docs/scenario.md`"
    )


def test_every_field_is_documented_with_its_description() -> None:
    doc = render_markdown()
    models = _reachable(Scenario)
    assert len(models) >= 15  # Scenario, ScenarioInfo, Site ... both contract kinds and tranches
    for model in models:
        section = _section(doc, model)
        for name, info in model.model_fields.items():
            rows = [line for line in section.splitlines() if line.startswith(f"| `{name}` |")]
            assert rows, f"{model.__name__}.{name} is missing from docs/scenario.md"
            assert info.description, f"{model.__name__}.{name} has no docstring"
            assert " ".join(info.description.split()) in rows[0], f"{model.__name__}.{name}"


def test_contract_kinds_are_explained() -> None:
    doc = render_markdown()
    assert "chosen by `kind`" in doc
    assert 'Chosen by `kind: "gpu_cloud"`' in doc
    assert 'Chosen by `kind: "colocation"`' in doc


def test_no_python_reprs_leak_into_the_doc() -> None:
    doc = render_markdown()
    leaks = ("<class", "typing.", "NoneType", "Annotated", "FieldInfo", "Undefined")
    leaks += ("sim.scenario.schema.",)
    for leak in leaks:
        assert leak not in doc, f"docs/scenario.md contains the Python repr fragment {leak!r}"


def _rows(section: str) -> dict[str, list[str]]:
    out = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            out[cells[0].strip("`")] = cells
    return out


def test_durations_are_shown_as_durations_with_unit_defaults() -> None:
    """Every key that refuses a bare number for want of a unit is typed "duration" in the
    doc, and its default carries a unit (`0d`, `100y`), as the page says a bare number is an
    error."""
    from pydantic import TypeAdapter, ValidationError

    doc = render_markdown()
    found = 0
    for model in _reachable(Scenario):
        rows = _rows(_section(doc, model))
        for name, info in model.model_fields.items():
            tp = info.annotation
            adapter = TypeAdapter(Annotated[tp, *info.metadata] if info.metadata else tp)
            needs_unit = False
            for bare in (5, [5, 5], [5, 5, 5]):
                try:
                    adapter.validate_python(bare)
                except ValidationError as exc:
                    needs_unit |= "needs a unit" in str(exc)
            if not needs_unit:
                continue
            found += 1
            _, kind, default, *_ = rows[name]
            where = f"{model.__name__}.{name}"
            assert "duration" in kind, f"{where}: {kind}"
            assert "number" not in kind, f"{where}: {kind}"
            with_unit = re.fullmatch(r"`[0-9.]+(d|w|mo|y)`", default)
            assert default in ("required", "none") or with_unit, f"{where}: default {default}"
    assert found >= 25  # term, payment_terms, prepayment_lead, distribution lists, risk.add ...
    normal = _rows(
        _section(doc, next(m for m in _reachable(Scenario) if m.__name__ == "NormalDuration"))
    )
    assert (normal["min"][2], normal["max"][2]) == ("`0d`", "`100y`")


def test_every_model_with_a_cross_field_rule_states_it() -> None:
    """A model that validates across its keys lists its rules under its table."""
    doc = render_markdown()
    for model in _reachable(Scenario):
        decorators = model.__pydantic_decorators__
        if decorators.model_validators or decorators.field_validators:
            assert model.RULES, f"{model.__name__} has rules its reference does not state"
        section = _section(doc, model)
        for rule in model.RULES:
            assert f"- {' '.join(rule.split())}" in section, (model.__name__, rule)


def test_the_hall_power_rules_and_the_checks_across_the_file_are_stated() -> None:
    from sim.scenario.checks import RULES

    hall = _section(
        render_markdown(), next(m for m in _reachable(Scenario) if m.__name__ == "Hall")
    )
    assert "- `gross_mw` >= `it_mw`" in hall
    assert "- With both: `pue` x `it_mw` <= `gross_mw`" in hall
    assert "- `grid_mw` >= the hall's gross MW" in hall
    checks = render_markdown().split("## Checks across the file", 1)[1]
    for rule in RULES:
        assert f"- {rule}" in checks
    assert "Warning: a site's halls together need more grid than the site's total" in checks


@pytest.mark.parametrize(
    ("field", "bound"),
    [("fallout", ">= 0, < 1"), ("capex_usd_per_mw", ">= 0"), ("tenant_load_factor", ">= 0, <= 1")],
)
def test_bounds_of_uncertain_quantities_are_stated(field: str, bound: str) -> None:
    row = next(line for line in render_markdown().splitlines() if line.startswith(f"| `{field}` |"))
    assert f"| {bound} |" in row
