"""NPV and IRR: the story's monthly cash flows discounted by hand, the convention's
invariants (step, valuation date), and the figures through `dcsim run` and compare."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.analysis.finance import irr, npv, years_from
from sim.compare import plan_kpis
from sim.runner import run
from tests.helpers import STORY, dcsim, scenario_from

DAILY = 14 * 72 * 1.0 * 24  # 14 racks of 72 GPUs at $1 per GPU-hour: $24,192 a day
CAPEX = {"sites__s__halls__h__capex_usd_per_mw": 1e6}  # $2M over January (2 MW of IT)


def story_npv(rate: float, origin: dt.date) -> float:
    """The story with capex, by hand: $2M spent in January; revenue from 23.5 Feb at
    $24,192 a day. Each month's flow is dated at its end."""
    months = [(dt.date(2026, 1, 31), -2_000_000.0), (dt.date(2026, 2, 28), 5.5 * DAILY)]
    for month in range(3, 13):
        end = dt.date(2026 + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        months.append((end, end.day * DAILY))
    return sum(f / (1 + rate) ** ((d - origin).days / 365) for d, f in months)


def test_the_npv_of_the_story_is_its_monthly_flows_discounted_by_hand() -> None:
    result = run(scenario_from(STORY, **CAPEX))
    finance = result.summary["finance"]
    assert finance["discount_rate"] == 0.10  # the stated default
    assert finance["valuation_date"] == "2026-01-01"  # default: the start
    expected = story_npv(0.10, dt.date(2026, 1, 1))
    assert finance["sites"]["all"]["npv_usd"] == pytest.approx(expected, abs=0.01)
    assert finance["sites"]["s"]["npv_usd"] == finance["sites"]["all"]["npv_usd"]
    # The contract's flows are its revenue only: no capex, so no sign change and no IRR.
    contract = finance["contracts"]["c"]
    assert contract["npv_usd"] == pytest.approx(expected + 2e6 / 1.1 ** (30 / 365), abs=0.01)
    assert contract["irr"] is None
    # The IRR is the rate that zeroes the same NPV.
    rate = finance["sites"]["all"]["irr"]
    assert rate > 0.10
    assert story_npv(rate, dt.date(2026, 1, 1)) == pytest.approx(0.0, abs=0.01)


def test_the_npv_uses_the_scenario_rate() -> None:
    result = run(scenario_from(STORY, **CAPEX, scenario__discount_rate=0.0))
    money = result.summary["money"]["all"]
    assert result.summary["finance"]["sites"]["all"]["npv_usd"] == pytest.approx(
        money["cash_usd"], abs=0.01
    )  # undiscounted: the cash at the end


@pytest.mark.parametrize("step", ["day", "week"])
def test_the_npv_does_not_depend_on_the_timeline_step(step: str) -> None:
    monthly = run(scenario_from(STORY, **CAPEX, scenario__step="month")).summary["finance"]
    other = run(scenario_from(STORY, **CAPEX, scenario__step=step)).summary["finance"]
    assert other == monthly


def test_an_explicit_valuation_date_keeps_the_npv_when_the_start_moves() -> None:
    fixed = {**CAPEX, "scenario__valuation_date": "2026-01-01"}
    here = run(scenario_from(STORY, **fixed)).summary["finance"]
    earlier = run(scenario_from(STORY, **fixed, scenario__start="2025-10-01")).summary["finance"]
    assert earlier["sites"]["all"]["npv_usd"] == pytest.approx(
        here["sites"]["all"]["npv_usd"], abs=0.01
    )
    assert earlier["sites"]["all"]["irr"] == pytest.approx(here["sites"]["all"]["irr"])
    # Without it, the valuation date is the start: three months earlier, discounted more.
    moved = run(scenario_from(STORY, **CAPEX, scenario__start="2025-10-01")).summary["finance"]
    assert moved["sites"]["all"]["npv_usd"] == pytest.approx(
        story_npv(0.10, dt.date(2025, 10, 1)), abs=0.01
    )


def test_irr_of_hand_flows() -> None:
    years = years_from([dt.date(2026, 1, 1), dt.date(2027, 1, 1)], dt.date(2026, 1, 1))
    assert irr(np.array([-100.0, 110.0]), years) == pytest.approx(0.10)
    assert npv(np.array([-100.0, 110.0]), years, 0.10) == pytest.approx(0.0, abs=1e-9)
    assert irr(np.array([100.0, 110.0]), years) is None  # nothing invested
    assert irr(np.array([0.0, 0.0]), years) is None


def test_comparisons_carry_npv_and_irr() -> None:
    kpis = plan_kpis(run(scenario_from(STORY, **CAPEX)).summary)
    assert kpis["c.npv_usd"] == pytest.approx(
        story_npv(0.1, dt.date(2026, 1, 1)) + 2e6 / 1.1 ** (30 / 365), abs=0.01
    )
    assert kpis["npv_usd"] == pytest.approx(story_npv(0.1, dt.date(2026, 1, 1)), abs=0.01)
    assert kpis["irr"] > 0.1


def test_replications_carry_the_npv() -> None:
    result = run(scenario_from(STORY, **CAPEX), replications=2, seed=3)
    assert result.monte_carlo is not None
    reps = result.monte_carlo.replications
    # The story has no distributions: every replication is the plan run.
    plan = result.summary["finance"]
    assert reps["npv_usd"].tolist() == pytest.approx(
        [plan["sites"]["all"]["npv_usd"]] * 2, abs=0.01
    )
    assert reps["c.npv_usd"].tolist() == pytest.approx(
        [plan["contracts"]["c"]["npv_usd"]] * 2, abs=0.01
    )


def write(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(yaml.safe_dump(STORY))
    for key, value in changes.items():
        data["scenario"][key] = value
    data["sites"]["s"]["halls"]["h"]["capex_usd_per_mw"] = 1e6
    path = tmp_path / "story.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_dcsim_run_reports_the_npv_at_the_stated_rate(tmp_path: Path) -> None:
    path = write(tmp_path, discount_rate=0.08, valuation_date="2026-01-31")
    done = dcsim("run", path, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    expected = story_npv(0.08, dt.date(2026, 1, 31))
    assert summary["finance"]["sites"]["all"]["npv_usd"] == pytest.approx(expected, abs=0.01)
    assert f"NPV at 8.0% (valued at 2026-01-31) ${expected / 1e6:,.2f}M" in done.stdout


def test_a_negative_discount_rate_is_a_located_error(tmp_path: Path) -> None:
    done = dcsim("validate", write(tmp_path, discount_rate=-0.05))
    assert done.returncode == 2
    assert "scenario.discount_rate" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_monte_carlo_summary_gives_the_npv_distribution() -> None:
    result = run(scenario_from(STORY, **CAPEX), replications=3, seed=1)
    assert result.monte_carlo is not None
    expected = story_npv(0.10, dt.date(2026, 1, 1))
    portfolio = result.monte_carlo.summary["portfolio"]["npv_usd"]
    assert portfolio["p10"] == pytest.approx(expected, abs=0.01)
    assert portfolio["p90"] == pytest.approx(expected, abs=0.01)
    contract = result.monte_carlo.summary["contracts"]["c"]["npv_usd"]
    assert contract["mean"] == pytest.approx(expected + 2e6 / 1.1 ** (30 / 365), abs=0.01)


def test_brentq_finds_scipys_root_bit_for_bit() -> None:
    """IRR's root finder is a port of SciPy's brentq (so a plan run need not import
    scipy.optimize): on random cash flows, the same rate to the last bit."""
    from scipy.optimize import brentq as scipy_brentq

    from sim.analysis.roots import brentq

    rng = np.random.default_rng(14)
    found = 0
    for _ in range(300):
        n = int(rng.integers(2, 40))
        flows = rng.normal(0, 1e6, n)
        flows[0] = -abs(flows[0]) * rng.uniform(1, 20)
        years = np.sort(rng.uniform(0, 15, n))
        years[0] = 0.0

        def f(rate: float, flows: np.ndarray = flows, years: np.ndarray = years) -> float:
            return float(npv(flows, years, rate))

        lo, hi = -0.99, 100.0
        if f(lo) * f(hi) > 0:
            continue
        found += 1
        ours = brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=500)
        assert ours == scipy_brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=500)
    assert found > 100


def test_brentq_needs_a_sign_change() -> None:
    from sim.analysis.roots import brentq

    with pytest.raises(ValueError, match="different signs"):
        brentq(lambda x: x * x + 1.0, -1.0, 1.0)
    assert brentq(lambda x: x - 0.25, 0.25, 3.0) == 0.25  # a root at an end
