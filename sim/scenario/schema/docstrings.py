"""Field descriptions from the docstrings under each field, read only when documenting.

Every scenario model documents its fields with a docstring under the field. Pydantic can
read them while it builds each model (`use_attribute_docstrings`), but it then parses the
source of every module once per class, which was about a quarter of the time `dcsim
validate` takes to start. Validation never needs the descriptions; the reference
(`sim.scenario.schemadoc`) and the JSON Schema (`dcsim schema`) do, so they call
`document_fields` first. The descriptions are the same as Pydantic's: the cleaned docstring
after a field's annotation, unless the field sets its own `description`.
"""

from __future__ import annotations

import ast
import inspect
import sys
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel


@cache
def _module_docs(module: str) -> dict[str, dict[str, str]]:
    """Class name -> field -> docstring, for every class at the top of ``module``."""
    tree = ast.parse(inspect.getsource(sys.modules[module]))
    out: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs: dict[str, str] = {}
        for before, after in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(before, ast.AnnAssign)
                and isinstance(before.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[before.target.id] = inspect.cleandoc(after.value.value)
        out[node.name] = docs
    return out


def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """Field -> the docstring under it, in ``model`` or the models it inherits from."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if issubclass(cls, BaseModel) and cls is not BaseModel:
            docs.update(_module_docs(cls.__module__).get(cls.__name__, {}))
    return docs


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _post_order(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from ``root`` through its fields, each after those it holds."""
    order: list[type[BaseModel]] = []
    seen: set[type[BaseModel]] = set()

    def visit(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        for info in model.model_fields.values():
            for inner in _models_in(info.annotation):
                visit(inner)
        order.append(model)

    visit(root)
    return order


@cache
def document_fields(root: type[BaseModel]) -> None:
    """Give every field of every model reachable from ``root`` its docstring as its
    description, and rebuild the models (inner ones first) so that their JSON Schema
    carries them. Done once per process."""
    for model in _post_order(root):
        docs = field_docs(model)
        for name, info in model.model_fields.items():
            if info.description is None and name in docs:
                info.description = docs[name]
        model.model_rebuild(force=True)
