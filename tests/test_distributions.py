"""Distributions: samples match their parameters; errors locate bad parameters."""

from __future__ import annotations

import re

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from sim.engine.realize import Streams
from sim.errors import ScenarioError
from sim.scenario.loader import load_text
from sim.scenario.schema.distributions import DurationDist, QuantityDist
from tests.helpers import SCENARIOS

N = 20_000


def samples(dist: DurationDist | QuantityDist, seed: int = 7) -> np.ndarray:
    streams = Streams(seed, 0)
    out = []
    for i in range(N):
        base = streams.uniform(f"x/{i}")
        risks = [streams.uniform(f"x/{i}/risk/{k}") for k in range(len(dist.risk))]
        out.append(dist.draw(base, risks))
    return np.array(out)


def duration(spec: dict) -> DurationDist:
    return TypeAdapter(DurationDist).validate_python(spec)


def test_uniform_covers_its_bounds_evenly() -> None:
    x = samples(duration({"uniform": ["10d", "30d"]}))
    assert x.min() >= 10
    assert x.max() <= 30
    assert x.mean() == pytest.approx(20, abs=0.2)
    assert np.percentile(x, 25) == pytest.approx(15, abs=0.3)


def test_triangular_mean_and_mode() -> None:
    x = samples(duration({"triangular": ["0d", "10d", "50d"]}))
    assert x.min() >= 0
    assert x.max() <= 50
    assert x.mean() == pytest.approx(20, abs=0.3)  # (a + c + b) / 3
    # P(x <= c) = (c - a) / (b - a)
    assert (x <= 10).mean() == pytest.approx(0.2, abs=0.01)


def test_pert_mean_is_the_weighted_mode() -> None:
    x = samples(duration({"pert": ["210d", "240d", "330d"]}))
    assert x.min() >= 210
    assert x.max() <= 330
    assert x.mean() == pytest.approx((210 + 4 * 240 + 330) / 6, abs=0.5)


def test_lognormal_median_and_p90() -> None:
    x = samples(duration({"lognormal": {"median": "128w", "p90": "160w"}}))
    assert np.median(x) == pytest.approx(128 * 7, rel=0.01)
    assert np.percentile(x, 90) == pytest.approx(160 * 7, rel=0.01)
    assert x.min() > 0


def test_truncated_normal_stays_in_bounds() -> None:
    dist = TypeAdapter(QuantityDist).validate_python(
        {"normal": {"mean": 30, "sd": 10, "min": 25, "max": 60}}
    )
    x = samples(dist)
    assert x.min() >= 25
    assert x.max() <= 60
    # Truncated below at mean - sd/2: the mean rises above 30.
    assert 34 < x.mean() < 37


def test_risk_event_adds_with_its_probability() -> None:
    x = samples(duration({"fixed": "10d", "risk": {"p": 0.25, "add": "120d"}}))
    assert set(np.unique(x)) == {10.0, 130.0}
    assert (x == 130).mean() == pytest.approx(0.25, abs=0.01)


def test_plan_values() -> None:
    assert duration({"pert": ["1d", "2d", "9d"]}).plan() == 2
    assert duration({"uniform": ["1d", "3d"]}).plan() == 2
    assert duration({"lognormal": {"median": "5d", "p90": "9d"}}).plan() == 5
    assert duration({"fixed": "4d", "risk": {"p": 0.9, "add": "9d"}}).plan() == 4


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"pert": ["30d", "10d", "50d"]}, "pert needs min <= mode <= max (got [30d, 10d, 50d])"),
        ({"uniform": ["5d", "1d"]}, "uniform needs min <= max"),
        ({"lognormal": {"median": "9d", "p90": "5d"}}, "lognormal needs 0 < median < p90"),
        (
            {"pert": ["1d", "2d", "3d"], "uniform": ["1d", "2d"]},
            "give one shape, not uniform and pert",
        ),
        ({}, "a distribution needs a shape"),
    ],
)
def test_bad_parameters_are_rejected(spec: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        duration(spec)


def test_bad_distributions_in_a_scenario_are_located() -> None:
    text = (SCENARIOS / "example.yaml").read_text()
    text = text.replace("duration: 7mo", "duration: {pert: [8mo, 7mo, 10mo]}")
    text = text.replace("fallout: 0.02", "fallout: {risk: {p: 1.5, add: 0.1}}")
    text = text.replace("burn_in: 7d", "burn_in: {uniform: [-2d, 7d]}")
    with pytest.raises(ScenarioError) as exc:
        load_text(text, "x.yaml")
    found = {(p.line, p.path) for p in exc.value.problems}
    assert (27, "sites.north.halls.hall_a.construction.duration") in found
    assert (58, "platforms.nvl72.fallout.risk.p") in found
    assert (57, "platforms.nvl72.burn_in.uniform[0]") in found


def test_a_distribution_must_stay_within_the_fields_bounds() -> None:
    text = (
        (SCENARIOS / "example.yaml")
        .read_text()
        .replace("fallout: 0.02", "fallout: {pert: [0.0, 0.5, 1.2]}")
    )
    with pytest.raises(
        ScenarioError,
        match=r"platforms.nvl72.fallout: every draw must be < 1 "
        r"\(highest 1.2\)",
    ):
        load_text(text, "x.yaml")
