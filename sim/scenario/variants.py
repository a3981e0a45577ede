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

from sim.errors import PathKey, Problem, ScenarioError, did_you_mean, render_path
from sim.scenario.schema import Scenario
from sim.scenario.validation import allowed_keys
from sim.scenario.yamlsource import YamlSource, parse_yaml

_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
MISSING = "(default)"
"""Shown as the old value of a key the file left at its default."""


@dataclass(frozen=True)
class Override:
    """One applied override: where, what it replaced, what it set."""

    path: str
    old: Any
    new: Any
    by: str = ""
    """What asked for it: ``variant NAME``, ``--set`` or ``with_overrides``."""

    def as_dict(self) -> dict[str, Any]:
        out = {"path": self.path, "old": _plain(self.old), "new": _plain(self.new)}
        return {**out, "by": self.by} if self.by else out


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


@dataclass(frozen=True)
class Setting:
    """One requested override: a key path, its value, where it was written and by whom."""

    key: str
    """The key path as written: ``deliveries.dell.tranches[2].date``."""
    value: Any
    file: str
    """The file it is in, or where else it came from (``--set a.b=1``)."""
    line: int | None = None
    label: str = ""
    """The path shown when the key itself is wrong (``variants.fast.<key>``); empty: none."""
    by: str = ""
    """What asked for it: ``variant NAME``, ``--set`` or ``with_overrides``."""


def variant_settings(
    source: YamlSource, data: dict[str, Any], name: str
) -> tuple[list[Setting], list[Problem]]:
    """The overrides of variant ``name``, each located at its line."""
    overrides = data["variants"][name]
    where = ("variants", name)
    if not isinstance(overrides, dict):
        file, line = source.locate(where)
        problem = Problem(
            file,
            line,
            render_path(where),
            "expected a mapping of key paths to values",
            "write `deliveries.dell.slip: 60d` lines under it",
        )
        return [], [problem]
    settings = []
    for text, value in overrides.items():
        file, line = source.locate((*where, text))
        label = f"{render_path(where)}.{text}"
        settings.append(Setting(text, value, file, line, label, f"variant {name}"))
    return settings, []


def apply_variant(
    source: YamlSource, data: dict[str, Any], name: str
) -> tuple[dict[str, Any], YamlSource, list[Override], list[Problem]]:
    """The data with variant ``name`` applied, a source whose lines point at the overrides,
    the overrides applied, and the problems found."""
    settings, problems = variant_settings(source, data, name)
    result, located, applied, found = apply_settings(source, data, settings)
    return result, located, applied, problems + found


def conflicts(settings: list[Setting]) -> list[Problem]:
    """Two settings from different variants at the same path (or one inside the other)
    whose result would depend on the order they are applied in."""
    problems = []
    seen: list[tuple[PathKey, Setting]] = []
    for s in settings:
        path = parse_path(s.key)
        if path is None:
            continue
        for other_path, other in seen:
            if other.by == s.by:
                continue
            overlap = path[: len(other_path)] == other_path or other_path[: len(path)] == path
            if overlap and (path != other_path or other.value != s.value):
                problems.append(
                    Problem(
                        s.file,
                        s.line,
                        s.label or s.key,
                        f"{s.by} sets `{s.key}` to {_plain(s.value)!r} but {other.by} sets "
                        f"`{other.key}` to {_plain(other.value)!r}",
                        "combine variants that change different keys, or choose the value "
                        f"with --set {s.key}=VALUE",
                    )
                )
        seen.append((path, s))
    return problems


def apply_settings(
    source: YamlSource, data: dict[str, Any], settings: list[Setting], *, copy_data: bool = True
) -> tuple[dict[str, Any], YamlSource, list[Override], list[Problem]]:
    """``data`` with ``settings`` applied in order, a source whose lines point at them, the
    overrides applied (old -> new), and the problems found. Without ``copy_data``, ``data``
    is changed in place (it must be the caller's own copy)."""
    result = data if not copy_data else copy.deepcopy(data)
    result.pop("variants", None)
    located = YamlSource(source.file, result, dict(source.lines), dict(source.origin), source.texts)
    applied: list[Override] = []
    problems: list[Problem] = []
    for s in settings:
        path = parse_path(s.key)
        error: tuple[str, str] | None
        if path is None:
            error = (
                f"`{s.key}` is not a key path",
                "write keys joined by dots, list items as [n]: deliveries.dell.tranches[2].date",
            )
        elif path[0] in ("imports", "variants"):
            error = (f"an override cannot change `{path[0]}`", "override keys of the scenario")
        else:
            error = _set(result, path, s.value, applied, s.by)
        if error is not None:
            problems.append(Problem(s.file, s.line, s.label, *error))
            continue
        assert path is not None
        for key in [k for k in located.lines if k[: len(path)] == path]:
            del located.lines[key]
        located.lines[path] = s.line  # None for `--set` and `with_overrides`: named, not a line
        located.origin[path] = s.file
    return result, located, applied, problems


def _set(
    data: dict[str, Any], path: PathKey, value: Any, applied: list[Override], by: str
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
                applied.append(Override(render_path(path), node[part], value, by))
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
            applied.append(Override(render_path(path), node.get(part, MISSING), value, by))
            node[part] = value
            return None
        node = node[part]
    return None


def parse_set(text: str) -> Setting:
    """``--set PATH=VALUE``: the value is read as YAML (``5``, ``60d``, ``2026-09-15``,
    ``{triangular: [0d, 14d, 60d]}``)."""
    key, sep, raw = text.partition("=")
    label = f"--set {text}"
    if not sep or not key.strip():
        hint = "e.g. --set sites.childress.crews.count=5"
        raise ScenarioError([Problem(label, None, "", "expected PATH=VALUE", hint)])
    if not raw.strip():
        hint = f"give one after the `=`: --set {key.strip()}=VALUE"
        raise ScenarioError([Problem(label, None, "", "no value given", hint)])
    return Setting(key.strip(), parse_yaml(raw, label).data, label, None, "", "--set")
