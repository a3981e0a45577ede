"""The key of the portfolio's rows: `site` = "all" in the timeline and the percentile bands,
beside one row per site.

A module of its own, importing nothing, so that code which only reads the tables (the chart
workers, `sim.outputs.plots`) need not load the analysis that builds them."""

from __future__ import annotations

PORTFOLIO = "all"
