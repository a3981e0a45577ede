"""Load a scenario file: safe YAML -> validated, immutable Scenario, or every problem at once.

This module imports only yaml and pydantic, so `dcsim validate` stays fast.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from sim.checks import check
from sim.errors import Problem, ScenarioError, render_path
from sim.imports import read_scenario_source
from sim.schema import Scenario
from sim.validation import problems_from_validation
from sim.yamlsource import YamlSource, parse_yaml


@dataclass(frozen=True)
class Loaded:
    """A validated scenario with where it came from and what was noticed on the way."""

    scenario: Scenario
    file: str
    sha256: str
    warnings: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """Every file read: the scenario and what it imports."""


def load_file(path: str | Path) -> Loaded:
    """Read, validate and cross-check a scenario file (and the files it imports).

    Raises ScenarioError listing every error (with file, line and key path).
    """
    return _validate(read_scenario_source(Path(path)))


def load_text(text: str, name: str = "<scenario>") -> Loaded:
    """Like `load_file`, for YAML text already in memory; ``name`` is used in messages.
    Text cannot import other files (there is no folder to resolve them against)."""
    source = parse_yaml(text, name)
    if isinstance(source.data, dict) and "imports" in source.data:
        raise ScenarioError(
            [
                Problem(
                    name,
                    source.line_of(("imports",)),
                    "imports",
                    "imports need a scenario file on disk",
                    "load the file with load_file(path)",
                )
            ]
        )
    return _validate(source)


def _validate(source: YamlSource) -> Loaded:
    name = source.file
    if not isinstance(source.data, dict):
        kind = "a list" if isinstance(source.data, list) else f"the value {source.data!r}"
        raise ScenarioError(
            [
                Problem(
                    name,
                    1,
                    "(top level)",
                    f"a scenario is a mapping of keys, not {kind}",
                    "start from scenarios/example.yaml",
                )
            ]
        )
    data = {k: v for k, v in source.data.items() if k != "imports"}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, source, Scenario)) from None
    findings = [
        Problem(*source.locate(f.path), render_path(f.path), f.message, f.hint, f.severity)
        for f in check(scenario)
    ]
    if any(p.severity == "error" for p in findings):
        raise ScenarioError(findings)
    digest = hashlib.sha256()
    for file in [name, *sorted(set(source.texts) - {name})]:
        digest.update(source.texts[file].encode("utf-8"))
    return Loaded(scenario, name, digest.hexdigest(), findings, sorted(source.texts))


def load(path: str | Path) -> Scenario:
    """The validated scenario in a file (warnings are available through `load_file`)."""
    return load_file(path).scenario
