"""The `search:` block: decision variables, an objective and constraints, for `dcsim search`.
The fewest crews that give every Microsoft tranche an 80% chance of being on time, say:
`variables: {sites.childress.crews.count: {integer: [3, 10]}}`, `objective: {minimize:
sites.childress.crews.count}`, `constraints: [{on_time: microsoft, p: 0.8}]`.
"""

import datetime as dt
from typing import Annotated, Any, Literal, Self

from pydantic import Field, StrictInt, model_validator

from sim.scenario.schema.base import StrictModel
from sim.scenario.schema.durations import PositiveDuration
from sim.scenario.schema.types import Fraction, Number, PositiveInt

KeyPath = Annotated[
    str,
    Field(
        pattern=r"^(scenario|sites|platforms|deliveries|contracts)"
        r"(\.[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+\])*)*$"
    ),
]
"""A key path into the scenario, as variants write it: `sites.childress.crews.count`."""


def _one_of(model: StrictModel, keys: tuple[str, ...]) -> None:
    given = [k for k in keys if getattr(model, k) is not None]
    if len(given) != 1:
        names = ", ".join(f"`{k}`" for k in keys)
        raise ValueError(f"give exactly one of {names} (got {len(given)})")


class Variable(StrictModel):
    """A decision variable: the values the search may give one key of the scenario."""

    RULES = (
        "Exactly one of `integer`, `dates` and `choice`.",
        "`step` goes with `integer` and `every` with `dates`.",
        "A range's first value is at most its last.",
    )

    integer: Annotated[list[StrictInt], Field(min_length=2, max_length=2)] | None = None
    """Whole numbers from the first to the last, both included: `[3, 10]` (crews per site)."""
    step: PositiveInt | None = None
    """With `integer`: the step between values (default 1)."""
    dates: Annotated[list[dt.date], Field(min_length=2, max_length=2)] | None = None
    """Dates from the first to the last, both included: a hall's construction start or a
    tranche's delivery date. The k-th value is the first date plus k x `every`, to the day."""
    every: PositiveDuration | None = None
    """With `dates`: the step between dates (default 7d)."""
    choice: Annotated[list[Any], Field(min_length=1)] | None = None
    """The values to choose from, as the file would hold them: `[childress, sweetwater]`
    (which site a delivery goes to)."""

    @model_validator(mode="after")
    def _shape(self) -> Self:
        _one_of(self, ("integer", "dates", "choice"))
        if self.step is not None and self.integer is None:
            raise ValueError("`step` goes with `integer`; use `every` with `dates`")
        if self.every is not None and self.dates is None:
            raise ValueError("`every` goes with `dates`; use `step` with `integer`")
        spans: list[list[Any] | None] = [self.integer, self.dates]
        for span in spans:
            if span is not None and span[0] > span[1]:
                raise ValueError(f"the range runs backwards ({span[0]} > {span[1]}); swap them")
        return self

    def values(self) -> list[Any]:
        """Every value the variable can take, in order."""
        if self.integer is not None:
            return list(range(self.integer[0], self.integer[1] + 1, self.step or 1))
        if self.dates is not None:
            first, last = self.dates
            every = self.every if self.every is not None else 7.0
            out, k = [], 0
            while (day := first + dt.timedelta(days=round(k * every))) <= last:
                out.append(day)
                k += 1
            return out
        assert self.choice is not None
        return list(self.choice)


class Objective(StrictModel):
    """What the search optimises: a decision variable's value (`minimize:
    sites.childress.crews.count`: the fewest crews; `maximize: sites.x.halls.h.construction.start`:
    the latest start) or a KPI's mean over the replications (`maximize: revenue_usd`)."""

    RULES = ("Exactly one of `minimize` and `maximize`.",)

    minimize: str | None = None
    """A decision variable's key path, or a KPI: `cost_usd` (capex, power and crew cost in the
    horizon), `revenue_usd`, `cash_usd`, `gpu_months`, `peak_facility_mw`, `idle_mw_days`,
    `rack_days_waiting`, `npv_usd`, `<contract>.revenue_usd`, `<contract>.npv_usd`."""
    maximize: str | None = None
    """As `minimize`, to make as large as possible."""

    @model_validator(mode="after")
    def _shape(self) -> Self:
        _one_of(self, ("minimize", "maximize"))
        return self

    @property
    def target(self) -> str:
        return self.minimize if self.minimize is not None else str(self.maximize)

    @property
    def sense(self) -> int:
        """+1 to minimise, -1 to maximise."""
        return 1 if self.minimize is not None else -1


class Constraint(StrictModel):
    """A condition the answer must meet. A chance constraint (`on_time`) is estimated from the
    replications; a KPI bound (`kpi`) applies to the KPI's mean over them."""

    RULES = (
        "Exactly one of `on_time` and `kpi`.",
        "`p` goes with `on_time`; `at_least` or `at_most` (or both) with `kpi`.",
    )

    on_time: str | None = None
    """A contract (each of its tranches, taken one by one) or one tranche
    (`microsoft.tranche_2`) that must be delivered by its due date with probability `p`."""
    p: Fraction | None = None
    """With `on_time`: the least probability of being on time (default 0.8)."""
    kpi: str | None = None
    """A KPI whose mean is bounded (the names `Objective.minimize` takes)."""
    at_least: Number | None = None
    """With `kpi`: the least mean allowed."""
    at_most: Number | None = None
    """With `kpi`: the largest mean allowed."""

    @model_validator(mode="after")
    def _shape(self) -> Self:
        _one_of(self, ("on_time", "kpi"))
        if self.on_time is not None and (self.at_least is not None or self.at_most is not None):
            raise ValueError("`at_least` and `at_most` go with `kpi`; use `p` with `on_time`")
        if self.kpi is not None and self.p is not None:
            raise ValueError("`p` goes with `on_time`; bound a KPI with `at_least`/`at_most`")
        if self.kpi is not None and self.at_least is None and self.at_most is None:
            raise ValueError("a `kpi` constraint needs `at_least` or `at_most`")
        return self

    @property
    def target(self) -> float:
        return self.p if self.p is not None else 0.8


class Search(StrictModel):
    """What `dcsim search` looks for: the best values of some keys of the scenario, under
    constraints, every point run on the same random draws (common random numbers)."""

    variables: Annotated[dict[KeyPath, Variable], Field(min_length=1)]
    """Key path -> the values it may take."""
    objective: Objective
    """What to minimise or maximise."""
    constraints: list[Constraint] = Field(default_factory=list)
    """What the answer must meet (all of it)."""
    method: Literal["auto", "exhaustive", "optuna"] = "auto"
    """`exhaustive` runs every point; `optuna` samples `trials` points with Optuna's TPE
    sampler; `auto` is exhaustive when the space has at most `trials` points."""
    trials: PositiveInt = 60
    """The most points run (Optuna), and the largest space `auto` searches exhaustively."""
    feasible_if: Literal["estimate", "lower_bound"] = "estimate"
    """A chance constraint holds when its estimated probability is at least `p` (`estimate`),
    or when the lower end of its 95% Wilson interval is (`lower_bound`: surer, costlier)."""
