"""Turn pydantic validation errors into located problems with a hint each."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sim.errors import PathKey, Problem, did_you_mean, render_path
from sim.scenario.yamlsource import YamlSource

_NUMBER_HINT = "write a plain number; units belong in the key name (`it_mw: 50`, not `50 MW`)"
_DATE_HINT = "write an ISO date, YYYY-MM-DD (e.g. 2026-03-15)"
_EXPONENT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")
_BOUNDS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def problems_from_validation(
    exc: ValidationError, source: YamlSource, root: type[BaseModel], partial: bool = False
) -> list[Problem]:
    """One problem per pydantic error, located by file, line and key path.

    With ``partial``, the data is a file whose imports failed: errors that the imported
    entities could have resolved (a missing key, a missing `kind`, a rule across the keys of
    an entry the file may only partly override) are left out; the rest are the file's own.
    """
    problems = []
    for error in exc.errors(include_url=False):
        if partial and _imports_could_supply(error, source.data):
            continue
        path, exists = _data_path(error["loc"], source.data, error["type"] == "missing")
        node = _node_at(source.data, path)
        if error["type"].startswith("union_tag") and isinstance(node, dict):
            exists = "kind" in node  # the tag is `kind`: point at it, or where it belongs
            path = (*path, "kind")
        file, line = source.locate(path[:-1] if error["type"] == "missing" and not exists else path)
        message, hint = _describe(error, path, source.data, root)
        if not hint:
            hint = _reference(path, source.data, root)
        problems.append(Problem(file, line, render_path(path), message, hint))
    return _dedupe(problems)


def _imports_could_supply(error: Any, data: Any) -> bool:
    if error["type"] in {"missing", "union_tag_not_found"}:
        return True
    if error["type"] == "value_error":  # a model's rule across its keys, not one value
        return isinstance(_node_at(data, _data_path(error["loc"], data, False)[0]), dict)
    return False


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[int | None, str, str]] = set()
    out = []
    for p in problems:
        key = (p.line, p.path, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _data_path(loc: tuple[int | str, ...], data: Any, missing: bool) -> tuple[PathKey, bool]:
    """Keep the parts of a pydantic location that name real keys: union tags (`gpu_cloud`)
    and `[key]` markers are dropped; a missing key is kept, though not in the data."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if (isinstance(node, dict) and isinstance(part, str) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            path.append(part)
            node = _node_at(node, (part,))
        elif missing and i == len(loc) - 1 and isinstance(part, str) and isinstance(node, dict):
            path.append(part)  # a missing key: named, but not in the data
            return tuple(path), False
    return tuple(path), True


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {_got(value)}"


def _describe(
    error: ErrorDetails, path: PathKey, data: Any, root: type[BaseModel]
) -> tuple[str, str]:
    """A planner's wording of one pydantic error: (message, hint)."""
    return (
        _describe_shape(error, path, data, root)
        or _describe_value(error)
        or (str(error["msg"]), "")
    )


def _describe_shape(
    error: ErrorDetails, path: PathKey, data: Any, root: type[BaseModel]
) -> tuple[str, str] | None:
    """Errors about the file's shape: keys, mappings, lists, text, contract kinds."""
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    key = path[-1] if path else ""
    if kind == "missing":
        return f"`{key}` is required", f"add `{key}:` here"
    if kind == "extra_forbidden":
        allowed = allowed_keys(path[:-1], data, root)
        return f"unknown key `{key}`", did_you_mean(str(key), allowed)
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return (
            f"expected a mapping (got {_kind_of(value)})",
            "write `key: value` lines indented under this key",
        )
    if kind == "list_type":
        return f"expected a list (got {_kind_of(value)})", "write `- item` lines, or [a, b]"
    if kind in {"string_type", "str_type"}:
        return f"expected text (got {_kind_of(value)})", "quote the value"
    if kind == "union_tag_invalid":
        tag = ctx.get("tag")
        what = "`kind` is empty" if tag in (None, "None") else f"unknown kind {_got(tag)}"
        return what, f"use one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        node = _node_at(data, path[:-1])
        keys = [k for k in node if k != "kind"] if isinstance(node, dict) else []
        close = difflib.get_close_matches("kind", keys, n=1, cutoff=0.6)
        if close:
            return "`kind` is required", (
                f"is `{close[0]}` meant to be `kind`? write kind: gpu_cloud or kind: colocation"
            )
        return "`kind` is required", "add `kind: gpu_cloud` or `kind: colocation`"
    return None


def _describe_value(error: ErrorDetails) -> tuple[str, str] | None:
    """Errors about one value: numbers, bounds, dates, choices, names, lengths."""
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind in {"int_type", "int_from_float"} and isinstance(value, float):
        return f"expected a whole number (got {_got(value)})", "write it without a decimal part"
    if kind in {"float_parsing", "float_type", "int_parsing", "int_type", "bool_parsing"}:
        if isinstance(value, str) and _EXPONENT.match(value.strip()):
            return (
                f"expected a number (got str {value!r})",
                f"YAML reads {value} as text: write a dot and a signed exponent, such as 4.0e+6",
            )
        return f"expected a number (got {_kind_of(value)})", _NUMBER_HINT
    if kind == "int_from_float":
        return f"expected a whole number (got {_got(value)})", "round it"
    if kind in _BOUNDS:
        bound = next(iter(ctx.values())) if ctx else "?"
        shown = f"{bound:g}" if isinstance(bound, int | float) else str(bound)
        return f"must be {_BOUNDS[kind]} {shown} (got {_got(value)})", "change the value"
    if kind == "finite_number":
        return f"must be a finite number (got {_got(value)})", "replace .nan or .inf with a number"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"expected a date (got {_got(value)})", _DATE_HINT
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '?')} (got {_got(value)})", ""
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        quoted = isinstance(value, str) and repr(value) in message  # not named twice
        with_value = _is_scalar(value) and not quoted
        return f"{message} (got {_got(value)})" if with_value else message, ""
    if kind == "string_pattern_mismatch":
        return (
            f"{_got(value)} is not a valid name",
            "use lower-case letters, digits and underscores, starting with a letter",
        )
    if kind == "string_too_long":
        return f"is too long (max {ctx.get('max_length')} characters)", "shorten it"
    if kind in {"too_short", "too_long"}:
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        word = "at least" if kind == "too_short" else "at most"
        return f"needs {word} {bound} item(s) (got {ctx.get('actual_length')})", ""
    return None


def _reference(path: PathKey, data: Any, root: type[BaseModel]) -> str:
    """A pointer to the reference section of the model that holds ``path``."""
    # A rule on a whole model is reported at the model; a value at the model holding it.
    start = len(path) if isinstance(_node_at(data, path), dict) else len(path) - 1
    for end in range(start, -1, -1):
        model = model_at(path[:end], data, root)
        if model is not None:
            return f"see {model.__name__} in docs/scenario.md"
    return "see docs/scenario.md"


def _node_at(data: Any, path: PathKey) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def allowed_keys(path: PathKey, data: Any, root: type[BaseModel]) -> list[str]:
    """Field names of the model found at ``path`` (empty if it is not a model)."""
    model = model_at(path, data, root)
    return list(model.model_fields) if model is not None else []


def model_at(path: PathKey, data: Any, root: type[BaseModel]) -> type[BaseModel] | None:
    """The model class at ``path`` in the data, walking the schema's field types."""
    annotation: Any = root
    node = data
    for part in path:
        model = _as_model(annotation, node)
        if model is not None:
            field = model.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        else:
            origin = typing.get_origin(_strip(annotation))
            args = typing.get_args(_strip(annotation))
            if origin is dict and len(args) == 2:
                annotation = args[1]
            elif origin is list and args:
                annotation = args[0]
            else:
                return None
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    stripped = _strip(annotation)
    if typing.get_origin(stripped) is list and isinstance(node, dict):
        annotation = typing.get_args(stripped)[0]  # one item written without the list
    return _as_model(annotation, node)


def _strip(annotation: Any) -> Any:
    """Remove ``Annotated`` and ``None`` from an annotation."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _strip(members[0])
    return annotation


def _as_model(annotation: Any, node: Any) -> type[BaseModel] | None:
    """The model class an annotation stands for; for a tagged union, the member matching the
    data's ``kind``."""
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [_strip(a) for a in typing.get_args(annotation)]
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if not isinstance(node, dict | None):
            return None  # a plain value is not any member's model
        kind = node.get("kind") if isinstance(node, dict) else None
        for m in models:
            field = m.model_fields.get("kind")
            if field is not None and kind in typing.get_args(field.annotation):
                return m
        return models[0] if models else None
    return None
