"""One deterministic run: scenario -> engine -> tables -> KPIs, as a `Result`.

`run_once` is a pure function of (scenario, sampler): no globals, no shared state, so runs
can be mapped over seeds in other processes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.finance import monthly_flows, monthly_table
from sim.analysis.kpis import summarize
from sim.analysis.records import level_rows
from sim.analysis.runmoney import run_money
from sim.analysis.timeline import compute_arrays, tables_of, with_datetimes
from sim.engine import Deterministic, Sampler, apply_status, build_plan, simulate
from sim.engine.realize import realization
from sim.errors import ScenarioError, UsageError
from sim.gcpause import paused_gc
from sim.montecarlo import MAX_REPLICATIONS, SEED_MAX
from sim.montecarlo.executors import EXECUTORS, Executor
from sim.montecarlo.replications import (
    BANDS,
    Bands,
    MonteCarlo,
    chunks,
    monte_carlo,
    replication_bytes,
)
from sim.result import Result
from sim.scenario.loader import Loaded, load_file
from sim.scenario.schema import Scenario, Step
from sim.since import since_previous


@dataclass(frozen=True)
class RunOptions:
    """How a run's replications are run, shared by `run` and `compare`: validated once, on
    construction (a bad value raises `sim.errors.UsageError`)."""

    replications: int = 0
    """Monte Carlo replications besides the plan run (0: the plan run only)."""
    seed: int = 1
    """Root random seed of the replications."""
    jobs: int = 1
    """Local worker processes (the local executor only)."""
    executor: Executor = "local"
    """Where replications run: "local" processes or a "dask" cluster."""
    scheduler: str | None = None
    """The dask.distributed scheduler address (the dask executor only, and required there)."""
    progress: bool = False
    """Show a progress bar of the replications (on stderr)."""
    bands: Bands = "headline"
    """Which timeline metrics get percentile bands: "headline" (those the plots and report
    draw: `sim.montecarlo.replications.HEADLINE_METRICS`) or "all"."""

    def __post_init__(self) -> None:
        for name in ("replications", "seed", "jobs"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise UsageError(f"{name} must be a whole number (got {value!r})")
        if not 0 <= self.replications <= MAX_REPLICATIONS:
            raise UsageError(
                f"replications must be from 0 to {MAX_REPLICATIONS:,} (got {self.replications:,})"
            )
        if not 0 <= self.seed <= SEED_MAX:
            raise UsageError(f"seed must be from 0 to 2**64 - 1 (got {self.seed})")
        if self.jobs < 1:
            raise UsageError(f"jobs must be at least 1 (got {self.jobs})")
        if self.executor not in EXECUTORS:
            raise UsageError(
                f"executor must be one of {', '.join(EXECUTORS)} (got {self.executor!r})"
            )
        if self.bands not in BANDS:
            raise UsageError(f"bands must be one of {', '.join(BANDS)} (got {self.bands!r})")
        if self.executor == "dask" and not self.scheduler:
            raise UsageError("--executor dask needs --scheduler ADDRESS")
        if self.executor != "dask" and self.scheduler is not None:
            raise UsageError("--scheduler goes with --executor dask; add it or drop --scheduler")
        if self.executor == "dask" and self.jobs != 1:
            raise UsageError(
                "--jobs is for local processes; with --executor dask the cluster's workers "
                "run the replications, so drop --jobs"
            )


def run_once(scenario: Scenario, sampler: Sampler | None = None) -> Result:
    """Simulate the scenario once (uncertain inputs at their plan values) and build its
    tables and KPIs."""
    with paused_gc():  # long-lived objects only: see sim.gcpause
        concrete, _, copied = realization(scenario)
        plan = apply_status(build_plan(concrete, copied), concrete)
        recorder = simulate(plan, sampler if sampler is not None else Deterministic())
        rows = level_rows(recorder, list(concrete.sites))  # shared by the tables below
        # the monthly flows first: their arrays come and go before the timeline's are held
        # (the peak memory of a 10,000-site run was the monthly arrays on top of the tables)
        money = run_money(concrete, recorder)  # likewise
        flows = monthly_flows(concrete, recorder, rows, money=money)
        arrays = compute_arrays(concrete, recorder, rows=rows, money=money)
        del rows  # its keys and grouping by site (0.3 GB at 10,000 sites): not in the tables
        tables = tables_of(concrete, recorder, arrays)
        summary = summarize(concrete, recorder, tables, flows)
        return Result(
            scenario,
            with_datetimes(tables.timeline, ["date"]),
            with_datetimes(tables.contracts, ["date"]),
            with_datetimes(tables.events, ["date"]),
            summary,
            monthly=monthly_table(concrete, recorder, flows),
        )


def run(
    scenario: Scenario | Loaded | str | Path,
    *,
    step: Step | None = None,
    options: RunOptions | None = None,
    label: str | None = None,
    since: bool = True,
    **kwargs: Any,
) -> Result:
    """Run a scenario (a Scenario, or the path of a scenario file).

    The deterministic run uses each uncertain input's plan value. With replications, the
    scenario is also run that many times with inputs drawn from their distributions, in local
    processes or on a Dask scheduler, as ``options`` (a `RunOptions`) say; the result's
    ``monte_carlo`` then holds the bands, on-time probabilities and drivers. Instead of
    ``options``, its fields may be given as keywords: ``run(s, replications=100, seed=7)``.
    ``label`` names the run on its progress bar (a comparison names each of its runs).

    A status update loaded from a file that imports exactly one file (its scenario, or the
    previous status) is compared with that file, run with the same options and overrides:
    the summary's ``since_previous`` says how each tranche's dates and on-time probability
    moved (`sim.since`). ``since=False`` skips that second run.
    """
    if options is None:
        options = RunOptions(**kwargs)
    elif kwargs:
        raise UsageError(f"give either options or {', '.join(kwargs)}, not both")
    source: Loaded | None = None
    if not isinstance(scenario, Scenario | Loaded | str | Path):
        raise UsageError(
            "run takes a scenario (sim.load), a loaded file (sim.load_file) or a file's path "
            f"(got {type(scenario).__name__})"
        )
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
    if options.replications > 0:
        mc = monte_carlo_run(scenario, options, label)
    out = Result(
        result.scenario,
        result.timeline,
        result.contracts,
        result.events,
        result.summary,
        source,
        options.seed if options.replications else None,
        mc,
        result.monthly,
    )
    if since and source is not None and source.previous is not None:
        changes = _since_previous(out, source, source.previous, step, options)
        out = dataclasses.replace(out, summary={**out.summary, "since_previous": changes})
    return out


def _since_previous(
    current: Result, source: Loaded, previous: str, step: Step | None, options: RunOptions
) -> dict[str, Any]:
    """``current`` against the run of ``previous`` (the file the status update imports), with
    the same options and the same overrides (variants' and ``--set``'s) applied."""
    overrides = {o.path: o.new for o in source.overrides}
    name = Path(previous).name
    try:
        loaded = load_file(previous, overrides=overrides)
    except ScenarioError as exc:  # an override the previous file does not have
        return {
            "file": name,
            "skipped": f"the previous file does not take this run's "
            f"overrides: {exc.problems[0].message}",
        }
    before = run(loaded, step=step, options=options, label="previous", since=False)
    return since_previous(current, before, name)


def monte_carlo_run(
    scenario: Scenario, options: RunOptions, label: str | None = None
) -> MonteCarlo:
    """Run ``options.replications`` of ``scenario`` and aggregate them (``label`` names the
    run on the progress bar)."""
    from sim.montecarlo import executors
    from sim.progress import progress_bar

    n, seed, bands = options.replications, options.seed, options.bands
    size = replication_bytes(scenario, bands)
    if options.executor == "dask":
        scheduler = options.scheduler
        assert scheduler is not None  # RunOptions checked it
        work = chunks(n, 8, size)

        def results(c: list[list[int]]) -> Any:
            return executors.dask(scenario, seed, c, scheduler, bands)
    else:
        work = chunks(n, options.jobs, size)

        def results(c: list[list[int]]) -> Any:
            return executors.local(scenario, seed, c, options.jobs, bands)

    desc = f"{label}: replications" if label else "replications"
    bar = progress_bar(total=n, disable=not options.progress, unit="rep", desc=desc, leave=False)
    with bar:
        return monte_carlo(scenario, n, seed, results, work, bar.update, bands)
