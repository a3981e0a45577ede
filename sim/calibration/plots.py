"""The fit of a prior, drawn: a probability-integral-transform (PIT) plot.

Each record's slip, put through its fitted prior's CDF, should look like a uniform draw: the
records' PIT values, sorted, lie along the diagonal when the prior fits. A range record is a
vertical bar (its slip's CDF from start to end of the range), a censored one a bar from its
censoring point to 1. Values bunched near 0 and 1 mean the spread is too narrow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.figure import Figure

from sim.calibration.fit import POOLED, Fit
from sim.calibration.records import Record


def pit_plot(records: Sequence[Record], fits: Mapping[str, Fit], path: str | Path) -> None:
    """Write the PIT plot of ``records`` under their kinds' priors to ``path`` (PNG)."""
    spans = []
    for record in records:
        fit = fits.get(record.kind, fits[POOLED])
        spans.append((fit.cdf(record.lo), fit.cdf(record.hi), record))
    spans.sort(key=lambda s: (s[0] + s[1]) / 2)
    n = len(spans)
    fig = Figure(figsize=(6, 6), dpi=100)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", label="perfect calibration")
    kinds = sorted({r.kind for r in records})
    colours = {k: f"C{i % 10}" for i, k in enumerate(kinds)}
    seen: set[str] = set()
    for i, (lo, hi, record) in enumerate(spans):
        x = (i + 0.5) / n
        label = record.kind if record.kind not in seen else None
        seen.add(record.kind)
        colour = colours[record.kind]
        if record.exact:
            ax.plot([x], [lo], "o", color=colour, label=label)
        else:
            ax.plot([x, x], [lo, hi], "-", linewidth=4, color=colour, label=label)
        ax.annotate(
            record.id, (x, (lo + hi) / 2), fontsize=7, xytext=(4, 0), textcoords="offset points"
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("uniform quantile (rank of the record)")
    ax.set_ylabel("PIT: the prior's CDF at the record's slip")
    ax.set_title(f"Fit of the priors: {n} records (bars: ranges and censored records)")
    ax.legend(loc="upper left", fontsize=8)
    fig.savefig(path)
