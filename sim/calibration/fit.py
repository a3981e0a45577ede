"""Maximum-likelihood fit of normal slip distributions to exact, interval and censored records.

Slips are in days and can be negative (early), so the family is a normal in days: it takes
early and late milestones alike, and with a handful of records per kind there is nothing to
support a heavier or skewed tail. Each record adds to the log-likelihood:

- an exact slip x: log pdf(x);
- a range [a, b] ("early 2027"): log(cdf(b) - cdf(a));
- a censored record, "not done by a date", slip > a: log sf(a).

Records are grouped by kind. A kind with at least `MIN_OWN` records that have an upper bound
(an actual date or range) gets its own centre; the records of thinner kinds form one more
group, so they inform the spread without pulling any kind's centre. The spread is one for
every group (no kind has enough records to support its own) and is corrected for the
centres fitted: the variance times n / (n - k), as in the unbiased sample variance, with n
the records that have an upper bound and k the centres. A thin kind's prior is the pooled
prior, `any_buildout`: one centre and one spread fitted to every record.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from sim.calibration.records import Record
from sim.errors import Problem, ScenarioError

POOLED = "any_buildout"
"""The prior fitted to every record together."""

MIN_OWN = 2
"""Records with an upper bound a kind needs for a centre of its own (one record is not a
centre, it is an anecdote)."""

_THIN = "(thin kinds)"

SD_FLOOR = 1.0
"""The least spread fitted, in days: a date is known to the day, so records that all slip by
the same number of days say the spread is below a day, not that it is nil (a spread of 0
made every draw the same and scipy warn of a division by zero)."""


@dataclass(frozen=True)
class Fit:
    """A fitted normal slip distribution (days) and what it rests on."""

    name: str
    mean: float
    sd: float
    records: int
    """Records of this kind (or all records, for the pooled prior)."""
    spread_from: int
    """Records the spread rests on."""
    pooled: bool
    """True when the centre comes from all records (the kind had too few of its own)."""

    def quantile(self, p: float) -> float:
        return float(stats.norm.ppf(p, self.mean, self.sd))

    def cdf(self, x: float) -> float:
        return float(stats.norm.cdf(x, self.mean, self.sd))


def log_likelihood(records: Sequence[Record], means: Sequence[float], sd: float) -> float:
    """The log-likelihood of the records, each under a normal(mean, sd) of its own mean."""
    lo = np.array([r.lo for r in records], dtype=float)
    hi = np.array([r.hi for r in records], dtype=float)
    mu = np.asarray(means, dtype=float)
    exact, censored = lo == hi, np.isinf(hi)
    ranged = ~exact & ~censored
    total = float(stats.norm.logpdf(lo[exact], mu[exact], sd).sum())
    total += float(stats.norm.logsf(lo[censored], mu[censored], sd).sum())
    p = stats.norm.cdf(hi[ranged], mu[ranged], sd) - stats.norm.cdf(lo[ranged], mu[ranged], sd)
    return total + float(np.log(np.maximum(p, 1e-300)).sum())


def _guess(record: Record) -> float:
    return record.lo if record.exact or record.censored else (record.lo + record.hi) / 2.0


def too_few(dated: int, bounded: int) -> str:
    """ "3 dated records, 1 with an actual date or range, are too few" (the subject of a
    message that says what they are too few for)."""
    if dated == bounded:
        return "1 dated record is too few" if dated == 1 else f"{dated} dated records are too few"
    noun = "record" if dated == 1 else "records"
    verb = "is" if dated == 1 else "are"
    return f"{dated} dated {noun}, {bounded} with an actual date or range, {verb} too few"


def fit_groups(
    records: Sequence[Record], groups: Sequence[str], source: str = "(records)"
) -> tuple[dict[str, float], float]:
    """Maximum-likelihood centres (one per group name, given per record) and one spread."""
    names = sorted(set(groups))
    index = [names.index(g) for g in groups]
    bounded = sum(not r.censored for r in records)
    if bounded <= len(names):
        if len(names) == 1:
            what, hint = "a centre and a spread", "add records with an actual date or range"
        else:
            shown = [n for n in names if n != _THIN] + ["the thin kinds"] * (_THIN in names)
            what = f"{len(names)} centres ({', '.join(shown)}) and a spread"
            hint = "add records with an actual date or range, or give fewer kinds"
        raise ScenarioError(
            [
                Problem(
                    source,
                    None,
                    "(fit)",
                    f"{too_few(len(records), bounded)} to fit {what}: that needs at least "
                    f"{len(names) + 1} with an actual date or range",
                    hint,
                )
            ]
        )
    start_means = [
        float(np.mean([_guess(r) for r, i in zip(records, index, strict=True) if i == k]))
        for k in range(len(names))
    ]
    spread = float(np.std([_guess(r) for r in records])) or 30.0

    where = np.array(index)

    def cost(theta: np.ndarray) -> float:
        return -log_likelihood(records, theta[where], _spread(theta))

    start = np.array([*start_means, math.log(spread)])
    best = optimize.minimize(
        cost,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 20000, "maxfev": 20000},
    )
    centres = {name: float(best.x[k]) for k, name in enumerate(names)}
    n = bounded
    return centres, _spread(best.x) * math.sqrt(n / (n - len(names)))


def _spread(theta: np.ndarray) -> float:
    """The spread a fit's parameters stand for: its last, a log, and at least `SD_FLOOR`."""
    return max(math.exp(float(theta[-1])), SD_FLOOR)


def fit_priors(records: Sequence[Record], source: str = "(records)") -> dict[str, Fit]:
    """One prior per kind, and the pooled prior (`any_buildout`) of all records (``source``
    names the records in errors)."""
    if not records:
        raise ScenarioError(
            [
                Problem(
                    source,
                    None,
                    "(fit)",
                    "no dated records to fit",
                    "give records an actual date, a range (actual_from and actual_to) "
                    "or censored_after",
                )
            ]
        )
    kinds = sorted({r.kind for r in records})
    own = [k for k in kinds if sum(not r.censored for r in records if r.kind == k) >= MIN_OWN]
    spread_from = sum(not r.censored for r in records)
    pooled_centre, pooled_sd = fit_groups(records, [POOLED] * len(records), source)
    fits = {POOLED: Fit(POOLED, pooled_centre[POOLED], pooled_sd, len(records), spread_from, True)}
    groups = [r.kind if r.kind in own else _THIN for r in records]
    if set(groups) == {_THIN} or (len(set(groups)) == 1):
        centres, sd = {k: pooled_centre[POOLED] for k in own}, pooled_sd
    else:
        centres, sd = fit_groups(records, groups, source)
    for kind in kinds:
        n = sum(r.kind == kind for r in records)
        if kind in own:
            fits[kind] = Fit(kind, centres[kind], sd, n, spread_from, False)
        else:
            fits[kind] = Fit(kind, pooled_centre[POOLED], pooled_sd, n, spread_from, True)
    return fits
