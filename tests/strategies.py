"""Hypothesis strategies that generate random valid scenarios (as plain dicts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

START = dt.date(2026, 1, 1)


def _days(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda d: f"{d}d")


@st.composite
def _uncertain_days(draw: st.DrawFn, lo: int, hi: int) -> Any:
    """A fixed duration, or a distribution of them (PERT, uniform, lognormal, risk)."""
    kind = draw(st.sampled_from(["fixed", "fixed", "pert", "uniform", "lognormal", "risk"]))
    a, m, b = sorted(draw(st.integers(lo, hi)) for _ in range(3))
    if kind == "pert":
        return {"pert": [f"{a}d", f"{m}d", f"{b}d"]}
    if kind == "uniform":
        return {"uniform": [f"{a}d", f"{b}d"]}
    if kind == "lognormal" and 0 < m < b:
        return {"lognormal": {"median": f"{m}d", "p90": f"{b}d"}}
    if kind == "risk":
        return {
            "fixed": f"{a}d",
            "risk": {"p": draw(st.sampled_from([0.1, 0.5])), "add": f"{b - a}d"},
        }
    return f"{m}d"


def _date(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda d: (START + dt.timedelta(days=d)).isoformat())


@st.composite
def sites(draw: st.DrawFn, name: str, end: int = 1500) -> dict[str, Any]:
    """A site; some halls may start building after the horizon ends (day ``end``)."""
    n_phases = draw(st.integers(1, 3))
    grid = [{"name": "p0", "mw": draw(st.integers(5, 60)), "energized": draw(_date(-100, 200))}]
    for i in range(1, n_phases):
        if draw(st.booleans()):
            grid.append(
                {
                    "name": f"p{i}",
                    "mw": draw(st.integers(1, 60)),
                    "after": f"p{draw(st.integers(0, i - 1))}",
                    "lead_time": draw(_days(0, 300)),
                }
            )
        else:
            grid.append(
                {
                    "name": f"p{i}",
                    "mw": draw(st.integers(1, 60)),
                    "energized": draw(_date(-50, 500)),
                }
            )
    total = sum(p["mw"] for p in grid)
    halls: dict[str, Any] = {}
    for i in range(draw(st.integers(0, 3))):
        it = draw(st.floats(0.5, max(0.6, total / 1.6), allow_nan=False))
        construction: dict[str, Any] = {"duration": draw(_uncertain_days(0, 300))}
        if i and draw(st.booleans()):
            construction.update(after=f"h{draw(st.integers(0, i - 1))}", lag=draw(_days(0, 60)))
        else:
            construction["start"] = draw(_date(-60, draw(st.sampled_from([300, end + 60]))))
        halls[f"h{i}"] = {
            "it_mw": round(it, 3),
            "gross_mw": round(it * draw(st.floats(1.0, 1.5)), 3) + 0.001,
            "cooling": draw(st.sampled_from(["liquid", "air"])),
            "construction": construction,
            "commissioning": draw(_uncertain_days(0, 90)),
        }
    site: dict[str, Any] = {
        "grid": grid,
        "halls": halls,
        "crews": {"count": draw(st.integers(1, 4)), "racks_per_week": draw(st.integers(1, 20))},
    }
    if draw(st.booleans()):
        site["mining"] = {
            "mw": draw(st.integers(1, 80)),
            "j_per_th": 15,
            "pue": draw(st.floats(1.0, 1.2)),
            "hashprice_usd_per_ph_day": 40,
        }
    return site


PLATFORMS = ("rack", "liquid_rack")
"""Two platforms, so a site can take several: one for any hall, one for liquid halls only."""


@st.composite
def _platform(draw: st.DrawFn, cooling: str) -> dict[str, Any]:
    return {
        "gpus_per_rack": draw(st.sampled_from([8, 36, 72])),
        "it_kw_per_rack": draw(st.integers(20, 150)),
        "cooling": cooling,
        "burn_in": draw(_days(0, 14)),
        "fallout": draw(st.sampled_from([0.0, 0.02, 0.3])),
        "rework": draw(_days(0, 30)),
        "failures_per_rack_year": draw(st.sampled_from([0.0, 1.0])),
        "repair": draw(_days(0, 10)),
    }


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid scenario: sites, phases, halls, deliveries, crews, both contract kinds.

    It reaches the corners planners meet: deliveries dated before the start, halls built after
    the horizon, several platforms at one site, contracts that are never complete in the
    horizon (more units due than delivered), late-delivery credits, tranches that name
    different halls or none.
    """
    end = draw(st.integers(400, 1500))
    site_names = [f"s{i}" for i in range(draw(st.integers(1, 3)))]
    all_sites = {name: draw(sites(name, end)) for name in site_names}
    platforms = {"rack": draw(_platform("any")), "liquid_rack": draw(_platform("liquid"))}
    deliveries: dict[str, Any] = {}
    contracts: dict[str, Any] = {}
    for name, site in all_sites.items():
        halls = list(site["halls"])
        colo = halls[:1] if halls and draw(st.booleans()) else []
        rack_halls = [h for h in halls if h not in colo]
        used = draw(st.lists(st.sampled_from(PLATFORMS), min_size=1, max_size=2, unique=True))
        due: list[dict[str, Any]] = []
        for platform in used:
            kw = platforms[platform]["it_kw_per_rack"]
            fits = [
                h
                for h in rack_halls
                if platform == "rack" or site["halls"][h]["cooling"] == "liquid"
            ]
            capacity = int(sum(site["halls"][h]["it_mw"] for h in fits) * 1000 // kw)
            if capacity <= 0 or not draw(st.booleans()):
                continue
            racks = draw(st.integers(1, min(capacity, 400)))
            split = draw(st.integers(1, min(3, racks)))
            sizes = [racks // split] * split
            sizes[0] += racks - sum(sizes)
            deliveries[f"d_{name}_{platform}"] = {
                "platform": platform,
                "site": name,
                "tranches": [{"date": draw(_date(-200, 400)), "racks": n} for n in sizes],
                "slip": draw(_uncertain_days(0, 60)),
            }
            for n in sizes:
                # No hall, or one of the halls this platform fits: a contract's tranches
                # either all name halls or none (validation wants each hall to serve one).
                due.append(
                    {"racks": n, "due": draw(_date(0, 500)), "hall": draw(st.sampled_from(fits))}
                )
        if due:
            if draw(st.booleans()):  # never complete: more due than will ever be delivered
                due.append(
                    {
                        "racks": draw(st.integers(1, 50)),
                        "due": draw(_date(0, 500)),
                        "hall": due[0]["hall"],
                    }
                )
            if draw(st.booleans()):
                for tranche in due:
                    del tranche["hall"]
            contracts[f"cloud_{name}"] = {
                "kind": "gpu_cloud",
                "site": name,
                "term": "3y",
                "price_usd_per_gpu_hour": 2.0,
                "late_credit_usd_per_unit_day": draw(st.sampled_from([0.0, 0.0, 150.0])),
                "tranches": due,
            }
        if colo:
            hall = site["halls"][colo[0]]
            contracts[f"lease_{name}"] = {
                "kind": "colocation",
                "site": name,
                "term": "10y",
                "rent_usd_per_mw_year": 1.5e6,
                "escalator": draw(st.sampled_from([0.0, 0.03])),
                "late_credit_usd_per_unit_day": draw(st.sampled_from([0.0, 0.0, 500.0])),
                "tranches": [{"hall": colo[0], "mw": hall["it_mw"], "due": draw(_date(0, 600))}],
            }
    return {
        "scenario": {
            "name": "fuzz",
            "start": START.isoformat(),
            "end": (START + dt.timedelta(days=end)).isoformat(),
            "step": draw(st.sampled_from(["day", "week", "month"])),
        },
        "sites": all_sites,
        "platforms": platforms,
        "deliveries": deliveries,
        "contracts": contracts,
    }
