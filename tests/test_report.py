"""The HTML report: self-contained, complete, and rendered by a real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

import sim
from sim.compare import compare
from sim.outputs.files import write_comparison
from sim.scenario.loader import load_all
from tests.helpers import SCENARIOS


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def render(page: Path, tmp_path: Path) -> tuple[list[str], np.ndarray]:
    """Open ``page`` in headless Chromium: its console messages and a screenshot."""
    shot = tmp_path / f"{page.stem}.png"
    result = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,2400",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert shot.exists(), result.stderr[-2000:]
    return console, imread(shot)


def drawn_share(image: np.ndarray) -> float:
    """Share of pixels that are not (near) white."""
    return float((image[..., :3].mean(axis=2) < 0.9).mean())


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = sim.run(SCENARIOS / "example.yaml", replications=6, seed=2)
    return sim.write_run(result, tmp_path_factory.mktemp("report") / "example")


def test_the_report_is_self_contained_and_complete(run_folder: Path) -> None:
    page = (run_folder / "report.html").read_text()
    assert not re.search(r"(src|href)=['\"]?https?://", page)
    assert "<script" not in page
    images = re.findall(r'src="data:image/png;base64,', page)
    assert len(images) == len(list((run_folder / "plots").glob("*.png")))
    for heading in [
        "Contract tranches",
        "Portfolio",
        "On-time probabilities",
        "What limited the ramp",
        "Plots",
        "Assumptions",
    ]:
        assert f"<h2>{heading}" in page, heading
    assert "acme_cloud" in page


def test_the_report_renders_in_chromium_without_console_errors(
    run_folder: Path, tmp_path: Path
) -> None:
    console, image = render(run_folder / "report.html", tmp_path)
    assert console == []
    assert drawn_share(image) > 0.02  # tables and charts (a blank page draws < 1%)


def test_the_browser_check_catches_a_broken_page(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<html><body><p>x</p><script>undefinedFunction();</script></body></html>")
    console, image = render(page, tmp_path)
    assert any("undefinedFunction is not defined" in line for line in console)
    assert drawn_share(image) < 0.01


def test_the_comparison_report_renders(tmp_path: Path) -> None:
    runs = load_all(SCENARIOS / "cipher.yaml")
    folder = write_comparison(
        compare({"base": runs[None], "aws_phase_2_early": runs["aws_phase_2_early"]}),
        tmp_path / "cmp",
    )
    page = (folder / "report.html").read_text()
    assert "sites.black_pearl.halls.aws_phase_2.construction.start" in page
    console, image = render(folder / "report.html", tmp_path)
    assert console == []
    assert drawn_share(image) > 0.02
