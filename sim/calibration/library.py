"""The shipped prior library: fitted from the reference-class records and written as YAML
for the scenario loader. Regenerate it with

    python -m sim.calibration.library

(a test fails when the shipped file differs from what the records give).

A prior in a scenario fills a `slip` or `delay`, which cannot be negative, so each prior is
its fitted normal floored at `0d` (an early milestone counts as on time: the probability of
being early sits on zero) and capped three standard deviations above its mean (at least one
day), where a normal has 0.13% of its weight left. The normal's own lower bound sits five
standard deviations below the mean, so it truncates nothing that the floor does not.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sim.calibration.fit import POOLED, Fit, fit_priors
from sim.calibration.records import SHIPPED, Records, read_records
from sim.scenario.priors import LIBRARY

DESCRIPTIONS = {
    POOLED: "any comparable build-out milestone (every record pooled)",
    "first_phase": "a first phase or first building on an energized site, built by the owner",
    "later_building": "a later or larger building on a campus already under way",
    "third_party": "a building delivered by a third-party developer",
    "grid_interconnect": "a grid interconnect (substation energized) with a named month",
}


def distribution(fit: Fit) -> dict[str, Any]:
    """The scenario distribution of a fitted prior (whole days)."""
    mean, sd = round(fit.mean), max(1, round(fit.sd))
    return {
        "normal": {
            "mean": f"{mean}d",
            "sd": f"{sd}d",
            "min": f"{min(0, math.floor(mean - 5 * sd))}d",
        },
        "min": "0d",
        "max": f"{max(1, math.ceil(mean + 3 * sd))}d",
    }


def entries(fits: Mapping[str, Fit]) -> dict[str, dict[str, Any]]:
    """The library's entries: description, record counts, fitted parameters, distribution."""
    out = {}
    for name in sorted(fits):
        fit = fits[name]
        out[name] = {
            "description": DESCRIPTIONS.get(name, f"records of kind {name}"),
            "records": fit.records,
            "spread_from": fit.spread_from,
            "pooled": fit.pooled,
            "fitted": {"mean_days": round(fit.mean, 1), "sd_days": round(fit.sd, 1)},
            "distribution": distribution(fit),
        }
    return out


def render(records: Records, source: str) -> str:
    """The YAML text of the library fitted to ``records``."""
    header = (
        f"# Reference-class priors fitted to {source} by `python -m sim.calibration.library`;\n"
        "# do not edit by hand (docs/calibration.md explains the records and the fit).\n"
    )
    if records.skipped:
        header += (
            "# Not fitted (not a dated milestone): "
            + ", ".join(i for i, _ in records.skipped)
            + "\n"
        )
    body = {"priors": entries(fit_priors(records.dated))}
    return header + yaml.safe_dump(body, sort_keys=False, default_flow_style=None, width=100)


def shipped_text() -> str:
    """What the shipped library should contain."""
    return render(read_records(SHIPPED), "sim/calibration/data/reference_class.csv")


def main() -> None:
    Path(LIBRARY).write_text(shipped_text(), encoding="utf-8")
    print(f"wrote {LIBRARY.name}", file=sys.stderr)


if __name__ == "__main__":
    main()
