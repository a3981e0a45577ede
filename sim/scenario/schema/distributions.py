"""Uncertain inputs: distributions for durations and quantities, sampled by inverse CDF.

An uncertain value is written as a mapping with one shape (or none, for a pure risk):

    duration: {pert: [210d, 240d, 330d]}
    slip: {triangular: [0d, 14d, 60d], shared: dell}
    lead_time: {lognormal: {median: 128w, p90: 160w}, risk: {p: 0.1, add: 120d}}
    fallout: {uniform: [0.01, 0.03]}

Every draw is the quantile of one uniform number (plus one per risk event), so inputs that
name the same `shared` key move together (comonotonic), and two variants that share an input
draw the same value for it. Inputs that name common factors with weights
(`correlation: {factors: {campus_childress: 0.6, texas: 0.3}}`) move together partly: their
uniform is first passed through a Gaussian copula on those factors. A deterministic run
uses each distribution's `plan` value: the mode of triangular and PERT, the median of a
lognormal, the middle of a uniform, the mean of a normal (within its bounds); risk events do
not happen in the plan.

Any distribution can be capped and floored: `max: 2y` clamps every draw (risk events
included) to at most two years, `min: 0d` to at least zero. Quantiles below the cap keep
their values (a lognormal's median and p90 still mean what they say); the probability that
lay above the cap sits on the cap. A duration can also name a fitted reference-class prior
(`slip: {prior: later_building}`), resolved to its distribution when the file is loaded
(see `sim.scenario.priors`).
"""

import math
from collections.abc import Sequence
from types import GenericAlias
from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from sim.scenario.priors import resolve_prior
from sim.scenario.schema.base import Name, StrictModel
from sim.scenario.schema.durations import FixedDuration, PositiveDuration, SignedDuration
from sim.units import format_days

Z90 = 1.2815515655446004
"""The standard normal's 90th percentile."""


FixedNumber = Annotated[float, Field(strict=True, allow_inf_nan=False)]


_SHAPES = ("fixed", "uniform", "triangular", "pert", "lognormal", "normal")


def _one_shape(schema: dict[str, Any]) -> None:
    """JSON Schema: one shape at most, and a shape or a risk."""
    shapes = (*_SHAPES, "prior") if "prior" in schema.get("properties", {}) else _SHAPES
    schema["anyOf"] = [{"required": [k]} for k in (*shapes, "risk")]
    pairs = [[a, b] for i, a in enumerate(shapes) for b in shapes[i + 1 :]]
    schema["not"] = {"anyOf": [{"required": pair} for pair in pairs]}


class _DistBase(StrictModel):
    """Shared behaviour of duration and quantity distributions (values in their unit)."""

    model_config = ConfigDict(json_schema_extra=_one_shape)
    RULES = (
        "Give one shape (`fixed`, `uniform`, `triangular`, `pert`, `lognormal` or `normal`), "
        "or only `risk`.",
        "`uniform`: min <= max. `triangular` and `pert`: min <= mode <= max. `lognormal`: "
        "0 < median < p90. `normal`: min < max.",
        "The bounds of the key the distribution stands for apply to every value it can draw, "
        "risk events included: for a lognormal, anything above 0.",
        "`max` caps and `min` floors every draw, risk events included: `min` < `max`, and the "
        "plan value lies between them.",
    )

    if TYPE_CHECKING:
        min: float | None
        max: float | None
        risk: "Sequence[DurationRisk | QuantityRisk]"  # defined below

    def shape(self) -> tuple[str, Any]:
        for name in ("fixed", "uniform", "triangular", "pert", "lognormal", "normal"):
            value = getattr(self, name)
            if value is not None:
                return name, value
        return "fixed", 0.0

    @model_validator(mode="after")
    def _check(self) -> Self:
        given = [
            n
            for n in ("fixed", "uniform", "triangular", "pert", "lognormal", "normal")
            if getattr(self, n) is not None
        ]
        if len(given) > 1:
            raise ValueError(f"give one shape, not {' and '.join(given)}")
        if not given and not self.risk:
            raise ValueError(
                "a distribution needs a shape (fixed, uniform, triangular, pert, lognormal, "
                "normal) or a risk"
            )
        shape, value = self.shape()
        if shape == "uniform" and not value[0] <= value[1]:
            raise ValueError(f"uniform needs min <= max (got {self._show(value)})")
        if shape in ("triangular", "pert") and not value[0] <= value[1] <= value[2]:
            raise ValueError(f"{shape} needs min <= mode <= max (got {self._show(value)})")
        if shape == "lognormal" and not 0 < value.median < value.p90:
            raise ValueError("lognormal needs 0 < median < p90")
        if shape == "normal" and not value.min < value.max:
            raise ValueError("normal needs min < max")
        base = self._plan_of_shape()
        if self.max is not None and not self.max > base:
            raise ValueError(
                f"max (the cap, {self._format(self.max)}) must be above the plan value "
                f"{self._format(base)}"
            )
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError(
                f"min ({self._format(self.min)}) must be below max ({self._format(self.max)})"
            )
        return self

    def _clamp(self, value: float) -> float:
        if self.min is not None:
            value = max(value, self.min)
        if self.max is not None:
            value = min(value, self.max)
        return value

    def _show(self, values: list[float]) -> str:
        return "[" + ", ".join(self._format(v) for v in values) + "]"

    def _format(self, value: float) -> str:
        return f"{value:g}"

    def plan(self) -> float:
        """The value a deterministic run uses (mode, median, middle or mean; no risks),
        within the distribution's `min` and `max`."""
        return self._clamp(self._plan_of_shape())

    def _plan_of_shape(self) -> float:
        shape, v = self.shape()
        if shape == "fixed":
            return float(v)
        if shape == "uniform":
            return float((v[0] + v[1]) / 2.0)
        if shape in ("triangular", "pert"):
            return float(v[1])
        if shape == "lognormal":
            return float(v.median)
        return float(min(max(v.mean, v.min), v.max))

    def quantile(self, u: float) -> float:
        """The base value at cumulative probability ``u`` (0 < u < 1)."""
        from scipy import special

        shape, v = self.shape()
        if shape == "fixed":
            return float(v)
        if shape == "uniform":
            return float(v[0] + u * (v[1] - v[0]))
        if shape == "triangular":
            a, c, b = v
            if b == a:
                return float(a)
            cut = (c - a) / (b - a)
            if u < cut:
                return float(a + math.sqrt(u * (b - a) * (c - a)))
            return float(b - math.sqrt((1 - u) * (b - a) * (b - c)))
        if shape == "pert":
            a, m, b = v
            if b == a:
                return float(a)
            alpha = 1 + 4 * (m - a) / (b - a)
            beta = 1 + 4 * (b - m) / (b - a)
            return float(a + (b - a) * float(special.betaincinv(alpha, beta, u)))
        if shape == "lognormal":
            sigma = (math.log(v.p90) - math.log(v.median)) / Z90
            return float(v.median * math.exp(sigma * float(special.ndtri(u))))
        lo = special.ndtr((v.min - v.mean) / v.sd)
        hi = special.ndtr((v.max - v.mean) / v.sd)
        x = v.mean + v.sd * float(special.ndtri(lo + u * (hi - lo)))
        return float(min(max(x, v.min), v.max))

    def draw(self, base: float, risks: list[float]) -> float:
        """A sample from the base uniform ``base`` and one uniform per risk event, clamped to
        the distribution's `min` and `max`."""
        value = self.quantile(base)
        for risk, u in zip(self.risk, risks, strict=True):
            if u < risk.p:
                value += risk.add
        return self._clamp(value)

    def support(self) -> tuple[float, float]:
        """The smallest and largest values a draw can take (risks included)."""
        shape, v = self.shape()
        if shape == "fixed":
            lo = hi = float(v)
        elif shape in ("uniform", "triangular", "pert"):
            lo, hi = float(v[0]), float(v[-1])
        elif shape == "lognormal":
            lo, hi = 0.0, math.inf
        else:
            lo, hi = float(v.min), float(v.max)
        lo += sum(min(r.add, 0.0) for r in self.risk if r.p > 0)
        hi += sum(max(r.add, 0.0) for r in self.risk if r.p > 0)
        return self._clamp(lo), self._clamp(hi)


class Correlation(StrictModel):
    """Partial correlation through common factors (a Gaussian copula on the input's uniform).

    Each named factor is one standard normal per replication, shared by every input that
    names it; an input's normal score is the weighted sum of its factors plus its own
    independent part, sqrt(1 - sum of squared weights) times its own normal. Two inputs'
    normal scores correlate by the sum over shared factors of the products of their weights
    (0.6 x 0.6 + 0.3 x 0.3 = 0.45 for two halls of one campus, 0.3 x 0.3 = 0.09 for halls
    in two states of one region); their rank (Spearman) correlation is
    (6 / pi) * asin(that / 2)."""

    RULES = ("`factors`: each weight between -1 and 1; the squared weights sum to at most 1.",)

    factors: dict[Name, Annotated[float, Field(ge=-1.0, le=1.0, strict=False)]] = Field(
        min_length=1
    )
    """Factor name -> weight, e.g. `{campus_childress: 0.6, texas: 0.3}`."""

    @model_validator(mode="after")
    def _check(self) -> Self:
        total = sum(w * w for w in self.factors.values())
        if total > 1.0 + 1e-9:
            raise ValueError(
                f"the squared factor weights sum to {total:.3g}; they must sum to at most 1"
            )
        return self

    def own_weight(self) -> float:
        """The weight of the input's own independent normal."""
        return math.sqrt(max(0.0, 1.0 - sum(w * w for w in self.factors.values())))


def risk_list(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


def _one_or_list(model: type) -> BeforeValidator:
    """Accept one ``model`` mapping where a list of them is expected."""
    # `list[model]` spelled as the runtime alias it is: `model` is a variable, not a type.
    return BeforeValidator(risk_list, json_schema_input_type=model | GenericAlias(list, (model,)))


class DurationRisk(StrictModel):
    """A discrete risk event: with probability `p`, the duration grows by `add`."""

    p: float = Field(ge=0.0, le=1.0, strict=True)
    """Probability the event happens in a replication."""
    add: FixedDuration
    """Time it adds when it happens (e.g. a transformer failure: `120d`)."""


class LognormalDuration(StrictModel):
    """A lognormal duration given by its median and 90th percentile."""

    median: FixedDuration
    """Half of the draws are shorter than this."""
    p90: FixedDuration
    """Nine in ten draws are shorter than this."""


class NormalDuration(StrictModel):
    """A normal duration truncated to [min, max]; mean and bounds may be negative (a slip
    can be early), as long as the field it fills allows the values drawn."""

    mean: SignedDuration
    """Mean before truncation."""
    sd: PositiveDuration
    """Standard deviation before truncation."""
    min: SignedDuration = 0.0
    """Lower bound (default 0d)."""
    max: SignedDuration = 36525.0
    """Upper bound (default 100y)."""


class DurationDist(_DistBase):
    """An uncertain duration: one shape, optional risk events, optional shared draw."""

    fixed: FixedDuration | None = None
    """A fixed duration (as if written without a mapping)."""
    uniform: list[FixedDuration] | None = Field(default=None, min_length=2, max_length=2)
    """[min, max], every value equally likely."""
    triangular: list[FixedDuration] | None = Field(default=None, min_length=3, max_length=3)
    """[min, mode, max]."""
    pert: list[FixedDuration] | None = Field(default=None, min_length=3, max_length=3)
    """[min, mode, max]: a beta distribution with most weight near the mode."""
    lognormal: LognormalDuration | None = None
    """{median, p90}: long right tail (lead times)."""
    normal: NormalDuration | None = None
    """{mean, sd, min, max}: truncated to its bounds."""
    risk: Annotated[list[DurationRisk], _one_or_list(DurationRisk)] = Field(default_factory=list)
    """Risk events added on top of the shape (a mapping or a list of them)."""
    shared: Name | None = None
    """Inputs naming the same key draw the same uniform number, so they move together."""
    correlation: Correlation | None = None
    """Partial correlation with other inputs through weighted common factors:
    `{factors: {campus_childress: 0.6, texas: 0.3}}` (docs/calibration.md)."""
    min: SignedDuration | None = None
    """A floor: every draw below it takes this value (e.g. `0d` where an early slip counts
    as on time)."""
    max: FixedDuration | None = None
    """A cap: every draw above it, risk events included, takes this value; it must be above
    the plan value."""
    prior: Name | None = None
    """A reference-class prior shipped with dcsim (docs/calibration.md), in place of a shape:
    `{prior: later_building}`; `shared`, `risk`, `min` and `max` may be added to it."""

    @model_validator(mode="before")
    @classmethod
    def _expand_prior(cls, data: Any) -> Any:
        return resolve_prior(data)

    def _format(self, value: float) -> str:
        return format_days(value)


class QuantityRisk(StrictModel):
    """A discrete risk event: with probability `p`, the quantity changes by `add`."""

    p: float = Field(ge=0.0, le=1.0, strict=True)
    """Probability the event happens in a replication."""
    add: FixedNumber
    """Amount added when it happens (may be negative)."""


class LognormalQuantity(StrictModel):
    """A lognormal quantity given by its median and 90th percentile."""

    median: FixedNumber
    """Half of the draws are below this."""
    p90: FixedNumber
    """Nine in ten draws are below this."""


class NormalQuantity(StrictModel):
    """A normal quantity truncated to [min, max]."""

    mean: FixedNumber
    """Mean before truncation."""
    sd: FixedNumber = Field(gt=0)
    """Standard deviation before truncation."""
    min: FixedNumber = -1e300
    """Lower bound."""
    max: FixedNumber = 1e300
    """Upper bound."""


class QuantityDist(_DistBase):
    """An uncertain quantity: one shape, optional risk events, optional shared draw."""

    fixed: FixedNumber | None = None
    """A fixed value."""
    uniform: list[FixedNumber] | None = Field(default=None, min_length=2, max_length=2)
    """[min, max], every value equally likely."""
    triangular: list[FixedNumber] | None = Field(default=None, min_length=3, max_length=3)
    """[min, mode, max]."""
    pert: list[FixedNumber] | None = Field(default=None, min_length=3, max_length=3)
    """[min, mode, max]: a beta distribution with most weight near the mode."""
    lognormal: LognormalQuantity | None = None
    """{median, p90}: long right tail."""
    normal: NormalQuantity | None = None
    """{mean, sd, min, max}: truncated to its bounds."""
    risk: Annotated[list[QuantityRisk], _one_or_list(QuantityRisk)] = Field(default_factory=list)
    """Risk events added on top of the shape (a mapping or a list of them)."""
    shared: Name | None = None
    """Inputs naming the same key draw the same uniform number, so they move together."""
    correlation: Correlation | None = None
    """Partial correlation with other inputs through weighted common factors."""
    min: FixedNumber | None = None
    """A floor: every draw below it takes this value."""
    max: FixedNumber | None = None
    """A cap: every draw above it, risk events included, takes this value; it must be above
    the plan value."""


Distribution = DurationDist | QuantityDist
