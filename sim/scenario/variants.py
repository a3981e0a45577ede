"""Variants: named sets of overrides by key path, applied to the scenario's plain data.

    variants:
      dell_60d_late:
        deliveries.dell.slip: 60d
      one_crew_fewer:
        sites.childress.crews.count: 5
      early_tranche:
        deliveries.dell.tranches[2].date: 2026-09-15

A path must lead through keys and list items that exist; its last key may be one the file
leaves at its default, if the schema knows it. Each applied override is recorded with the
value it replaced, and a value's problems are reported at the override's line.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from sim.errors import PathKey, Problem, did_you_mean, render_path
from sim.scenario.schema import Scenario
from sim.scenario.validation import allowed_keys
from sim.scenario.yamlsource import YamlSource

_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
MISSING = "(default)"
"""Shown as the old value of a key the file left at its default."""


@dataclass(frozen=True)
class Override:
    """One applied override: where, what it replaced, what it set."""

    path: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": _plain(self.old), "new": _plain(self.new)}


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO text, inside mappings and lists too."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def parse_path(text: str) -> PathKey | None:
    """``"a.b[2].c"`` -> ``("a", "b", 2, "c")``, or None if it is not a key path."""
    parts: list[str | int] = []
    for piece in text.split("."):
        if not piece:
            return None
        matches = list(_TOKEN.finditer(piece))
        if not matches or "".join(m.group(0) for m in matches) != piece or matches[0].group(2):
            return None
        parts.extend(m.group(1) if m.group(1) else int(m.group(2)) for m in matches)
    return tuple(parts)


def apply_variant(
    source: YamlSource, data: dict[str, Any], name: str
) -> tuple[dict[str, Any], YamlSource, list[Override], list[Problem]]:
    """The data with variant ``name`` applied, a source whose lines point at the overrides,
    the overrides applied, and the problems found."""
    overrides = data["variants"][name]
    where = ("variants", name)
    result = copy.deepcopy({k: v for k, v in data.items() if k != "variants"})
    located = YamlSource(source.file, result, dict(source.lines), dict(source.origin), source.texts)
    applied: list[Override] = []
    problems: list[Problem] = []
    if not isinstance(overrides, dict):
        file, line = source.locate(where)
        return (
            result,
            located,
            [],
            [
                Problem(
                    file,
                    line,
                    render_path(where),
                    "expected a mapping of key paths to values",
                    "write `deliveries.dell.slip: 60d` lines under it",
                )
            ],
        )
    for text, value in overrides.items():
        file, line = source.locate((*where, text))
        path = parse_path(text)
        if path is not None and path[0] in ("imports", "variants"):
            problems.append(
                Problem(
                    file,
                    line,
                    f"{render_path(where)}.{text}",
                    f"a variant cannot change `{path[0]}`",
                    "override keys of the scenario itself",
                )
            )
            continue
        if path is None:
            problems.append(
                Problem(
                    file,
                    line,
                    f"{render_path(where)}.{text}",
                    f"`{text}` is not a key path",
                    "write keys joined by dots, list items as [n]: "
                    "deliveries.dell.tranches[2].date",
                )
            )
            continue
        error = _set(result, path, value, applied)
        if error is not None:
            problems.append(Problem(file, line, f"{render_path(where)}.{text}", *error))
            continue
        for key in [k for k in located.lines if k[: len(path)] == path]:
            del located.lines[key]
        if line is not None:  # an unlocated key stays unlocated, as if never set
            located.lines[path] = line
        located.origin[path] = file
    return result, located, applied, problems


def _set(
    data: dict[str, Any], path: PathKey, value: Any, applied: list[Override]
) -> tuple[str, str] | None:
    """Set ``path`` to ``value`` in ``data``; a (message, hint) if the path does not exist."""
    node: Any = data
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        here = render_path(path[:depth]) or "the top level"
        if isinstance(part, int):
            if isinstance(node, dict):
                return (
                    f"`{render_path(path)}` does not exist: {here} is a mapping, not a list",
                    f"name the entry: {here}.<name>",
                )
            if not isinstance(node, list) or not 0 <= part < len(node):
                size = len(node) if isinstance(node, list) else 0
                return (
                    f"`{render_path(path)}` does not exist: {here} has {size} items",
                    f"use an index from 0 to {max(size - 1, 0)}",
                )
            if last:
                applied.append(Override(render_path(path), node[part], value))
                node[part] = value
                return None
            node = node[part]
            continue
        if not isinstance(node, dict):
            return (f"`{render_path(path)}` does not exist: {here} is not a mapping", "")
        if part not in node:
            known = allowed_keys(path[:depth], data, Scenario) if last else []
            if part not in known:
                choices = list(node) + [k for k in known if k not in node]
                return (f"`{render_path(path)}` does not exist", did_you_mean(str(part), choices))
        if last:
            applied.append(Override(render_path(path), node.get(part, MISSING), value))
            node[part] = value
            return None
        node = node[part]
    return None
