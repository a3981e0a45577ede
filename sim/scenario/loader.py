"""Load a scenario file: safe YAML -> validated, immutable Scenario, or every problem at once.

This module imports only yaml and pydantic, so `dcsim validate` stays fast.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import Problem, ScenarioError, did_you_mean, render_path
from sim.scenario.checks import check
from sim.scenario.imports import read_scenario_source
from sim.scenario.schema import Scenario
from sim.scenario.statuschecks import check as check_status
from sim.scenario.validation import problems_from_validation
from sim.scenario.variants import Override, apply_variant
from sim.scenario.yamlsource import YamlSource, parse_yaml


@dataclass(frozen=True)
class Loaded:
    """A validated scenario with where it came from and what was noticed on the way."""

    scenario: Scenario
    file: str
    sha256: str
    warnings: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """Every file read: the scenario and what it imports."""
    variant: str | None = None
    """The variant applied, if any."""
    overrides: list[Override] = field(default_factory=list)
    """The variant's overrides, each with the value it replaced."""
    texts: dict[str, str] = field(default_factory=dict, repr=False)
    """The text of every file read, by name."""


def load_file(path: str | Path, variant: str | None = None) -> Loaded:
    """Read, validate and cross-check a scenario file (and the files it imports), with
    ``variant`` applied if given. Every variant in the file is validated, so a bad override
    is reported whichever variant is run.

    Raises ScenarioError listing every error (with file, line and key path).
    """
    return _select(load_all(path), variant, str(path))


def load_all(path: str | Path) -> dict[str | None, Loaded]:
    """The base scenario (key None) and every variant of a file, validated."""
    return _validate_all(read_scenario_source(Path(path)))


def load_text(text: str, name: str = "<scenario>", variant: str | None = None) -> Loaded:
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
    return _select(_validate_all(source), variant, name)


def _select(loaded: dict[str | None, Loaded], variant: str | None, name: str) -> Loaded:
    if variant not in loaded:
        names = [v for v in loaded if v is not None]
        raise ScenarioError(
            [
                Problem(
                    name,
                    None,
                    "variants",
                    f"no variant `{variant}`",
                    did_you_mean(str(variant), names),
                )
            ]
        )
    return loaded[variant]


def _validate_all(source: YamlSource) -> dict[str | None, Loaded]:
    name = source.file
    if not isinstance(source.data, dict):
        kind = "a list" if isinstance(source.data, list) else f"the value {source.data!r}"
        raise ScenarioError(
            [
                Problem(
                    name,
                    source.line_of(()),
                    "(top level)",
                    f"a scenario is a mapping of keys, not {kind}",
                    "start from scenarios/example.yaml",
                )
            ]
        )
    data = {k: v for k, v in source.data.items() if k != "imports"}
    digest = hashlib.sha256()
    for file in [name, *sorted(set(source.texts) - {name})]:
        digest.update(source.texts[file].encode("utf-8"))
    base = _validate(source, data, digest.hexdigest())
    out: dict[str | None, Loaded] = {None: base}
    problems: list[Problem] = []
    variants = data.get("variants") or {}
    for variant in variants:
        applied_data, located, overrides, found = apply_variant(source, data, variant)
        if found:
            problems.extend(found)
            continue
        try:
            loaded = _validate(located, applied_data, base.sha256)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        out[variant] = replace(loaded, variant=variant, overrides=overrides)
    if problems:
        raise ScenarioError(problems)
    return out


def _validate(source: YamlSource, data: dict[str, Any], sha256: str) -> Loaded:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, source, Scenario)) from None
    findings = [
        Problem(*source.locate(f.path), render_path(f.path), f.message, f.hint, f.severity)
        for f in [*check(scenario), *check_status(scenario)]
    ]
    if any(p.severity == "error" for p in findings):
        raise ScenarioError(findings)
    return Loaded(
        scenario, source.file, sha256, findings, sorted(source.texts), texts=dict(source.texts)
    )


def load(path: str | Path) -> Scenario:
    """The validated scenario in a file (warnings are available through `load_file`)."""
    return load_file(path).scenario
