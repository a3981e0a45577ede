"""What the shipped seed scenarios must show (IREN Childress, Cipher, the portfolio)."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.analysis.timeline import PORTFOLIO
from sim.engine.vocabulary import Milestone
from tests.helpers import SCENARIOS


@pytest.fixture(scope="module")
def iren() -> sim.Result:
    return sim.run(SCENARIOS / "iren_childress.yaml")


@pytest.fixture(scope="module")
def cipher() -> sim.Result:
    return sim.run(SCENARIOS / "cipher.yaml")


@pytest.fixture(scope="module")
def portfolio() -> sim.Result:
    return sim.run(SCENARIOS / "portfolio.yaml")


def site_rows(result: sim.Result, site: str) -> pd.DataFrame:
    tl = result.timeline
    return tl[tl["site"] == site].set_index("date")


def test_iren_microsoft_run_rate_at_full_delivery_is_1_94_billion(iren: sim.Result) -> None:
    microsoft = iren.summary["contracts"]["microsoft"]
    assert microsoft["units_delivered"] == 1056
    assert microsoft["run_rate_usd_per_year"] == pytest.approx(1.94e9, rel=0.02)


def test_iren_full_delivery_has_about_76000_gpus_and_200_mw_of_ai_load(iren: sim.Result) -> None:
    end = site_rows(iren, "childress").iloc[-1]
    assert end["gpus_online"] == pytest.approx(76_000, rel=0.02)
    assert end["racks_installed"] == 1056
    # 1,056 racks at 189 kW of allocated critical IT each (not the rack's own 135 kW),
    # less the few racks out for repair.
    assert end["ai_it_mw"] == pytest.approx(200, rel=0.02)
    assert end["ready_it_mw"] == 200


def test_iren_mining_falls_as_horizons_take_power(iren: sim.Result) -> None:
    site = site_rows(iren, "childress")
    mining = site["mining_mw"]
    assert mining.iloc[0] == pytest.approx(450)  # 30 EH/s at 15 J/TH
    assert mining.iloc[-1] < mining.iloc[0]
    assert (mining.diff().dropna() <= 1e-9).all()  # never grows back
    decommissioned = iren.events[iren.events["milestone"] == Milestone.DECOMMISSIONED]
    reserved = iren.events[iren.events["milestone"] == Milestone.POWER_RESERVED]
    assert set(decommissioned["date"]) <= set(reserved["date"])
    assert (site["facility_mw"] <= 750 + 1e-9).all()
    assert site["grid_mw"].max() == 750


def test_iren_prepayment_is_received_then_credited_back(iren: sim.Result) -> None:
    rows = iren.contracts[iren.contracts["contract"] == "microsoft"].set_index("date")
    cumulative = rows["prepayment_usd"].cumsum()
    # 20% of $9.7B is received before the tranches are due, in 2026 ...
    assert cumulative.max() == pytest.approx(0.2 * 9.7e9, rel=1e-6)
    # ... and credited back from month 25 of service, almost all of it by the end of 2031.
    assert cumulative.iloc[-1] < 0.02 * 9.7e9
    assert (rows["prepayment_usd"][rows.index < pd.Timestamp("2028-01-01")] >= 0).all()


def test_iren_money_columns_add_up_to_cash(iren: sim.Result) -> None:
    site = site_rows(iren, "childress")
    net = (
        site["revenue_usd"]
        - site["late_credits_usd"]
        + site["prepayment_usd"]
        + site["mining_revenue_usd"]
        - site["power_cost_usd"]
        - site["capex_usd"]
    )
    assert site["cash_usd"].iloc[-1] == pytest.approx(net.sum())
    # Equipment: 1,056 racks at $5.49M, all paid within the horizon. Halls: 4 x 50 MW x $10M
    # spent evenly over construction. What Horizons 1 and 2 spent before the horizon starts on
    # 2025-11-01 (273 of 304.375 days, and 78 of 273.9375 days: Horizon 2 starts 14 days after
    # 2025-08-01, the plan value of its later_building slip prior) is in the first row.
    before = 500e6 * 273 / (10 * 365.25 / 12) + 500e6 * 78 / (9 * 365.25 / 12)
    assert site["capex_usd"].sum() == pytest.approx(1056 * 5.49e6 + 200 * 10e6, abs=0.01)
    assert site["capex_usd"].iloc[0] > before
    # Mining revenue: 30 EH/s x 1,000 PH/EH x $40 = $1.2M a day while the fleet runs whole.
    assert site["mining_revenue_usd"].iloc[1] == pytest.approx(7 * 1.2e6, rel=1e-6)
    assert iren.summary["money"]["childress"]["mining_revenue_given_up_usd"] > 0


def test_cipher_aws_rent_starts_in_august_2026(cipher: sim.Result) -> None:
    rows = cipher.contracts[cipher.contracts["contract"] == "aws"].set_index("date")
    earning = rows[rows["revenue_usd"] > 0]
    first = earning.index[0]
    assert (first.year, first.month) in {(2026, 8), (2026, 7)}  # the week that holds Aug 1
    assert rows.loc[rows.index < pd.Timestamp("2026-07-26"), "revenue_usd"].sum() == 0


def test_cipher_aws_first_year_run_rate_matches_the_contract(cipher: sim.Result) -> None:
    aws = cipher.summary["contracts"]["aws"]
    flat = 5.5e9 / 15
    escalated_years = sum(1.03**y for y in range(15))
    # $5.5B over 15 years with a 3% escalator: year one earns less than the flat average,
    # and the escalated years add back to $5.5B.
    assert aws["run_rate_usd_per_year"] * escalated_years == pytest.approx(5.5e9, rel=0.01)
    assert aws["run_rate_usd_per_year"] < flat


def test_cipher_barber_lake_delivers_168_mw_by_september_30(cipher: sim.Result) -> None:
    tranche = cipher.summary["contracts"]["fluidstack_1"]["tranches"][0]
    assert tranche["units"] == 168
    assert tranche["delivered"] <= "2026-09-30"
    assert tranche["on_time"]


def test_cipher_mining_winds_down_where_sites_convert(cipher: sim.Result) -> None:
    black_pearl = site_rows(cipher, "black_pearl")["mining_mw"]
    assert black_pearl.iloc[0] > 0
    assert black_pearl.iloc[-1] == pytest.approx(0, abs=1e-6)
    odessa = site_rows(cipher, "odessa")["mining_mw"]
    assert odessa.iloc[-1] == pytest.approx(odessa.iloc[0])


def test_colchis_is_capacity_available_to_sell(cipher: sim.Result) -> None:
    assert cipher.summary["unreserved_grid_mw"]["colchis"] == 1000
    assert site_rows(cipher, "colchis")["revenue_usd"].sum() == 0


SUMMED = [
    "grid_mw",
    "ready_it_mw",
    "ai_it_mw",
    "mining_mw",
    "facility_mw",
    "gpus_online",
    "revenue_usd",
    "mining_revenue_usd",
    "power_cost_usd",
    "capex_usd",
    "cash_usd",
]


def test_portfolio_is_the_sum_of_its_sites_and_of_the_two_companies(
    portfolio: sim.Result, iren: sim.Result, cipher: sim.Result
) -> None:
    tl = portfolio.timeline
    total = tl[tl["site"] == PORTFOLIO].set_index("date")[SUMMED]
    by_sites = tl[tl["site"] != PORTFOLIO].groupby("date")[SUMMED].sum()
    pd.testing.assert_frame_equal(total, by_sites.loc[total.index], rtol=1e-9)
    companies = site_rows(iren, PORTFOLIO)[SUMMED] + site_rows(cipher, PORTFOLIO)[SUMMED]
    pd.testing.assert_frame_equal(total, companies, rtol=1e-9)
    for name in ["microsoft", "aws", "fluidstack_1"]:
        company = iren if name == "microsoft" else cipher
        mine, theirs = portfolio.summary["contracts"][name], company.summary["contracts"][name]
        assert mine.keys() == theirs.keys()
        for key, value in mine.items():  # equal, to the last few float bits of the sums
            expected = (
                pytest.approx(theirs[key], rel=1e-12) if isinstance(value, float) else theirs[key]
            )
            assert value == expected, key
