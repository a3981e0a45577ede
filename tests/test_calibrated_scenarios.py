"""The shipped scenarios: every uncertain input bounded, and the announcement-time scenarios'
hall slips taken from reference-class priors with campus and region factors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import yaml
from pydantic import BaseModel

import sim
from sim.engine.realize import Streams, realize
from sim.scenario.schema.distributions import DurationDist, QuantityDist
from tests.helpers import SCENARIOS

SHIPPED = sorted(p.name for p in SCENARIOS.glob("*.yaml"))
ANNOUNCEMENT = ["iren_childress.yaml", "cipher.yaml"]


def _distributions(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, DurationDist | QuantityDist):
        return [(path, value)]
    if isinstance(value, BaseModel):
        items = [(n, getattr(value, n)) for n in type(value).model_fields]
    elif isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return []
    return [d for k, v in items for d in _distributions(v, f"{path}.{k}" if path else str(k))]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_input_is_bounded(name: str) -> None:
    scenario = sim.load(SCENARIOS / name)
    for path, dist in _distributions(scenario):
        top = dist.support()[1]
        assert math.isfinite(top), f"{name}: {path} is unbounded"
        if isinstance(dist, DurationDist):
            assert top <= 3 * 365, f"{name}: {path} can draw {top:.0f} days"


@pytest.mark.parametrize("name", ANNOUNCEMENT)
def test_announcement_halls_slip_by_a_prior_with_campus_and_region_factors(name: str) -> None:
    raw = yaml.safe_load((SCENARIOS / name).read_text(encoding="utf-8"))
    for site in raw["sites"].values():
        for hall_name, hall in (site.get("halls") or {}).items():
            slip = hall["construction"]["slip"]
            assert "prior" in slip, f"{name}: {hall_name} has no prior"
            factors = slip["correlation"]["factors"]
            assert "texas" in factors
            assert any(f.startswith("campus_") for f in factors)


def test_halls_of_one_campus_slip_together_more_than_halls_of_two() -> None:
    scenario = sim.load(SCENARIOS / "cipher.yaml")
    key = "sites.{}.halls.{}.construction.slip"
    rows = [realize(scenario, Streams(3, i))[1] for i in range(1500)]

    def ranks(site: str, hall: str) -> np.ndarray:
        values = np.array([r[key.format(site, hall)] for r in rows])
        noise = np.arange(len(values)) * 1e-9  # break the ties at the 0d floor
        return np.argsort(np.argsort(values + noise)).astype(float)

    # Barber Lake's two halls (one campus) against Barber Lake and Black Pearl (two), both
    # pairs mostly above the 0d floor (any_buildout, later_building): stated normal-score
    # correlations 0.45 and 0.09, diluted a little by the draws floored at 0d.
    b1 = ranks("barber_lake", "fluidstack_1")
    b2 = ranks("barber_lake", "fluidstack_2")
    p2 = ranks("black_pearl", "aws_phase_2")
    same_campus = np.corrcoef(b1, b2)[0, 1]
    two_campuses = np.corrcoef(b2, p2)[0, 1]
    assert 0.25 < same_campus < 0.5
    assert -0.05 < two_campuses < 0.2
    assert same_campus > two_campuses + 0.15
