"""What a person reads: the report's headline (rendered by headless Chromium), labels,
plurals, plots of sites without mining, and the spreadsheet export through `dcsim run`."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

import sim
from sim.outputs.plots import run as run_plots
from tests.helpers import STORY, dcsim, scenario_from

HEADLINE = (
    "1.4 MW for Acme GPU cloud: plan 2026-02-27, P50 2026-02-27, P80 2026-02-27; 100% chance "
    "tranche 1 meets 2026-03-01; the constraint that binds most is hall (2 of 12 months)."
)
"""The story: 14 racks of 100 kW; hall ready 10 Feb, one crew installs a lot of 7 racks a
week, 3 days of burn-in: all online 27 Feb, due 1 Mar. With no distributions every
replication is the plan. January and February wait on the hall."""


def story_file(folder: Path, **labels: str) -> Path:
    data: dict[str, Any] = yaml.safe_load(yaml.safe_dump(STORY))
    data["contracts"]["c"]["label"] = "Acme GPU cloud"
    data["sites"]["s"]["label"] = labels.get("site", "North campus")
    data["sites"]["s"]["halls"]["h"]["label"] = "Hall A"
    data["contracts"]["c"]["tranches"][0]["hall"] = "h"
    data["sites"]["s"]["halls"]["h"]["capex_usd_per_mw"] = 1e6
    path = folder / "story.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def chromium_dom(page: Path, tmp_path: Path) -> str:
    """The page as headless Chromium parsed and laid it out."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    done = subprocess.run(
        [
            found,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_report_opens_with_the_headline_in_chromium(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = dcsim("run", story_file(tmp_path), "-n", "2", "--out", out)
    assert done.returncode == 0, done.stderr
    dom = chromium_dom(out / "report.html", tmp_path)
    body = dom[dom.index("<body>") :]
    first = body.index('<p class="headline">')
    assert body[first:].startswith(f'<p class="headline">{HEADLINE}</p>')
    assert body.index("<h1>") < first < body.index("<h2>")
    assert "1 site, 10 MW of grid interconnect, 1 contract;" in dom  # not "1 sites"
    assert "<td>Acme GPU cloud</td>" in dom  # labels name the contract and the site
    assert "<td>North campus</td>" in dom
    assert "<td>Hall A</td>" in dom


def test_the_headline_without_replications_states_the_plan() -> None:
    from sim.outputs.headline import headline

    result = sim.run(scenario_from(STORY))
    assert headline(result) == (
        "1.4 MW for c: plan 2026-02-27; tranche 1 due 2026-03-01 is delivered 2026-02-27; "
        "the constraint that binds most is hall (2 of 12 months)."
    )


def test_labels_and_a_site_without_mining_in_the_plots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.scenario.loader import load_file

    drawn: list[tuple[Any, ...]] = []
    monkeypatch.setattr(run_plots, "draw_all", lambda jobs: drawn.extend(a for _, a in jobs))
    result = sim.run(load_file(story_file(tmp_path)))
    run_plots.plot_run(result, tmp_path / "plots")
    titles = [next(a for a in args if isinstance(a, str)) for args in drawn]
    assert "story: site North campus" in titles
    assert "story: site North campus, grid MW by use" in titles  # no mining: no "from mining"
    assert not any("from mining to AI" in t for t in titles)


def test_a_mining_site_still_goes_from_mining_to_ai(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import SCENARIOS

    drawn: list[tuple[Any, ...]] = []
    monkeypatch.setattr(run_plots, "draw_all", lambda jobs: drawn.extend(a for _, a in jobs))
    run_plots.plot_run(sim.run(SCENARIOS / "iren_childress.yaml"), tmp_path / "plots")
    assert any(str(a[-2]).endswith("site childress, from mining to AI") for a in drawn)


def test_dcsim_run_excel_writes_one_workbook_that_reconciles(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "out"
    done = dcsim("run", story_file(tmp_path), "--excel", "-n", "2", "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    book = load_workbook(out / "story.xlsx")
    assert book.sheetnames == ["Summary", "Tranches", "North campus", "portfolio"]
    summary = [row for row in book["Summary"].iter_rows(values_only=True)]
    assert summary[0][0] == HEADLINE
    npv = yaml.safe_load((out / "summary.json").read_text())["finance"]["sites"]["all"]
    contracts = summary[summary.index(next(r for r in summary if r[0] == "contract")) + 1]
    assert contracts[:6] == (
        "c",
        "Acme GPU cloud",
        "gpu_cloud",
        14,
        "racks",
        dt.datetime(2026, 2, 27),
    )
    tranches = list(book["Tranches"].iter_rows(values_only=True))
    assert tranches[1][:8] == (
        "c",
        1,
        "Hall A",
        14,
        "racks",
        dt.datetime(2026, 3, 1),
        dt.datetime(2026, 2, 27),
        -2,
    )
    assert tranches[1][8] == 1.0  # P(on time)
    assert (tranches[0][-1], tranches[1][-1]) == ("date set by (plan)", "hall")
    report = (out / "report.html").read_text(encoding="utf-8")
    criticality = report[report.index("<h2>Criticality</h2>") :]
    assert "<tr><td>Acme GPU cloud</td><td>1</td><td>100%</td></tr>" in criticality
    months = list(book["portfolio"].iter_rows(values_only=True))
    assert months[0][0] == "month end"
    assert [m[0] for m in months[1:3]] == [dt.datetime(2026, 1, 31), dt.datetime(2026, 2, 28)]
    assert months[1][6] == pytest.approx(2e6)  # January's capex, to the cent
    assert months[2][1] == pytest.approx(5.5 * 24_192)  # February's revenue
    assert months[0][7] == "crew cost (less)"
    present = sum(m[10] for m in months[1:-1])
    assert present == pytest.approx(npv["npv_usd"], abs=0.01)
    assert months[-1][0] == "NPV"
    assert months[-1][10] == f"=SUM(K2:K{len(months) - 1})"
    assert book["portfolio"]["B2"].number_format.startswith('"$"#,##0.00')


def test_counts_take_the_right_plural(tmp_path: Path) -> None:
    path = story_file(tmp_path)
    done = dcsim("validate", path)
    assert done.stdout == (
        f"ok: {path}: 1 site, 1 hall, 1 delivery, 1 contract (2026-01-01 to 2026-12-31)\n"
    )
    ran = dcsim("run", path, "-n", "1", "--out", tmp_path / "out")
    assert "0 of 1 tranche late" in ran.stdout
    assert "  Monte Carlo, 1 replication (seed 1):" in ran.stdout.splitlines()
