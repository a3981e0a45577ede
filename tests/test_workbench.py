"""Sweeps and searches (`dcsim sweep`, `dcsim search`, `sim.sweep`, `sim.search`) on a small
scenario whose answers are computed by hand.

The scenario: 28 racks (four lots of 7) arrive on 21 January; the hall is built in D days
from 1 January and commissioned in 10, so it is ready on day D + 10; each crew installs one
lot a week; burn-in takes 3 days; the 28 racks are due on 1 March (day 59). With k crews the
four lots take ceil(4 / k) weeks, so the last rack is online on day D + 10 + 7 ceil(4/k) + 3:
  - D = 30 (fixed): day 71 = 13 March with one crew, day 57 = 27 February with two or three,
    day 50 = 20 February with four or more. The fewest crews on time: 2.
  - D uniform on [30, 40] days (plan value 35): on time with two or three crews only when
    D <= 32 (P about 0.2), with four or more when D <= 39 (P about 0.9). The fewest crews
    on time with probability >= 0.8: 4.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import sim
from sim.errors import ScenarioError
from sim.scenario.schema.search import Search
from sim.workbench.search import wilson
from sim.workbench.space import Axis, points
from tests.helpers import STORY, dcsim, scenario_from

CREWS = "sites.s.crews.count"
RACKS_28 = {
    "deliveries__d__tranches": [{"date": "2026-01-21", "racks": 28}],
    "contracts__c__tranches": [{"racks": 28, "due": "2026-03-01"}],
    "sites__s__halls__h__it_mw": 3,
    "sites__s__halls__h__gross_mw": 4,
}
UNCERTAIN = {"start": "2026-01-01", "duration": {"uniform": ["30d", "40d"]}}


def crews_story(uncertain: bool = False) -> dict[str, Any]:
    data = scenario_from(STORY, **RACKS_28).model_dump(mode="json", exclude_none=True)
    if uncertain:
        data["sites"]["s"]["halls"]["h"]["construction"] = copy.deepcopy(UNCERTAIN)
    return data


def write(tmp_path: Path, data: dict[str, Any], name: str = "crews.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def fewest_crews(low: int = 1, high: int = 8, **extra: Any) -> dict[str, Any]:
    return {
        "variables": {CREWS: {"integer": [low, high]}},
        "objective": {"minimize": CREWS},
        "constraints": [{"on_time": "c", "p": 0.8}],
        **extra,
    }


def test_sweep_through_dcsim_writes_the_table_and_plot_on_common_random_numbers(
    tmp_path: Path,
) -> None:
    file = write(tmp_path, crews_story(uncertain=True))
    args = ("sweep", file, "--vary", f"{CREWS}=1..4", "-n", "20", "--seed", "5")
    first = dcsim(*args, "--out", tmp_path / "a")
    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    assert first.stdout.startswith(f"story: swept 4 points: wrote {tmp_path / 'a'}/")
    table = pd.read_csv(tmp_path / "a" / "sweep.csv")
    assert table[CREWS].tolist() == [1, 2, 3, 4]
    # The plan run (D = 35 days, ready on day 45): by hand, see the module docstring.
    assert table["plan.c.full_delivery"].tolist() == [
        "2026-03-18",
        "2026-03-04",
        "2026-03-04",
        "2026-02-25",
    ]
    assert table["plan.c.tranche_1.slip_days"].tolist() == [17, 3, 3, -4]
    p = table["c.tranche_1.p_on_time"].tolist()
    assert p[0] == 0.0
    assert p[1] == p[2]  # two and three crews both need two weeks: the same draws, the same answer
    assert p[1] < 0.5 < 0.7 < p[3]
    assert {"c.tranche_1.p50", "c.tranche_1.p80", "c.full_delivery.p80", "revenue_usd.mean"} <= set(
        table.columns
    )
    assert (tmp_path / "a" / "plots" / "sweep.png").stat().st_size > 10_000
    # The same seed gives the same points, byte for byte.
    again = dcsim(*args, "--out", tmp_path / "b")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "a" / "sweep.csv").read_bytes() == (
        tmp_path / "b" / "sweep.csv"
    ).read_bytes()
    # A point of the sweep is the run with that value, on the same draws.
    run = dcsim(
        "run", file, "--set", f"{CREWS}=4", "-n", "20", "--seed", "5", "--out", tmp_path / "r"
    )
    assert run.returncode == 0, run.stderr
    on_time = pd.read_csv(tmp_path / "r" / "on_time.csv")
    assert on_time["p_on_time"].iloc[0] == p[3]


def test_a_two_axis_sweep_draws_a_heatmap(tmp_path: Path) -> None:
    scenario = sim.Scenario.model_validate(crews_story())
    due = "contracts.c.tranches[0].due"
    shown: list[tuple[int, int, dict[str, Any]]] = []
    swept = sim.sweep(
        scenario, {CREWS: [1, 2], due: ["2026-03-15"]}, progress=lambda *a: shown.append(a)
    )
    assert shown == [(1, 2, {CREWS: 1, due: "2026-03-15"}), (2, 2, {CREWS: 2, due: "2026-03-15"})]
    assert swept.table["plan.c.tranche_1.slip_days"].tolist() == [-2, -16]
    assert len(swept.table) == 2
    from sim.outputs.workbench import write_sweep

    folder = write_sweep(swept, tmp_path / "heat")
    assert (folder / "plots" / "sweep.png").exists()


@pytest.mark.parametrize("method", ["exhaustive", "optuna"])
def test_search_finds_the_fewest_crews_known_by_hand(method: str) -> None:
    scenario = sim.Scenario.model_validate(crews_story())
    spec = Search.model_validate(fewest_crews(1, 20, trials=12))
    result = sim.search(scenario, spec, method=method, replications=4, seed=3)
    assert result.method == method
    assert result.best == {CREWS: 2}
    assert result.objective == 2.0
    [estimate] = result.certainty
    assert (estimate.successes, estimate.n, estimate.estimate) == (4, 4, 1.0)
    assert estimate.low == pytest.approx(4 / (4 + 1.959963984540054**2))  # Wilson at k = n
    one = result.table[result.table[CREWS] == 1]
    assert not one.empty or method == "optuna"
    if not one.empty:
        assert not one["feasible"].iloc[0]
    assert len(result.table) == (20 if method == "exhaustive" else 12)


def test_search_finds_the_latest_start_and_the_best_choice_known_by_hand() -> None:
    # Two crews: the last rack is online 30 + 10 + 14 + 3 = 57 days after the hall's
    # construction starts, so the latest start that meets 1 March (day 59) is 3 January.
    scenario = sim.Scenario.model_validate(crews_story())
    start = "sites.s.halls.h.construction.start"
    spec = {
        "variables": {start: {"dates": ["2026-01-01", "2026-01-10"], "every": "1d"}},
        "objective": {"maximize": start},
        "constraints": [{"on_time": "c", "p": 0.8}],
    }
    result = sim.search(
        scenario.with_overrides({CREWS: 2}), Search.model_validate(spec), replications=2
    )
    assert result.best == {start: dt.date(2026, 1, 3)}
    assert result.table["feasible"].tolist() == [True] * 3 + [False] * 7
    # More racks a week per crew deliver sooner and earn more; a KPI bound rules out none.
    spec = {
        "variables": {"sites.s.crews.racks_per_week": {"choice": [7, 14, 3.5]}},
        "objective": {"maximize": "revenue_usd"},
        "constraints": [{"kpi": "revenue_usd", "at_least": 1}],
    }
    result = sim.search(scenario, Search.model_validate(spec))
    assert result.best == {"sites.s.crews.racks_per_week": 14}
    assert result.objective == max(result.table["objective"])
    # The same choice by net present value: delivering sooner is worth more today too.
    spec["objective"] = {"maximize": "npv_usd"}
    result = sim.search(scenario, Search.model_validate(spec))
    assert result.best == {"sites.s.crews.racks_per_week": 14}


def test_search_with_a_chance_constraint_through_dcsim(tmp_path: Path) -> None:
    data = crews_story(uncertain=True)
    data["search"] = fewest_crews(1, 6)
    file = write(tmp_path, data)
    result = dcsim("search", file, "-n", "40", "--seed", "2", "--out", tmp_path / "s")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert f"best: {CREWS}=4 ({CREWS} = 4)" in result.stdout
    answer = json.loads((tmp_path / "s" / "search.json").read_text())
    assert answer["best"] == {CREWS: 4}
    assert answer["method"] == "exhaustive"
    assert answer["points_run"] == 6
    [at_best] = answer["constraints_at_best"]
    k, n = at_best["successes"], at_best["n"]
    assert n == 40
    assert k / n >= 0.8
    assert (at_best["low"], at_best["high"]) == pytest.approx(wilson(k, n))
    table = pd.read_csv(tmp_path / "s" / "search.csv")
    assert table["feasible"].tolist() == [False, False, False, True, True, True]
    assert table["c.tranche_1 on time.estimate"].iloc[2] < 0.5  # three crews: D <= 32 only
    assert (tmp_path / "s" / "plots" / "search.png").exists()


def test_wilson_interval_by_hand() -> None:
    # 8 of 10 with z = 1.96: centre (0.8 + 0.19208) / 1.38416, half-width 1.96 *
    # sqrt(0.016 + 0.009604) / 1.38416: 0.716738 -/+ 0.226581 (the published (0.4902, 0.9433)).
    low, high = wilson(8, 10, 1.96)
    assert low == pytest.approx(0.4901568, abs=1e-6)
    assert high == pytest.approx(0.9433190, abs=1e-6)
    # None or all on time: the interval ends exactly at 0 or 1 (error bars never negative).
    assert wilson(0, 200)[0] == 0.0
    assert wilson(200, 200)[1] == 1.0
    assert wilson(0, 200)[1] == pytest.approx(1.959963984540054**2 / (200 + 1.959963984540054**2))


@pytest.mark.parametrize(
    ("vary", "message"),
    [
        (f"{CREWS}=1,abc", f"--vary {CREWS}=1,abc: value 'abc': expected a number"),
        (f"{CREWS}=0,1", f"--vary {CREWS}=0,1: value 0: must be > 0 (got 0)"),
        ("sites.s.crews.cont=1,2", "`sites.s.crews.cont` does not exist; did you mean `count`?"),
        (f"{CREWS}", f"--vary {CREWS}: expected PATH=V1,V2,..."),
        (f"{CREWS}=5..3", f"--vary {CREWS}=5..3: the range runs backwards"),
        (f"{CREWS}=1..10001", f"--vary {CREWS}=1..10001: 10,001 values; vary at most 10,000"),
    ],
)
def test_a_bad_vary_exits_2_with_a_located_message(tmp_path: Path, vary: str, message: str) -> None:
    result = dcsim("sweep", write(tmp_path, crews_story()), "--vary", vary, "--out", tmp_path / "o")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


def test_a_key_that_does_not_exist_is_said_once_not_once_a_value(tmp_path: Path) -> None:
    vary = "sites.s.crews.cont=1..50"
    result = dcsim("sweep", write(tmp_path, crews_story()), "--vary", vary, "--out", tmp_path / "o")
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"--vary {vary}: `sites.s.crews.cont` does not exist; did you mean `count`?",
        "1 problem found.",
    ]


def test_more_points_than_a_sweep_runs_are_refused_before_any_runs() -> None:
    axes = [Axis("a", tuple(range(101)), "--vary a=0..100"), Axis("b", tuple(range(100)))]
    with pytest.raises(ScenarioError) as caught:
        points(axes)
    assert str(caught.value.problems[0]) == (
        "--vary a=0..100: 10,100 points (101 x 100 values) are more than the 10,000 a sweep or "
        "an exhaustive search runs; narrow the values, or search them with a number of `trials`"
    )
    assert len(points([axes[0], Axis("b", tuple(range(99)))])) == 9_999


def test_an_optuna_search_takes_every_seed_a_run_takes() -> None:
    scenario = sim.Scenario.model_validate(crews_story())
    spec = Search.model_validate(fewest_crews(1, 20, trials=3))
    result = sim.search(scenario, spec, method="optuna", replications=2, seed=2**64 - 1)
    assert len(result.table) == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"variables": {CREWS: {"integr": [1, 3]}}},
            f"search.variables.{CREWS}.integr: unknown key `integr`; did you mean `integer`?",
        ),
        ({"variables": {CREWS: {"integer": [3, 1]}}}, "the range runs backwards (3 > 1)"),
        (
            {"variables": {CREWS: {"integer": [0, 3]}}},
            f"search.variables.{CREWS}: value 0: must be > 0",
        ),
        (
            {"objective": {"minimize": "revnue_usd"}},
            "search.objective.minimize: `revnue_usd` is neither a variable of the search nor a "
            "KPI; did you mean `revenue_usd`?",
        ),
        (
            {"constraints": [{"on_time": "d.tranche_1"}]},
            "search.constraints[0].on_time: no contract `d`",
        ),
        ({"constraints": [{"on_time": "c.tranche_2"}]}, "no tranche `tranche_2` in contract `c`"),
        ({"variables": {"sites.s.crew.count": {"integer": [1, 2]}}}, "did you mean `crews`?"),
        (
            {"variables": {CREWS: {"integer": [1, 10_001]}}},
            f"search.variables.{CREWS}: 10,001 values, more than the 10,000 checked",
        ),
    ],
)
def test_a_bad_search_block_exits_2_with_a_located_message(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    data = crews_story()
    data["search"] = {**fewest_crews(), **change}
    file = write(tmp_path, data)
    result = dcsim("search", file, "-n", "2", "--out", tmp_path / "o")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert f"{file}:" in result.stderr.splitlines()[0]
    line = int(result.stderr.splitlines()[0].split(":")[1])
    assert line > 1  # at the block, not the top of the file
    assert "Traceback" not in result.stderr


def test_a_chance_constraint_needs_replications(tmp_path: Path) -> None:
    data = crews_story()
    data["search"] = fewest_crews()
    result = dcsim("search", write(tmp_path, data), "--out", tmp_path / "o")
    assert result.returncode == 2
    assert "an `on_time` constraint is a probability: give replications (-n 200)" in result.stderr


def test_search_without_a_block_is_a_usage_error(tmp_path: Path) -> None:
    result = dcsim("search", write(tmp_path, crews_story()), "-n", "2")
    assert result.returncode == 2
    assert "has no `search:` block" in result.stderr
    with pytest.raises(ScenarioError, match="value 'x'"):
        sim.sweep(sim.Scenario.model_validate(crews_story()), {CREWS: [1, "x"]})


def test_the_trade_off_plot_takes_an_interval_that_rounds_past_its_estimate(
    tmp_path: Path,
) -> None:
    from sim.outputs.plots.sweep import plot_search

    name = "c.tranche_1 on time"
    table = pd.DataFrame(
        {
            CREWS: [1, 2],
            "objective": [1, 2],
            f"{name}.estimate": [0.0, 1.0],
            f"{name}.low": [1.7e-18, 0.98],  # rounding noise above the estimate
            f"{name}.high": [0.02, 1.0 - 1e-17],  # and below it
            f"{name}.holds": [False, True],
            "feasible": [False, True],
        }
    )
    path = plot_search("t", table, {CREWS: 2}, [0.8], tmp_path / "search.png")
    assert path.stat().st_size > 10_000


def test_a_search_with_no_feasible_point_says_so_and_names_the_closest(tmp_path: Path) -> None:
    # Due on 1 February, before the hall is even ready (10 February): no crew count helps.
    data = crews_story()
    data["contracts"]["c"]["tranches"][0]["due"] = "2026-02-01"
    data["search"] = fewest_crews(1, 3)
    result = dcsim("search", write(tmp_path, data), "-n", "3", "--out", tmp_path / "s")
    assert result.returncode == 0, result.stderr
    assert f"no point run meets every constraint; the closest is {CREWS}=1:" in result.stdout
    assert "c.tranche_1 on time: P = 0.0% ± 0.0% (95% Wilson 0.0%-56.1%, 0/3)" in result.stdout
    answer = json.loads((tmp_path / "s" / "search.json").read_text())
    assert answer["best"] is None
    assert answer["closest"] == {CREWS: 1}
    assert answer["objective"]["value"] is None
    assert [c["holds"] for c in answer["constraints_at_closest"]] == [False]


def test_on_a_terminal_the_sweep_shows_which_point_is_running(tmp_path: Path) -> None:
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import termios

    from tests.helpers import dcsim_path

    leader, follower = pty.openpty()
    # A new terminal is 0 columns wide, and the bar would fit nothing: make it 120.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    file = write(tmp_path, crews_story())
    done = subprocess.run(
        [dcsim_path(), "sweep", str(file), "--vary", f"{CREWS}=1,2", "--out", str(tmp_path / "o")],
        stdout=subprocess.PIPE,
        stderr=follower,
        timeout=120,
        check=False,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert done.returncode == 0
    assert b"point 1/2: count=1" in shown
    assert b"point 2/2: count=2" in shown


def test_a_sweep_on_dask_gives_the_local_table() -> None:
    distributed = pytest.importorskip("distributed")
    scenario = sim.Scenario.model_validate(crews_story(uncertain=True))
    axes = {CREWS: [2, 4]}
    local = sim.sweep(scenario, axes, replications=6, seed=9, jobs=2)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0"
    ) as cluster:
        remote = sim.sweep(
            scenario,
            axes,
            replications=6,
            seed=9,
            executor="dask",
            scheduler=cluster.scheduler_address,
        )
    pd.testing.assert_frame_equal(remote.table, local.table)
    assert (
        local.table["c.tranche_1.p_on_time"].iloc[1] > local.table["c.tranche_1.p_on_time"].iloc[0]
    )


def test_the_search_may_name_every_portfolio_kpi_the_replications_carry() -> None:
    """The search block's KPI names are the analysis stage's, NPV included (the scenario
    stage keeps its own copy, since it cannot import the analysis stage)."""
    from sim.analysis.kpis import PORTFOLIO_KPIS
    from sim.scenario import searchchecks

    assert tuple(str(k) for k in PORTFOLIO_KPIS) == searchchecks.PORTFOLIO_KPIS
