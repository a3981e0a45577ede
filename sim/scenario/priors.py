"""Reference-class priors: named slip distributions shipped with dcsim, used in a scenario as
`slip: {prior: later_building}` and resolved to their distribution when the file is loaded.

The library is `priors.yaml` next to this module, generated from the reference-class records
by `python -m sim.calibration.library` (docs/calibration.md explains the records and the fit).
This module only reads it, so loading a scenario needs neither scipy nor the records.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from sim.errors import did_you_mean
from sim.scenario.yamlsource import SAFE_LOADER

LIBRARY = Path(__file__).with_name("priors.yaml")
"""The shipped prior library."""

_SHAPES = ("fixed", "uniform", "triangular", "pert", "lognormal", "normal")


@functools.cache
def library() -> dict[str, dict[str, Any]]:
    """Every shipped prior by name: its description, record count and distribution."""
    # runs in every `dcsim validate` of a file that names a prior
    data = yaml.load(LIBRARY.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    priors: dict[str, dict[str, Any]] = data["priors"]
    return priors


def resolve_prior(data: Any) -> Any:
    """A distribution mapping with its `prior: NAME` replaced by the prior's distribution;
    the other keys written next to it (`shared`, `risk`, `min`, `max`) are kept, and a `max`
    or `min` written there replaces the prior's. Anything else is returned unchanged."""
    if not isinstance(data, dict) or "prior" not in data:
        return data
    name = data["prior"]
    priors = library()
    if not isinstance(name, str) or name not in priors:
        raise ValueError(f"no prior `{name}`; {did_you_mean(str(name), priors)}")
    shapes = [k for k in _SHAPES if k in data]
    if shapes:
        raise ValueError(
            f"give a prior or a shape, not both (prior `{name}` and {' and '.join(shapes)})"
        )
    resolved = dict(priors[name]["distribution"])
    resolved.update({k: v for k, v in data.items() if k != "prior"})
    return resolved
