"""One deterministic run: scenario -> engine -> tables -> KPIs, as a `Result`.

`run_once` is a pure function of (scenario, sampler): no globals, no shared state, so runs
can be mapped over seeds in other processes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.analysis.kpis import summarize
from sim.analysis.timeline import build_tables
from sim.engine import Deterministic, Sampler, build_plan, simulate
from sim.engine.realize import realize
from sim.montecarlo.executors import Executor
from sim.montecarlo.replications import MonteCarlo, chunks, monte_carlo
from sim.result import Result
from sim.scenario.loader import Loaded, load_file
from sim.scenario.schema import Scenario, Step


def run_once(scenario: Scenario, sampler: Sampler | None = None) -> Result:
    """Simulate the scenario once (uncertain inputs at their plan values) and build its
    tables and KPIs."""
    concrete, _ = realize(scenario)
    recorder = simulate(build_plan(concrete), sampler if sampler is not None else Deterministic())
    tables = build_tables(concrete, recorder)
    summary = summarize(concrete, recorder, tables)
    return Result(scenario, tables.timeline, tables.contracts, tables.events, summary)


def run(
    scenario: Scenario | Loaded | str | Path,
    *,
    step: Step | None = None,
    replications: int = 0,
    seed: int = 1,
    jobs: int = 1,
    executor: Executor = "local",
    scheduler: str | None = None,
    progress: bool = False,
) -> Result:
    """Run a scenario (a Scenario, or the path of a scenario file).

    The deterministic run uses each uncertain input's plan value. With ``replications``,
    the scenario is also run that many times with inputs drawn from their distributions
    (root ``seed``), in ``jobs`` local processes or on a Dask ``scheduler``; the result's
    ``monte_carlo`` then holds the bands, on-time probabilities and drivers.
    """
    source: Loaded | None = None
    if isinstance(scenario, str | Path):
        source = load_file(scenario)
        scenario = source.scenario
    elif isinstance(scenario, Loaded):
        source, scenario = scenario, scenario.scenario
    if step is not None and step != scenario.scenario.step:
        info = scenario.scenario.model_copy(update={"step": step})
        scenario = scenario.model_copy(update={"scenario": info})
    result = run_once(scenario)
    mc = None
    if replications > 0:
        mc = monte_carlo_run(scenario, replications, seed, jobs, executor, scheduler, progress)
    return Result(
        result.scenario,
        result.timeline,
        result.contracts,
        result.events,
        result.summary,
        source,
        seed if replications else None,
        mc,
    )


def monte_carlo_run(
    scenario: Scenario,
    replications: int,
    seed: int,
    jobs: int = 1,
    executor: Executor = "local",
    scheduler: str | None = None,
    progress: bool = False,
) -> MonteCarlo:
    """Run ``replications`` of ``scenario`` and aggregate them (`sim.montecarlo.replications`)."""
    from tqdm import tqdm

    from sim.montecarlo import executors

    if executor == "dask":
        if scheduler is None:
            raise ValueError("the dask executor needs a scheduler address (--scheduler)")
        work = chunks(replications, 8)

        def results(c: list[list[int]]) -> Any:
            return executors.dask(scenario, seed, c, scheduler)
    else:
        work = chunks(replications, jobs)

        def results(c: list[list[int]]) -> Any:
            return executors.local(scenario, seed, c, jobs)

    with tqdm(
        total=replications, disable=not progress, unit="rep", desc="replications", leave=False
    ) as bar:
        return monte_carlo(scenario, replications, seed, results, work, bar.update)
