"""Capped and floored distributions, and reference-class priors named in a scenario."""

from __future__ import annotations

import re

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from sim.engine.realize import Streams
from sim.errors import ScenarioError
from sim.scenario.loader import load_text
from sim.scenario.priors import library
from sim.scenario.schema.distributions import DurationDist, QuantityDist
from tests.helpers import SCENARIOS, STORY, scenario_from

N = 20_000


def duration(spec: dict) -> DurationDist:
    return TypeAdapter(DurationDist).validate_python(spec)


def draws(dist: DurationDist | QuantityDist, seed: int = 3) -> np.ndarray:
    streams = Streams(seed, 0)
    out = []
    for i in range(N):
        risks = [streams.uniform(f"x/{i}/risk/{k}") for k in range(len(dist.risk))]
        out.append(dist.draw(streams.uniform(f"x/{i}"), risks))
    return np.array(out)


def test_a_capped_draw_never_exceeds_its_cap() -> None:
    # Uncapped, this lognormal draws past 2y about 1.5% of the time (and the risk adds 1y).
    dist = duration(
        {
            "lognormal": {"median": "30d", "p90": "270d"},
            "risk": {"p": 0.3, "add": "1y"},
            "max": "2y",
        }
    )
    x = draws(dist)
    assert x.max() == 730.5
    assert (x == 730.5).mean() > 0.01
    # Below the cap the quantiles are unchanged: the median is still the median.
    assert np.median(x) == pytest.approx(
        np.median(
            draws(
                duration(
                    {"lognormal": {"median": "30d", "p90": "270d"}, "risk": {"p": 0.3, "add": "1y"}}
                )
            )
        )
    )
    assert dist.support() == (0.0, 730.5)


@pytest.mark.parametrize(
    "spec",
    [
        {"fixed": "10d", "max": "11d"},
        {"uniform": ["0d", "100d"], "max": "60d"},
        {"triangular": ["0d", "10d", "100d"], "max": "50d"},
        {"pert": ["0d", "10d", "100d"], "max": "50d"},
        {"normal": {"mean": "30d", "sd": "20d"}, "max": "40d"},
        {"risk": {"p": 0.5, "add": "100d"}, "max": "30d"},
    ],
)
def test_every_shape_can_be_capped(spec: dict) -> None:
    cap = float(spec["max"][:-1])
    x = draws(duration(spec))
    assert x.max() <= cap
    assert duration(spec).support()[1] <= cap


def test_quantities_can_be_capped_and_floored() -> None:
    dist = TypeAdapter(QuantityDist).validate_python(
        {"normal": {"mean": 0.5, "sd": 1.0}, "min": 0.0, "max": 1.0}
    )
    x = draws(dist)
    assert x.min() == 0.0
    assert x.max() == 1.0
    assert (x == 0.0).mean() == pytest.approx(0.3085, abs=0.01)  # P(N(0.5, 1) < 0)


def test_a_floor_puts_early_draws_on_it() -> None:
    # A slip that may be early: N(-10d, 20d) floored at 0d is on time with P = Phi(0.5).
    dist = duration({"normal": {"mean": "-10d", "sd": "20d", "min": "-1y"}, "min": "0d"})
    x = draws(dist)
    assert x.min() == 0.0
    assert (x == 0.0).mean() == pytest.approx(0.6915, abs=0.01)
    assert dist.plan() == 0.0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"triangular": ["0d", "30d", "90d"], "max": "30d"},
            "max (the cap, 30d) must be above the plan value 30d",
        ),
        (
            {"lognormal": {"median": "30d", "p90": "90d"}, "max": "2w"},
            "must be above the plan value 30d",
        ),
        ({"uniform": ["0d", "10d"], "min": "8d", "max": "6d"}, "min (8d) must be below max (6d)"),
    ],
)
def test_bad_caps_are_rejected(spec: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        duration(spec)


def test_a_prior_resolves_to_its_distribution() -> None:
    entry = library()["later_building"]["distribution"]
    assert duration({"prior": "later_building"}) == duration(entry)
    # Keys written next to the prior are kept; a cap written there replaces the prior's.
    mine = duration({"prior": "later_building", "shared": "campus", "max": "60d"})
    assert mine.shared == "campus"
    assert mine.max == 60.0
    assert mine.normal == duration(entry).normal
    assert mine.prior is None


def test_a_prior_fills_a_slip_and_its_plan_is_the_floored_mean() -> None:
    # first_phase's fitted mean is early, so its plan slip is 0d: the delivery keeps its date.
    scenario = scenario_from(STORY, deliveries__d__slip={"prior": "first_phase"})
    slip = scenario.deliveries["d"].slip
    assert isinstance(slip, DurationDist)
    assert slip.normal is not None
    assert slip.normal.mean < 0
    assert slip.plan() == 0.0
    assert slip.support()[0] == 0.0


def test_an_unknown_prior_is_located_with_a_suggestion() -> None:
    text = (SCENARIOS / "iren_childress.yaml").read_text()
    text = text.replace(
        "slip: {triangular: [0d, 0d, 60d], risk: {p: 0.1, add: 45d}}",
        "slip: {prior: later_buildings}",
    )
    with pytest.raises(ScenarioError) as exc:
        load_text(text, "x.yaml")
    (problem,) = exc.value.problems
    line = 1 + text[: text.index("slip: {prior: later_buildings}")].count("\n")
    assert (problem.line, problem.path) == (line, "deliveries.dell.slip")
    assert "no prior `later_buildings`" in problem.message
    assert "did you mean `later_building`?" in str(problem)


def test_a_prior_and_a_shape_together_are_an_error() -> None:
    with pytest.raises(ValidationError, match="give a prior or a shape, not both"):
        duration({"prior": "later_building", "pert": ["0d", "1d", "2d"]})
