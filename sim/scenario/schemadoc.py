"""Scenario file reference generator: renders docs/scenario.md from the pydantic schema.

Walks the models from ``Scenario`` and writes one Markdown table per model. Regenerate with
``python -m sim.scenario.schemadoc > docs/scenario.md``; a test fails when the committed file
is stale.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import types
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from sim.scenario.checks import RULES as CROSS_CHECKS
from sim.scenario.schema import Scenario
from sim.scenario.schema.distributions import DurationDist, QuantityDist, risk_list
from sim.scenario.schema.docstrings import document_fields
from sim.scenario.schema.durations import fixed_duration, signed_duration
from sim.scenario.schema.types import NAME_PATTERN, Duration
from sim.scenario.yamlsource import MAX_DEPTH, MAX_FILE_BYTES, MAX_VALUES
from sim.units import DAYS_PER_UNIT, format_days

_DURATION_MARKS = get_args(Duration)[1:]
_SCALARS: dict[Any, str] = {
    float: "number",
    int: "integer",
    str: "text",
    dt.date: "date",
    bool: "true or false",
    Any: "any value",
}
_BOUNDS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))
_UNIONS = (Union, types.UnionType)


@dataclass
class _Doc:
    """What the walk learns about one model: where it appears, and the union it is part of."""

    model: type[BaseModel]
    depth: int
    paths: list[str] = field(default_factory=list)
    choice: tuple[str, list[type[BaseModel]]] | None = None  # (discriminator, all members)


def _unwrap(tp: Any) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` and ``| None`` from a type, collecting their metadata."""
    meta: list[Any] = []
    while True:
        if get_origin(tp) is Annotated:
            tp, *extra = get_args(tp)
            for item in extra:
                meta += [item, *item.metadata] if isinstance(item, FieldInfo) else [item]
        elif get_origin(tp) in _UNIONS and type(None) in get_args(tp):
            rest = tuple(a for a in get_args(tp) if a is not type(None))
            tp = rest[0] if len(rest) == 1 else Union[rest]  # noqa: UP007
        else:
            return tp, meta


def _models(tp: Any) -> tuple[list[type[BaseModel]], str | None]:
    """The models a field type (or a union of models) holds, and the union's discriminator."""
    tp, meta = _unwrap(tp)
    found = [_unwrap(a)[0] for a in get_args(tp)] if get_origin(tp) in _UNIONS else [tp]
    models = [m for m in found if isinstance(m, type) and issubclass(m, BaseModel)]
    discs = [m.discriminator for m in meta if isinstance(m, FieldInfo)]
    return models, next((d for d in discs if isinstance(d, str)), None)


def _validated_by(meta: list[Any], *funcs: Any) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func in funcs for m in meta)


def _is_duration(meta: list[Any]) -> bool:
    """A duration, fixed or uncertain (a number here is days, shown with a unit)."""
    return _validated_by(meta, fixed_duration, signed_duration) or any(
        m is mark for m in meta for mark in _DURATION_MARKS
    )


def _link(model: type[BaseModel]) -> str:
    return f"[{model.__name__}](#{model.__name__.lower()})"


def _type(annotation: Any, field_meta: list[Any] | None = None) -> str:
    """A readable name for a field type, with links to nested model sections."""
    tp, meta = _unwrap(annotation)
    meta += field_meta or []
    origin, args = get_origin(tp), get_args(tp)
    if origin in _UNIONS:  # a fixed value, or a distribution of them
        members = [_unwrap(a)[0] for a in args]
        dists = [m for m in members if m in (DurationDist, QuantityDist)]
        if dists:
            fixed = "duration" if dists[0] is DurationDist else "number"
            return f"{fixed}, or a {_link(dists[0])}"
    if _validated_by(meta, signed_duration):
        return "duration, may be negative (`-30d`: early)"
    if _is_duration(meta):
        return "duration"
    if tp is str and any(getattr(m, "pattern", None) for m in meta):
        return "name"
    if origin is list and _validated_by(meta, risk_list):  # one item may stand for the list
        return f"{_type(args[0])}, or a list of them"
    if origin is dict:
        return f"mapping of {_type(args[0])} -> {_type(args[1])}"
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is Literal:
        values = ", ".join(f"`{json.dumps(a)}`" for a in args)
        return values if len(args) == 1 else f"one of {values}"
    if (found := _models(annotation))[0]:
        models, disc = found
        return " or ".join(map(_link, models)) + (f", chosen by `{disc}`" if disc else "")
    if tp in _SCALARS:
        return _SCALARS[tp]
    raise TypeError(f"schemadoc cannot describe the type {tp!r}; teach sim/schemadoc.py")


def _constraints(info: FieldInfo) -> str:
    tp, meta = _unwrap(info.annotation)
    meta = [m for m in [*info.metadata, *meta] if not isinstance(m, FieldInfo)]
    show = format_days if _is_duration(meta) else (lambda v: f"{v:g}")
    out = [
        f"{sign} {show(value)}"
        for attr, sign in _BOUNDS
        for item in meta
        if (value := getattr(item, attr, None)) is not None
        and not (_is_duration(meta) and attr == "ge" and value == 0)  # implied by "duration"
    ]
    out += [f"pattern `{p}`" for m in meta if (p := getattr(m, "pattern", None)) is not None]
    for item in meta:
        if (n := getattr(item, "min_length", None)) is not None:
            noun = ("entry", "entries") if get_origin(tp) is dict else ("item", "items")
            out.append(f"at least {n} {noun[n != 1]}")
        if (n := getattr(item, "max_length", None)) is not None:
            out.append(f"at most {n} {'characters' if tp is str else 'items'}")
    return ", ".join(dict.fromkeys(out))


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return f"`{json.dumps(info.default_factory())}`"  # type: ignore[call-arg]
    value = info.default
    if value is None:
        return "none"
    if _is_duration(info.metadata):
        return f"`{format_days(value)}`"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"`{value:g}`"
    return f"`{json.dumps(value)}`"


def walk(root: type[BaseModel] = Scenario) -> list[_Doc]:
    """Every model reachable from ``root``, once each, depth first in field order (their
    fields described by their docstrings)."""
    document_fields(root)
    docs: dict[type[BaseModel], _Doc] = {}

    def visit(model: type[BaseModel], path: str, depth: int) -> None:
        if model in docs:
            docs[model].paths.append(path)
            return
        docs[model] = _Doc(model, depth, [path])
        for name, info in model.model_fields.items():
            tp, _ = _unwrap(info.annotation)
            suffix = {dict: ".<name>", list: "[n]"}.get(get_origin(tp), "")
            members, disc = _models(get_args(tp)[-1] if suffix else tp)
            for member in members:
                visit(member, f"{path}.{name}{suffix}".lstrip("."), depth + 1)
                if disc:
                    docs[member].choice = (disc, members)

    visit(root, "", 0)
    return list(docs.values())


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _section(doc: _Doc) -> list[str]:
    model = doc.model
    lines = [f"## {model.__name__}", "", inspect.cleandoc(model.__doc__ or ""), ""]
    where = ", ".join(f"`{p}`" for p in doc.paths if p)
    lines += [f"Path in the file: {where}." if where else "The top level of the file.", ""]
    disc = None
    if doc.choice:
        disc, members = doc.choice
        value = json.dumps(get_args(model.model_fields[disc].annotation)[0])
        others = [_link(m) for m in members if m is not model]
        kinds = "kind is" if len(others) == 1 else "kinds are"
        lines += [f"Chosen by `{disc}: {value}`; the other {kinds} {', '.join(others)}.", ""]
    lines += [
        "| Key | Type | Required / default | Constraints | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, info in sorted(model.model_fields.items(), key=lambda kv: kv[0] != disc):
        cells = [f"`{name}`", _type(info.annotation, info.metadata), _default(info)]
        cells += [_constraints(info), info.description or ""]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if model.RULES:  # type: ignore[attr-defined]
        lines += ["", "Rules:", ""]
        lines += [f"- {rule}" for rule in model.RULES]  # type: ignore[attr-defined]
    return [*lines, ""]


_INTRO = """\
# Scenario file reference

_Generated from the schema by `python -m sim.scenario.schemadoc`; do not edit by hand._

A scenario is a YAML file describing sites, hardware, deliveries and customer contracts.
This page lists every key the file accepts, starting from the top level.

- **The file** is one YAML document of UTF-8 text, at most {max_bytes:,} bytes, whose top
  level is a mapping. Keys are text; a key given twice in one mapping is an error (YAML
  would keep the last silently). Only plain values are read: tags other than the standard
  scalar ones, merge keys (`<<`), more values after expanding aliases than {max_values:,}
  or the file's size in bytes (whichever is more), and nesting deeper than {max_depth}
  levels are errors.
- **Numbers** are plain YAML numbers: `yes`, `true` or a quoted `"50"` is not a number, a
  whole number is needed where the type says integer, and an exponent needs a dot and a sign
  (`4.0e+6`; YAML reads `4e6` as text). `.nan` and `.inf` are errors.
- **Durations** are a number with a unit: `d` (days), `w` (weeks), `mo` (months) or `y`
  (years), e.g. `90d`, `8w`, `6mo`, `5y`. They are fixed lengths, not calendar arithmetic:
  `1y` is {year:g} days and `1mo` a twelfth of that ({month:g} days). A bare number is an error.
- **Dates** are ISO `YYYY-MM-DD`, e.g. `2026-01-15`.
- **Names** (of sites, grid phases, halls, platforms, deliveries and contracts) are lower-case
  identifiers: a letter, then letters, digits or underscores (`{pattern}`). Mappings are
  keyed by name, and entries refer to each other by name.
- **Unknown keys are errors**: a misspelled key is rejected, not silently ignored.
- Keys marked _required_ must be given; others may be left out and take the default shown.
  A default of _none_ means the value is absent; the description says what applies then.
- **Distributions.** A key typed "number, or a QuantityDist" (or "duration, or a
  DurationDist") takes a fixed value or an uncertain one. Its constraints hold for every
  value the distribution can draw, risk events included.
- **Rules** under a table are checked across that section's keys; the checks across
  sections (names that refer to each other, capacity) are listed at the end of the page.

## Contents
"""


_CROSS = """\
Once every section is valid on its own, the file is checked as a whole. Each of these is an
error, reported at the key concerned, except the two marked as warnings: the file still runs,
and the warning states the shortfall."""


def render_markdown() -> str:
    """The scenario file reference, as Markdown."""
    docs = walk()
    year = DAYS_PER_UNIT["y"]
    lines = [
        _INTRO.format(
            year=year,
            month=year / 12,
            pattern=NAME_PATTERN,
            max_bytes=MAX_FILE_BYTES,
            max_values=MAX_VALUES,
            max_depth=MAX_DEPTH,
        )
    ]
    lines += [f"{'  ' * d.depth}- {_link(d.model)}" for d in docs] + [""]
    for doc in docs:
        lines += _section(doc)
    lines += ["## Checks across the file", "", _CROSS, ""]
    lines += [f"- {rule}" for rule in CROSS_CHECKS] + [""]
    lines += ["## Example", "", "See `scenarios/example.yaml` for a complete, runnable example."]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print the reference: ``python -m sim.scenario.schemadoc > docs/scenario.md``."""
    print(render_markdown(), end="")


if __name__ == "__main__":
    main()
