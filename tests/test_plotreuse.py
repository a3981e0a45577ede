"""Run plots drawn into reused figures come out exactly as in new ones, and as RGB PNGs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.image import imread
from PIL import Image

import sim
from sim.outputs.plots import run as run_plots
from sim.outputs.plots.style import Figures
from tests.helpers import SCENARIOS


def test_reused_figures_draw_the_same_pixels_as_new_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cipher's status update has every kind of chart in one run: dashboards with data-date
    # marks, GPU-less sites drawn against colocation MW, a site (Colchis) whose contract
    # panel has no data at all (the axes' default view must come back), transitions with
    # and without mining, and the revenue chart on the default colour cycle.
    jobs: list[run_plots.Job] = []
    monkeypatch.setattr(run_plots, "draw_all", jobs.extend)
    result = sim.run(SCENARIOS / "cipher_2026-06-30.yaml")
    run_plots.plot_run(result, tmp_path / "fresh")
    run_plots.plot_run(result, tmp_path / "reused")
    fresh, reused = jobs[: len(jobs) // 2], jobs[len(jobs) // 2 :]
    kinds = {function.__name__ for function, _ in fresh}
    assert kinds == {"_dashboard", "_transition", "_revenue"}
    for function, args in fresh:
        function(Figures(), *args)  # a new figure for every chart
    kept = Figures()
    for function, args in reused:
        function(kept, *args)  # one figure per shape for every chart, in the run's order
    names = sorted(p.name for p in (tmp_path / "fresh").iterdir())
    assert len(names) == len(jobs) // 2 == 12
    assert names == sorted(p.name for p in (tmp_path / "reused").iterdir())
    for name in names:
        new, again = (imread(tmp_path / side / name) for side in ("fresh", "reused"))
        assert new.shape == again.shape, name
        assert new.shape[1:] == (1040, 3), name  # 13 inches at 80 dpi, RGB
        assert np.array_equal(new, again), name


def test_charts_are_opaque_rgb_pngs_at_the_figure_resolution(tmp_path: Path) -> None:
    paths = run_plots.plot_run(sim.run(SCENARIOS / "example.yaml"), tmp_path)
    assert len(paths) == 6  # two sites: a dashboard and a transition each; portfolio; revenue
    for path in paths:
        with Image.open(path) as image:
            info: dict[str, Any] = dict(image.info)
            assert image.mode == "RGB", path.name
            assert image.width == 1040, path.name
            assert round(info["dpi"][0]) == 80, path.name
