"""Load a scenario file: safe YAML -> validated, immutable Scenario, or every problem at once.

This module imports only yaml and pydantic, so `dcsim validate` stays fast.
"""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import Problem, ScenarioError, UsageError, did_you_mean, render_path
from sim.gcpause import paused_gc
from sim.scenario.checks import check
from sim.scenario.imports import layered_on, read_scenario_source
from sim.scenario.schema import Scenario
from sim.scenario.searchchecks import check as check_search
from sim.scenario.statuschecks import check as check_status
from sim.scenario.validation import problems_from_validation
from sim.scenario.variants import (
    Override,
    Setting,
    apply_settings,
    apply_variant,
    conflicts,
    variant_settings,
)
from sim.scenario.yamlsource import YamlSource, parse_yaml

Overrides = Mapping[str, Any] | Sequence[Setting]
"""Key path -> value (``{"sites.childress.crews.count": 5}``), or parsed ``--set`` options."""


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
    """The variant applied, if any (several: their names joined by `+`)."""
    overrides: list[Override] = field(default_factory=list)
    """The overrides applied (the variants', then the explicit ones), each with the value it
    replaced."""
    variants: list[str] = field(default_factory=list)
    """The variants applied, in order."""
    texts: dict[str, str] = field(default_factory=dict, repr=False)
    """The text of every file read, by name."""
    previous: str | None = None
    """For a status update that imports exactly one file: that file (the scenario or the
    earlier status it is layered on), which a run re-runs to say what changed."""


def load_file(
    path: str | Path, variant: str | Sequence[str] | None = None, overrides: Overrides = ()
) -> Loaded:
    """Read, validate and cross-check a scenario file (and the files it imports), with
    ``variant`` applied if given (a name, or several applied in order), then ``overrides``.
    Every variant in the file is validated, so a bad override is reported whichever variant
    is run. Variants combined must not set the same key to different values; ``overrides``
    are applied last and win over the variants.

    Raises ScenarioError listing every error (with file, line and key path).
    """
    if not isinstance(path, str | Path):
        raise UsageError(f"give the scenario file's path (got {type(path).__name__})")
    names = [] if variant is None else [variant] if isinstance(variant, str) else variant
    if not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
        raise UsageError(
            f"variant is a variant's name or a list of names (got {variant!r}); "
            "sim.load(path, variant='one_crew_fewer')"
        )
    with paused_gc():  # the parsed file and models live on: see sim.gcpause
        source = read_scenario_source(Path(path))
        loaded = _choose(source, _validate_all(source), variant, overrides)
    if loaded.scenario.status is None:
        return loaded
    previous = layered_on(Path(path))
    return replace(loaded, previous=str(previous)) if previous is not None else loaded


def load_all(path: str | Path) -> dict[str | None, Loaded]:
    """The base scenario (key None) and every variant of a file, validated."""
    return _validate_all(read_scenario_source(Path(path)))


def load_text(
    text: str,
    name: str = "<scenario>",
    variant: str | Sequence[str] | None = None,
    overrides: Overrides = (),
) -> Loaded:
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
    return _choose(source, _validate_all(source), variant, overrides)


def _choose(
    source: YamlSource,
    everything: dict[str | None, Loaded],
    variant: str | Sequence[str] | None,
    overrides: Overrides,
) -> Loaded:
    """The base with the variants named (in order) and then ``overrides`` applied."""
    names = [variant] if isinstance(variant, str) else list(variant or [])
    known = [v for v in everything if v is not None]
    unknown = [
        Problem(source.file, None, "variants", f"no variant `{v}`", did_you_mean(str(v), known))
        for v in names
        if v not in everything
    ]
    if unknown:
        raise ScenarioError(unknown)
    settings = as_settings(overrides)
    if not settings and len(names) <= 1:
        return everything[names[0] if names else None]
    data = {k: v for k, v in source.data.items() if k != "imports"}
    chosen = [s for v in names for s in variant_settings(source, data, v)[0]]
    problems = conflicts(chosen)
    if problems:
        raise ScenarioError(problems)
    loaded = _apply(source, data, chosen + settings, everything[None].sha256)
    return replace(loaded, variant="+".join(names) or None, variants=names)


def _apply(
    source: YamlSource,
    data: dict[str, Any],
    settings: list[Setting],
    sha256: str,
    copy: bool = True,
) -> Loaded:
    """Apply ``settings`` to ``data`` and validate: one implementation for variants, --set
    and `with_overrides`. A problem at an override's own key path is shown by the override
    alone (``--set a.b=x: expected ...``)."""
    applied_data, located, applied, problems = apply_settings(
        source, data, settings, copy_data=copy
    )
    try:
        if problems:
            raise ScenarioError(problems)
        return replace(_validate(located, applied_data, sha256), overrides=applied)
    except ScenarioError as exc:
        at = {(s.file, s.key) for s in settings if s.line is None}
        raise ScenarioError(
            [replace(p, path="") if (p.file, p.path) in at else p for p in exc.problems]
        ) from None


def as_settings(overrides: Overrides) -> list[Setting]:
    """Overrides given in Python (key path -> value) as settings; parsed ``--set`` as is."""
    if not isinstance(overrides, Mapping):
        return list(overrides)
    return [
        Setting(key, _plain_number(value), f"overrides[{key!r}]", None, "", "with_overrides")
        for key, value in overrides.items()
    ]


def _plain_number(value: Any) -> Any:
    """numpy's numbers as Python's (a sweep over ``np.arange(3, 8)`` gives numpy integers;
    the schema's numbers are strict)."""
    if isinstance(value, bool | int | float) or not isinstance(value, numbers.Number):
        return value
    return int(value) if isinstance(value, numbers.Integral) else float(value)  # type: ignore[arg-type]


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """``scenario`` with values changed by key path, validated and cross-checked like a
    file (see `Scenario.with_overrides`). Raises ScenarioError naming each bad override."""
    if not isinstance(overrides, Mapping):
        raise UsageError(
            "with_overrides takes key paths and their values: "
            f"{{'sites.north.crews.count': 5}} (got {type(overrides).__name__})"
        )
    bad = [k for k in overrides if not isinstance(k, str)]
    if bad:
        raise UsageError(
            f"with_overrides: {bad[0]!r} is not a key path; write the keys joined by dots, as "
            "text: 'sites.north.crews.count'"
        )
    data = scenario.model_dump()  # the values as validated; durations as text ("60d")
    source = YamlSource("<scenario>", data)
    result = _apply(source, data, as_settings(overrides), "", copy=False).scenario
    if scenario.variants:  # kept as written (they are not applied)
        result = result.model_copy(update={"variants": scenario.variants})
    return result


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
        out[variant] = replace(loaded, variant=variant, overrides=overrides, variants=[variant])
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
        for f in [*check(scenario), *check_status(scenario), *check_search(scenario)]
    ]
    if any(p.severity == "error" for p in findings):
        raise ScenarioError(findings)
    return Loaded(
        scenario, source.file, sha256, findings, sorted(source.texts), texts=dict(source.texts)
    )


def load(path: str | Path, variant: str | Sequence[str] | None = None) -> Scenario:
    """The validated scenario in a file, with ``variant`` applied if given (a name, or a
    list of names applied in order). Warnings are available through `load_file`."""
    return load_file(path, variant).scenario
