"""The design space of a sweep or a search: axes (a key path and its values), their Cartesian
product, and the scenario at each point, every value checked where it goes before anything
runs.

An axis is written `--vary PATH=V1,V2,...` (each value read as YAML: `5`, `60d`,
`2026-09-15`), `--vary PATH=A..B` for the whole numbers from A to B, or comes from a variable
of the `search:` block.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError, UsageError, render_path
from sim.scenario.imports import read_scenario_source
from sim.scenario.schema import Scenario
from sim.scenario.schema.search import Search
from sim.scenario.variants import parse_path
from sim.scenario.yamlsource import parse_yaml

_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")

MAX_POINTS = 10_000
"""The most values an axis may take, and the most points a sweep or an exhaustive search
runs: every value is checked against the scenario before anything runs (about 1 to 2 ms
each on the seed scenarios) and every point is a run, so more is hours of work that is
better narrowed first, or searched with `trials`."""


@dataclass(frozen=True)
class Axis:
    """One key path and the values it takes, with where it was written (for messages)."""

    path: str
    values: tuple[Any, ...]
    file: str = ""
    """Where the axis was written: `--vary PATH=...`, or the scenario file."""
    line: int | None = None
    label: str = ""
    """The key path shown in messages (`search.variables.<path>`); empty: none."""


def parse_vary(text: str) -> Axis:
    """``--vary PATH=V1,V2,...`` or ``--vary PATH=A..B``; a malformed one raises
    ScenarioError naming it."""
    where = f"--vary {text}"
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path or not raw.strip():
        hint = "e.g. --vary sites.childress.crews.count=4,5,6 (or =4..8)"
        raise ScenarioError([Problem(where, None, "", "expected PATH=V1,V2,...", hint)])
    if parse_path(path) is None:
        hint = "write keys joined by dots, list items as [n]: deliveries.dell.tranches[2].date"
        raise ScenarioError([Problem(where, None, "", f"`{path}` is not a key path", hint)])
    span = _RANGE.match(raw)
    if span:
        low, high = int(span.group(1)), int(span.group(2))
        if low > high:
            hint = f"write {path}={high}..{low}"
            raise ScenarioError([Problem(where, None, "", "the range runs backwards", hint)])
        if high - low + 1 > MAX_POINTS:
            hint = f"vary at most {MAX_POINTS:,} values: narrow the range, or step through it"
            raise ScenarioError([Problem(where, None, "", f"{high - low + 1:,} values", hint)])
        values: list[Any] = list(range(low, high + 1))
    else:
        values = [parse_yaml(v, where).data for v in _split(raw)]
    if len({repr(v) for v in values}) != len(values):
        raise ScenarioError([Problem(where, None, "", "a value is repeated", "list each once")])
    return Axis(path, tuple(values), where)


def _split(raw: str) -> list[str]:
    """Split on commas outside brackets, so a value may be `{triangular: [0d, 14d, 60d]}`."""
    parts, depth, current = [], 0, ""
    for ch in raw:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def search_axes(search: Search, source: str | Path | None = None) -> list[Axis]:
    """The axes of a `search:` block's variables; with ``source`` (the scenario file the
    block is in), each located at its line for messages."""
    located = read_scenario_source(Path(source)) if source is not None else None
    axes = []
    for key, variable in search.variables.items():
        path = ("search", "variables", key)
        file, line = located.locate(path) if located is not None else ("search", None)
        axes.append(Axis(key, tuple(variable.values()), file, line, render_path(path)))
    return axes


def as_axes(axes: Mapping[str, Sequence[Any]] | Sequence[Axis]) -> list[Axis]:
    """Axes given in Python (key path -> values) or already built."""
    if isinstance(axes, Mapping):
        for k, v in axes.items():
            if isinstance(v, str) or not isinstance(v, Iterable):
                raise UsageError(f"axes[{k!r}]: give the values as a list, [4, 5, 6] (got {v!r})")
        return [Axis(k, tuple(v), f"axes[{k!r}]") for k, v in axes.items()]
    return list(axes)


def points(axes: Sequence[Axis]) -> list[dict[str, Any]]:
    """The Cartesian product of the axes, the first axis varying slowest."""
    names = [a.path for a in axes]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise ScenarioError(
            [Problem(axes[0].file, None, "", f"`{twice}` is varied twice", "vary it once")]
        )
    size = math.prod(len(a.values) for a in axes)
    if size > MAX_POINTS:
        sizes = " x ".join(f"{len(a.values):,}" for a in axes)
        raise ScenarioError(
            [
                Problem(
                    axes[0].file,
                    axes[0].line,
                    axes[0].label,
                    f"{size:,} points ({sizes} values) are more than the {MAX_POINTS:,} a sweep "
                    "or an exhaustive search runs",
                    "narrow the values, or search them with a number of `trials`",
                )
            ]
        )
    return [
        dict(zip(names, combo, strict=True))
        for combo in itertools.product(*(a.values for a in axes))
    ]


def check_values(base: Scenario, axes: Sequence[Axis]) -> None:
    """Every value of every axis applied alone to ``base``; raises ScenarioError with every
    bad value, each located where its axis was written."""
    base.with_overrides({})  # the base's own problems are not the values'
    problems: list[Problem] = []
    for axis in axes:
        if not axis.values:
            problems.append(Problem(axis.file, axis.line, axis.label, "no values", "give one"))
        if len(axis.values) > MAX_POINTS:
            problems.append(
                Problem(
                    axis.file,
                    axis.line,
                    axis.label,
                    f"{len(axis.values):,} values, more than the {MAX_POINTS:,} checked",
                    "narrow the range, or step through it (`step`, `every`)",
                )
            )
            continue
        found = []
        for value in axis.values:
            try:
                base.with_overrides({axis.path: value})
            except ScenarioError as exc:
                found.append((value, exc.problems))
        # What every value gets is the path's problem (a key that does not exist): said once.
        common = set(found[0][1]) if len(found) == len(axis.values) > 1 else set()
        for _, each in found[1:]:
            common &= set(each)
        if common:
            problems += [_relabel(p, axis) for p in found[0][1] if p in common]
        for value, each in found:
            problems += [_relabel(p, axis, value) for p in each if p not in common]
    if problems:
        raise ScenarioError(problems)


def scenario_at(base: Scenario, point: Mapping[str, Any], axes: Sequence[Axis]) -> Scenario:
    """``base`` with the point's values; a combination that is invalid as a whole (its
    values are fine alone) raises ScenarioError naming the point."""
    try:
        return base.with_overrides(point) if point else base
    except ScenarioError as exc:
        shown = ", ".join(f"{k}={v}" for k, v in point.items())
        where = axes[0].file if axes else ""
        raise ScenarioError(
            [
                replace(p, file=where, line=None, message=f"at {shown}: {p.message}")
                for p in exc.problems
            ]
        ) from None


def _relabel(problem: Problem, axis: Axis, *value: Any) -> Problem:
    """A problem of one override, shown where the axis was written, naming the value (when
    given: a problem of every value names none)."""
    if problem.file.startswith("overrides["):
        named = f"value {shown(value[0])}: " if value else ""
        return replace(
            problem,
            file=axis.file,
            line=axis.line,
            path=axis.label,
            message=named + problem.message,
        )
    if not value:
        return replace(problem, message=f"with {axis.path}: {problem.message}")
    return replace(problem, message=f"with {axis.path}={shown(value[0])}: {problem.message}")


def shown(value: Any) -> str:
    """A value as a planner wrote it: `5`, `2026-09-15`, `'abc'` (text quoted)."""
    return repr(value) if isinstance(value, str) else str(value)
