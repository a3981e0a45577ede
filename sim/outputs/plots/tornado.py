"""The tornado in days and dollars: per outcome, how far each kept input moves its P50 from
the input's P10 to its P90 (`sim.montecarlo.tornado`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.outputs.plots.bands import short_labels
from sim.outputs.plots.style import figure, new_figure, panel_title, save

_LATER, _EARLIER = "#d62728", "#1f77b4"
_TOP = 8


def plot_tornado(tornado: pd.DataFrame, title: str, path: Path) -> Path:
    """One panel per outcome: the swing of each kept input, largest on top."""
    kpis = [str(k) for k in tornado["kpi"].unique()]
    if not kpis:
        fig, ax = figure(title, height=4)
        ax.text(0.5, 0.5, "no input moves an outcome beyond the noise rule", ha="center")
        ax.set_axis_off()
        save(fig, path)
        return path
    inputs = sorted({str(i) for i in tornado["input"]})
    label = dict(zip(inputs, short_labels(inputs), strict=True))
    bars = [min(_TOP, int((tornado["kpi"] == k).sum())) for k in kpis]
    fig = new_figure(13, 1.4 + sum(1.1 + 0.32 * b for b in bars), left=0.22)
    fig.suptitle(title, fontsize=14, fontweight="bold")
    axes = fig.subplots(len(kpis), 1, squeeze=False, height_ratios=[b + 3.5 for b in bars])
    for ax, kpi in zip(axes[:, 0], kpis, strict=True):
        rows = tornado[tornado["kpi"] == kpi].head(_TOP)
        dollars = rows["unit"].iloc[0] == "usd"
        swing = rows["swing"].to_numpy(dtype=float) / (1e6 if dollars else 1.0)
        y = np.arange(len(rows))
        ax.barh(y, swing, color=[_LATER if s > 0 else _EARLIER for s in swing], height=0.6)
        unit = "USD million" if dollars else "days"
        for yi, s in zip(y, swing, strict=True):
            ax.text(
                s,
                yi,
                f" {s:+,.1f} " if dollars else f" {s:+,.0f} ",
                va="center",
                ha="left" if s >= 0 else "right",
                fontsize=8,
            )
        ax.set_yticks(y, [label[str(s)] for s in rows["input"]], fontsize=9)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.axvline(0, color="#4c4c4c", linewidth=1)
        ax.set_xlabel(f"P50 of {kpi} with the input at its P90 minus at its P10 ({unit})")
        panel_title(ax, kpi)
        ax.grid(True, axis="x", alpha=0.3)
        lim = float(np.abs(swing).max(initial=1.0)) * 1.25
        ax.set_xlim(-lim, lim)
    save(fig, path)
    return path
