"""Generate synthetic portfolios for scaling benchmarks: N identical GPU-cloud sites.

    python bench/synthetic.py SITES [--gpus-per-rack 72] > portfolio.yaml

Each site: a 200 MW grid connection, two 75 MW liquid-cooled halls, 1,000 racks of 150 kW
in four tranches, ten crews and a GPU-cloud contract; so 1,000 sites are 200 GW and a
million racks. Dates are staggered so sites do not move in lockstep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys


def portfolio(sites: int, gpus_per_rack: int = 72) -> str:
    start = dt.date(2026, 1, 1)
    lines = [
        "scenario:",
        f"  name: synthetic_{sites}",
        f"  description: {sites} identical GPU-cloud sites for scaling benchmarks.",
        "  start: 2026-01-01",
        "  end: 2030-12-31",
        "  step: week",
        "platforms:",
        f"  rack: {{gpus_per_rack: {gpus_per_rack}, it_kw_per_rack: 150, cooling: liquid, "
        "burn_in: 7d, fallout: 0.02, rework: 14d, failures_per_rack_year: 1, repair: 2d}",
        "sites:",
    ]
    deliveries = ["deliveries:"]
    contracts = ["contracts:"]
    for i in range(sites):
        shift = dt.timedelta(days=(i * 7) % 180)
        day = (start + shift).isoformat()
        lines += [
            f"  s{i}:",
            "    power_price_usd_per_mwh: 32",
            f"    grid: [{{name: g, mw: 200, energized: {day}}}]",
            "    crews: {count: 10, racks_per_week: 10}",
            "    halls:",
            f"      a: {{it_mw: 75, gross_mw: 100, construction: {{start: {day}, duration: 8mo}}, "
            "commissioning: 8w}",
            "      b: {it_mw: 75, gross_mw: 100, construction: {after: a, duration: 6mo}, "
            "commissioning: 8w}",
        ]
        tranches = ", ".join(
            f"{{date: {(start + shift + dt.timedelta(days=240 + 60 * k)).isoformat()}, racks: 250}}"
            for k in range(4)
        )
        deliveries.append(f"  d{i}: {{platform: rack, site: s{i}, tranches: [{tranches}]}}")
        dues = ", ".join(
            f"{{racks: 500, hall: {h}, due: {(start + shift + dt.timedelta(days=d)).isoformat()}}}"
            for h, d in (("a", 400), ("b", 600))
        )
        contracts.append(
            f"  c{i}: {{kind: gpu_cloud, site: s{i}, price_usd_per_gpu_hour: 2.5, "
            f"term: 3y, tranches: [{dues}]}}"
        )
    return "\n".join(lines + deliveries + contracts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", type=int)
    parser.add_argument("--gpus-per-rack", type=int, default=72)
    args = parser.parse_args()
    sys.stdout.write(portfolio(args.sites, args.gpus_per_rack))


if __name__ == "__main__":
    main()
