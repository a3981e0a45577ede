"""Compose a scenario from other files: `imports:` resolved into one located source.

The imported files' sites, platforms, deliveries and contracts are merged by name (a name
defined in two imports is an error), then the importing file's own keys are merged on top,
key by key (lists are replaced whole). Imported files' `scenario` blocks are ignored, except
that a file importing exactly one file inherits its block, key by key under its own. Paths
are relative to the importing file and must stay inside its folder tree, symlinks included;
import cycles are errors. Every key keeps the file and line it came from.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import PathKey, Problem, ScenarioError, render_path
from sim.scenario.schema import Scenario
from sim.scenario.validation import problems_from_validation
from sim.scenario.yamlsource import YamlSource, parse_yaml, read_text

SECTIONS = ("sites", "platforms", "deliveries", "contracts", "variants")
"""Top-level mappings whose entries are merged by name (variants too: an importing file
inherits the variants of the files it imports)."""
MAX_DEPTH = 16


def read_scenario_source(path: Path) -> YamlSource:
    """Read ``path`` and everything it imports into one source."""
    return _read(path, ())


def layered_on(path: Path) -> Path | None:
    """The one file ``path`` imports (the scenario or earlier status a status update is
    layered on), or None when it imports none or several. For a file already loaded: its
    imports were checked then."""
    source = parse_yaml(read_text(path), str(path))
    imports = source.data.get("imports") if isinstance(source.data, dict) else None
    if not isinstance(imports, list) or len(imports) != 1 or not isinstance(imports[0], str):
        return None
    return (path.parent / imports[0]).resolve()


def _read(path: Path, chain: tuple[Path, ...]) -> YamlSource:
    source = parse_yaml(read_text(path), str(path))
    if not isinstance(source.data, dict) or "imports" not in source.data:
        return source
    return _compose(source, path, (*chain, path.resolve()))


def _problem(source: YamlSource, path: PathKey, message: str, hint: str = "") -> Problem:
    file, line = source.locate(path)
    return Problem(file, line, render_path(path), message, hint)


def _compose(source: YamlSource, path: Path, chain: tuple[Path, ...]) -> YamlSource:
    imports = source.data["imports"]
    if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
        raise ScenarioError(
            [
                _problem(
                    source,
                    ("imports",),
                    "expected a list of file paths",
                    "write imports: [company_a.yaml, company_b.yaml]",
                ),
                *_own_problems(source),
            ]
        )
    if len(chain) > MAX_DEPTH:
        raise ScenarioError(
            [
                _problem(
                    source,
                    ("imports",),
                    "imports nest too deeply",
                    f"keep under {MAX_DEPTH} levels",
                )
            ]
        )
    merged = YamlSource(source.file, {}, texts=dict(source.texts))
    defined: dict[tuple[str, str], str] = {}
    problems: list[Problem] = []
    for index, relative in enumerate(imports):
        where = ("imports", index)
        try:
            target = _confined(source, path, relative, where)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        if target in chain:
            cycle = " -> ".join(p.name for p in (*chain[chain.index(target) :], target))
            problems.append(
                _problem(source, where, f"import cycle: {cycle}", "remove one of the imports")
            )
            continue
        try:
            child = _read(target, chain)
        except ScenarioError as exc:
            for p in exc.problems:
                if p.file == str(target) and p.path == "(file)":  # cannot be read at all
                    file, line = source.locate(where)
                    p = Problem(
                        file,
                        line,
                        render_path(where),
                        f"cannot import {relative!r}: {p.message}",
                        p.hint,
                    )
                problems.append(p)
            continue
        merged.texts.update(child.texts)
        problems.extend(_merge_child(merged, child, defined))
    if problems:
        # The merged scenario cannot be checked, but the file's own keys can: report what is
        # wrong with them too, so one pass shows every problem.
        raise ScenarioError([*problems, *_own_problems(source)])
    if len(imports) == 1:
        _inherit_scenario(merged, child)
    own = {k: v for k, v in source.data.items() if k != "imports"}
    _overlay(merged, own, source, ())
    return merged


def _inherit_scenario(merged: YamlSource, child: YamlSource) -> None:
    """A file that imports exactly one file starts from that file's `scenario` block, and its
    own `scenario` keys override it key by key (a status update layered on its scenario
    renames the run and keeps the horizon)."""
    if isinstance(child.data, dict) and "scenario" in child.data:
        merged.data["scenario"] = copy.deepcopy(child.data["scenario"])
        _copy_locations(merged, child, ("scenario",))


def _own_problems(source: YamlSource) -> list[Problem]:
    """What is wrong with an importing file's own keys, whatever its imports hold."""
    own = {k: v for k, v in source.data.items() if k != "imports"}
    try:
        Scenario.model_validate(own)
    except ValidationError as exc:
        return problems_from_validation(exc, source, Scenario, partial=True)
    return []


def _confined(source: YamlSource, path: Path, relative: str, where: PathKey) -> Path:
    """The imported file's real path, if it lies inside the importing file's folder."""
    folder = path.parent.resolve()
    if Path(relative).is_absolute():
        raise ScenarioError(
            [
                _problem(
                    source,
                    where,
                    f"absolute import path {relative!r}",
                    "give a path relative to this file",
                )
            ]
        )
    target = (path.parent / relative).resolve()
    if not target.is_relative_to(folder):
        raise ScenarioError(
            [
                _problem(
                    source,
                    where,
                    f"{relative!r} is outside this file's folder ({folder})",
                    "imports must stay inside the importing file's folder tree "
                    "(no ../, no symlinks "
                    "pointing out)",
                )
            ]
        )
    return target


def _merge_child(
    merged: YamlSource, child: YamlSource, defined: dict[tuple[str, str], str]
) -> list[Problem]:
    problems = []
    data = child.data if isinstance(child.data, dict) else {}
    for section, entries in data.items():
        if section in ("scenario", "imports"):
            continue
        if section not in SECTIONS or not isinstance(entries, dict):
            merged.data[section] = copy.deepcopy(entries)  # the schema reports it, located
            _copy_locations(merged, child, (section,))
            continue
        target = merged.data.setdefault(section, {})
        for name, entry in entries.items():
            key = (section, name)
            if key in defined:
                problems.append(
                    _problem(
                        child,
                        key,
                        f"`{render_path(key)}` is also defined in {defined[key]}",
                        "each name may come from one imported file only; rename one of them",
                    )
                )
                continue
            defined[key] = child.locate(key)[0]
            target[name] = copy.deepcopy(entry)
            _copy_locations(merged, child, key)
    return problems


def _copy_locations(merged: YamlSource, child: YamlSource, prefix: PathKey) -> None:
    for key, line in child.lines.items():
        if key[: len(prefix)] == prefix:
            merged.lines[key] = line
            merged.origin[key] = child.origin.get(key, child.file)


def _overlay(merged: YamlSource, own: dict[str, Any], source: YamlSource, prefix: PathKey) -> None:
    """Merge the importing file's keys over the imported ones, key by key."""
    target: Any = merged.data
    for part in prefix:
        target = target[part]
    for key, value in own.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merged.lines[path] = source.lines[path]
            merged.origin[path] = source.origin.get(path, source.file)
            _overlay(merged, value, source, path)
        else:
            target[key] = copy.deepcopy(value)
            for k in [k for k in merged.lines if k[: len(path)] == path]:
                del merged.lines[k]
                merged.origin.pop(k, None)
            _copy_locations(merged, source, path)
