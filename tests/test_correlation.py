"""Partial correlation through weighted common factors (a Gaussian copula on the uniforms):
a correlated pair has the stated rank correlation, inputs without factors draw exactly as
before, and the weights are checked."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from sim.engine.realize import Streams, realize
from tests.helpers import STORY, scenario_from

BUILD = "sites.s.halls.h.construction.duration"
COMMISSION = "sites.s.halls.h.commissioning"


def _draws(build: dict, commission: dict, n: int = 3000) -> dict[str, np.ndarray]:
    scenario = scenario_from(
        STORY,
        sites__s__halls__h__construction__duration=build,
        sites__s__halls__h__commissioning=commission,
    )
    rows = [realize(scenario, Streams(11, i))[1] for i in range(n)]
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


@pytest.mark.parametrize(
    ("a", "b", "rho"),
    [
        ({"campus": 0.6, "texas": 0.3}, {"campus": 0.6, "texas": 0.3}, 0.45),  # one campus
        ({"campus": 0.6, "texas": 0.3}, {"other_campus": 0.6, "texas": 0.3}, 0.09),  # one state
        ({"campus": 0.9}, {"campus": -0.5}, -0.45),
    ],
)
def test_a_correlated_pair_has_the_stated_rank_correlation(a: dict, b: dict, rho: float) -> None:
    draws = _draws(
        {"uniform": ["20d", "40d"], "correlation": {"factors": a}},
        {"lognormal": {"median": "10d", "p90": "30d"}, "correlation": {"factors": b}},
    )
    stated = 6 / math.pi * math.asin(rho / 2)  # Spearman of a Gaussian copula
    assert _spearman(draws[BUILD], draws[COMMISSION]) == pytest.approx(stated, abs=0.04)
    # Each input keeps its own distribution: the copula's output is still uniform.
    assert np.median(draws[BUILD]) == pytest.approx(30, abs=0.7)
    assert np.median(draws[COMMISSION]) == pytest.approx(10, abs=0.6)
    assert "factor.campus" in draws  # the factor is recorded, so it can be a driver


def test_inputs_without_factors_draw_exactly_as_before() -> None:
    plain = {"uniform": ["20d", "40d"]}
    with_factor = _draws(plain, {"uniform": ["5d", "15d"], "correlation": {"factors": {"f": 1}}})
    without = _draws(plain, {"uniform": ["5d", "15d"]})
    assert np.array_equal(with_factor[BUILD], without[BUILD])
    assert _spearman(with_factor[BUILD], with_factor[COMMISSION]) == pytest.approx(0, abs=0.05)


def test_the_squared_weights_sum_to_at_most_one() -> None:
    bad = {"uniform": ["20d", "40d"], "correlation": {"factors": {"a": 0.8, "b": 0.7}}}
    with pytest.raises(ValidationError, match="sum to at most 1"):
        scenario_from(STORY, sites__s__halls__h__construction__duration=bad)
    with pytest.raises(ValidationError):
        scenario_from(
            STORY,
            sites__s__halls__h__construction__duration={
                "uniform": ["20d", "40d"],
                "correlation": {"factors": {"a": 1.5}},
            },
        )
