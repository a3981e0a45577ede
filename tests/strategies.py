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
def sites(draw: st.DrawFn, name: str) -> dict[str, Any]:
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
            construction["start"] = draw(_date(-60, 300))
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


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid scenario: sites, phases, halls, deliveries, crews, both contract kinds."""
    site_names = [f"s{i}" for i in range(draw(st.integers(1, 3)))]
    all_sites = {name: draw(sites(name)) for name in site_names}
    platforms = {
        "rack": {
            "gpus_per_rack": draw(st.sampled_from([8, 72])),
            "it_kw_per_rack": draw(st.integers(20, 150)),
            "cooling": "any",
            "burn_in": draw(_days(0, 14)),
            "fallout": draw(st.sampled_from([0.0, 0.02, 0.3])),
            "rework": draw(_days(0, 30)),
            "failures_per_rack_year": draw(st.sampled_from([0.0, 1.0])),
            "repair": draw(_days(0, 10)),
        }
    }
    kw = platforms["rack"]["it_kw_per_rack"]
    deliveries: dict[str, Any] = {}
    contracts: dict[str, Any] = {}
    for name, site in all_sites.items():
        halls = list(site["halls"])
        colo = halls[:1] if halls and draw(st.booleans()) else []
        rack_halls = [h for h in halls if h not in colo]
        capacity = int(sum(site["halls"][h]["it_mw"] for h in rack_halls) * 1000 // kw)
        if capacity > 0 and draw(st.booleans()):
            racks = draw(st.integers(1, min(capacity, 400)))
            split = draw(st.integers(1, min(3, racks)))
            sizes = [racks // split] * split
            sizes[0] += racks - sum(sizes)
            deliveries[f"d_{name}"] = {
                "platform": "rack",
                "site": name,
                "tranches": [{"date": draw(_date(-30, 400)), "racks": n} for n in sizes],
                "slip": draw(_uncertain_days(0, 60)),
            }
            contracts[f"cloud_{name}"] = {
                "kind": "gpu_cloud",
                "site": name,
                "term": "3y",
                "price_usd_per_gpu_hour": 2.0,
                "tranches": [
                    {"racks": n, "due": draw(_date(0, 500)), "hall": rack_halls[0]} for n in sizes
                ],
            }
        if colo:
            hall = site["halls"][colo[0]]
            contracts[f"lease_{name}"] = {
                "kind": "colocation",
                "site": name,
                "term": "10y",
                "rent_usd_per_mw_year": 1.5e6,
                "escalator": draw(st.sampled_from([0.0, 0.03])),
                "tranches": [{"hall": colo[0], "mw": hall["it_mw"], "due": draw(_date(0, 600))}],
            }
    return {
        "scenario": {
            "name": "fuzz",
            "start": START.isoformat(),
            "end": draw(_date(400, 1500)),
            "step": draw(st.sampled_from(["day", "week", "month"])),
        },
        "sites": all_sites,
        "platforms": platforms,
        "deliveries": deliveries,
        "contracts": contracts,
    }
