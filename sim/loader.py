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
from sim.schema import Scenario
from sim.validation import problems_from_validation
from sim.yamlsource import parse_yaml, read_text


@dataclass(frozen=True)
class Loaded:
    """A validated scenario with where it came from and what was noticed on the way."""

    scenario: Scenario
    file: str
    sha256: str
    warnings: list[Problem] = field(default_factory=list)


def load_file(path: str | Path) -> Loaded:
    """Read, validate and cross-check a scenario file.

    Raises ScenarioError listing every error (with file, line and key path).
    """
    path = Path(path)
    text = read_text(path)
    return load_text(text, str(path))


def load_text(text: str, name: str = "<scenario>") -> Loaded:
    """Like `load_file`, for YAML text already in memory; ``name`` is used in messages."""
    source = parse_yaml(text, name)
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
    try:
        scenario = Scenario.model_validate(source.data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, source, Scenario)) from None
    findings = [
        Problem(name, source.line_of(f.path), render_path(f.path), f.message, f.hint, f.severity)
        for f in check(scenario)
    ]
    if any(p.severity == "error" for p in findings):
        raise ScenarioError(findings)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Loaded(scenario, name, digest, findings)


def load(path: str | Path) -> Scenario:
    """The validated scenario in a file (warnings are available through `load_file`)."""
    return load_file(path).scenario
