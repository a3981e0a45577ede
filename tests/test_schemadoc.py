"""Tests for the generated scenario file reference (docs/scenario.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

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
