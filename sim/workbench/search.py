"""Search: the best values of some keys of a scenario under constraints, every point run on
common random numbers (the same seed), so points are compared on the same draws.

The method: every point of the space (exhaustive) when it has at most `trials` points, else
`trials` points chosen by Optuna's TPE sampler (integers and dates as ordered indices,
choices as categories), constraints passed to it as violations. A chance constraint is
estimated from the replications: k of n on time, the estimate k/n, its binomial standard
error and its 95% Wilson interval; it holds when the estimate (or, with `feasible_if:
lower_bound`, the interval's lower end) is at least its `p`.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import UsageError
from sim.runner import RunOptions
from sim.scenario.loader import Loaded
from sim.scenario.schema import Scenario
from sim.scenario.schema.search import Constraint, Search
from sim.scenario.topology import tranches
from sim.workbench.evaluate import Evaluation, evaluate, plain
from sim.workbench.space import Axis, check_values, points, scenario_at, search_axes
from sim.workbench.sweep import Progress, base_scenario

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """One constraint at one point: what it asks, what was seen, and whether it holds."""

    name: str
    """`microsoft.tranche_4 on time`, or the KPI bounded."""
    target: float
    estimate: float
    """The probability (k/n) or the KPI's mean."""
    holds: bool
    successes: int | None = None
    n: int | None = None
    std_error: float | None = None
    low: float | None = None
    """The 95% Wilson interval (chance constraints only)."""
    high: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class SearchResult:
    """The best point found, how sure it is, and every point run (the trade-off seen)."""

    name: str
    spec: Search
    method: str
    space_size: int
    table: pd.DataFrame
    """Every point run, in the order run: its values, the objective, each constraint's
    estimate (and Wilson interval) and whether it holds, and `feasible`."""
    best: dict[str, Any] | None
    """The best feasible point (key path -> value), or None when no point run is feasible."""
    certainty: list[Estimate]
    """The constraints at the best point, or (none feasible) at the point closest to it."""
    objective: float | None
    seconds: float
    seed: int
    replications: int
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)
    closest: dict[str, Any] | None = None
    """With no feasible point: the point that comes closest (the most constraints met, then
    the smallest total shortfall of the chance constraints), whose constraints `certainty`
    gives."""


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95% by default)."""
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact ends, not rounding noise
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def estimates(scenario: Scenario, spec: Search, ev: Evaluation) -> list[Estimate]:
    """Each constraint of ``spec`` at the evaluated point."""
    out: list[Estimate] = []
    for c in spec.constraints:
        if c.on_time is not None:
            out += _chance(scenario, spec, c, ev)
        else:
            value = kpi_value(ev, str(c.kpi))
            holds = (c.at_least is None or value >= c.at_least) and (
                c.at_most is None or value <= c.at_most
            )
            bound = c.at_least if c.at_least is not None else c.at_most
            out.append(Estimate(str(c.kpi), float(bound or 0.0), value, holds))
    return out


def _chance(scenario: Scenario, spec: Search, c: Constraint, ev: Evaluation) -> list[Estimate]:
    reps = ev.replications
    assert reps is not None
    assert c.on_time is not None
    contract, _, tranche = c.on_time.partition(".")
    count = len(tranches(scenario.contracts[contract]))
    numbers = [int(tranche.removeprefix("tranche_"))] if tranche else range(1, count + 1)
    out = []
    for number in numbers:
        late = reps[f"{contract}.tranche_{number}.slip_days"]
        k, n = int((late <= 0).sum()), len(late)  # never delivered counts as late
        low, high = wilson(k, n)
        p = k / n
        seen = low if spec.feasible_if == "lower_bound" else p
        error = math.sqrt(p * (1 - p) / n)
        name = f"{contract}.tranche_{number} on time"
        out.append(Estimate(name, c.target, p, seen >= c.target - 1e-12, k, n, error, low, high))
    return out


def kpi_value(ev: Evaluation, kpi: str) -> float:
    """A KPI's mean over the replications, or its plan value without them."""
    if ev.replications is not None:
        return float(ev.replications[kpi].mean())
    return float(ev.row[f"plan.{kpi}"])


def objective_value(spec: Search, ev: Evaluation) -> float:
    """The objective at a point, as a number (a date as its ordinal day)."""
    target = spec.objective.target
    if target in spec.variables:
        value = ev.point[target]
        return float(value.toordinal()) if hasattr(value, "toordinal") else float(value)
    return kpi_value(ev, target)


def search(
    scenario: Scenario | Loaded | str | Path,
    spec: Search | None = None,
    *,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    method: str | None = None,
    trials: int | None = None,
    **kwargs: Any,
) -> SearchResult:
    """Search ``scenario`` as ``spec`` (default: its `search:` block) says, every point run
    with ``options`` (a `RunOptions`, or its fields as keywords); ``method`` and ``trials``
    override the spec's. Bad values raise ScenarioError before any run."""
    if options is None:
        options = RunOptions(**kwargs)
    file = scenario.file if isinstance(scenario, Loaded) else scenario
    path = file if isinstance(file, str | Path) else None
    base = base_scenario(scenario)
    spec = spec if spec is not None else base.search
    if spec is None:
        raise UsageError(f"{path or 'the scenario'} has no `search:` block; add one (README)")
    # The file's own variables (its block, perhaps with another objective) are located in it.
    located = (
        path is not None and base.search is not None and spec.variables == base.search.variables
    )
    changes = {"method": method, "trials": trials}
    spec = spec.model_copy(update={k: v for k, v in changes.items() if v is not None})
    if any(c.on_time is not None for c in spec.constraints) and options.replications < 1:
        raise UsageError("an `on_time` constraint is a probability: give replications (-n 200)")
    axes = search_axes(spec, path if located else None)
    check_values(base, axes)
    size = math.prod(len(a.values) for a in axes)
    method = (
        spec.method
        if spec.method != "auto"
        else ("exhaustive" if size <= spec.trials else "optuna")
    )
    started = time.perf_counter()
    planned = size if method == "exhaustive" else min(size, spec.trials)
    runner = _Runner(base, spec, axes, options, progress, planned)
    if method == "exhaustive":
        for point in points(axes):
            runner.run(point)
    else:
        _optuna(runner, axes, spec, options.seed, size)
    return runner.result(method, size, time.perf_counter() - started)


@dataclass
class _Runner:
    """Runs points once each (a point asked again is answered from the cache)."""

    base: Scenario
    spec: Search
    axes: list[Axis]
    options: RunOptions
    progress: Progress | None
    planned: int
    seen: dict[str, tuple[float, list[Estimate], dict[str, Any], dict[str, Any]]] = field(
        default_factory=dict
    )

    def run(self, point: dict[str, Any]) -> tuple[float, list[Estimate]]:
        key = repr(sorted(point.items()))
        if key not in self.seen:
            if self.progress is not None:
                self.progress(len(self.seen) + 1, self.planned, point)
            at = scenario_at(self.base, point, self.axes)
            ev = evaluate(at, point, self.options)
            found = estimates(at, self.spec, ev)
            value = objective_value(self.spec, ev)
            row = {k: plain(v) for k, v in point.items()}
            row["objective"] = (
                value
                if self.spec.objective.target not in point
                else row[self.spec.objective.target]
            )
            for e in found:
                row[f"{e.name}.estimate"] = e.estimate
                if e.low is not None:
                    row[f"{e.name}.low"], row[f"{e.name}.high"] = e.low, e.high
                row[f"{e.name}.holds"] = e.holds
            row["feasible"] = all(e.holds for e in found)
            self.seen[key] = (value, found, row, dict(point))
        value, found, _, _ = self.seen[key]
        return value, found

    def result(self, method: str, size: int, seconds: float) -> SearchResult:
        sense = self.spec.objective.sense
        entries = list(self.seen.values())

        def margin(found: list[Estimate]) -> float:
            return min((e.estimate - e.target for e in found if e.n), default=0.0)

        def shortfall(found: list[Estimate]) -> float:
            return sum(max(0.0, e.target - e.estimate) for e in found if e.n)

        feasible = [e for e in entries if e[2]["feasible"]]
        pool = feasible or entries
        if feasible:
            chosen = min(pool, key=lambda e: (sense * e[0], -margin(e[1])))
        else:  # the point that comes closest to meeting the constraints
            chosen = max(pool, key=lambda e: (sum(x.holds for x in e[1]), -shortfall(e[1])))
        rows = [e[2] for e in entries]
        best = chosen[3] if feasible else None
        return SearchResult(
            self.base.scenario.name,
            self.spec,
            method,
            size,
            pd.DataFrame(rows),
            best,
            chosen[1],
            chosen[0] if feasible else None,
            seconds,
            self.options.seed,
            self.options.replications,
            rows,
            closest=None if feasible else chosen[3],
        )


def _optuna(runner: _Runner, axes: list[Axis], spec: Search, seed: int, size: int) -> None:
    """Let Optuna's TPE sampler choose up to ``spec.trials`` distinct points."""
    try:
        import optuna
    except ImportError:
        raise UsageError(
            "a search of more than `trials` points needs Optuna: pip install optuna"
        ) from None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=seed % 2**32)  # Optuna takes 32 bits
        level = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            study = optuna.create_study(direction="minimize", sampler=sampler)
            for _ in range(spec.trials * 4):  # asks may repeat points already run
                if len(runner.seen) >= min(spec.trials, size):
                    break
                trial = study.ask()
                point = {}
                for a in axes:
                    indices = list(range(len(a.values)))
                    if spec.variables[a.path].choice is not None:
                        i = trial.suggest_categorical(a.path, indices)
                    else:
                        i = trial.suggest_int(a.path, 0, len(a.values) - 1)
                    point[a.path] = a.values[int(i)]
                value, found = runner.run(point)
                for i, e in enumerate(found):
                    trial.set_constraint(f"{i}: {e.name}", _violation(e))
                study.tell(trial, spec.objective.sense * value)
        finally:
            optuna.logging.set_verbosity(level)


def _violation(e: Estimate) -> float:
    """How far a constraint is from holding (<= 0 when it holds), for Optuna."""
    if e.holds:
        return 0.0
    if e.n is not None:
        return e.target - e.estimate if e.estimate < e.target else 1e-6
    return abs(e.estimate - e.target) or 1e-6
