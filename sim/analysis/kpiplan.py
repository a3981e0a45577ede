"""What a run's KPIs read from its scenario alone, worked out once per contract: each
tranche's due date (as contracted and as revised), the delivery on plan, and the revenue that
plan earns in the horizon (the revenue lost to slips is that, less the revenue earned).

A Monte Carlo replication has a concrete scenario of its own, but it shares every part no
draw lands in with the scenario it was drawn from (`sim.engine.inputs`): the contracts, the
horizon and the status are the same objects in every replication, unless a contract holds a
drawn input itself (an uncertain acceptance), when it is copied. So a contract's plan is
kept per (contract, horizon, status) objects, found again by their identity while all of
them live, and worked out afresh for any other objects. The cache holds weak references
only: no plan keeps a scenario alive, and a plan is forgotten when one of its objects dies
(so a new object at the same address never finds it). Scenarios are immutable, so the same
objects always give the same plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.analysis.money import Billing, billing, due_schedule
from sim.analysis.revised import revised_due
from sim.analysis.sitetotals import usd
from sim.identitycache import IdentityCache
from sim.scenario.amendments import all_tranches
from sim.scenario.schema import Scenario
from sim.units import to_days

PLANNED_MEMO = 256
"""At most this many revenues on plan are kept per contract plan (one per GPUs-per-unit and
billed share: a contract billing available GPUs bills a different share in most runs)."""


@dataclass(frozen=True)
class ContractPlan:
    """One contract's KPI inputs that depend on the scenario only (days since its start)."""

    due: tuple[float, ...]
    """Each tranche's contracted due date (`sim.scenario.topology.tranches` order)."""
    revised_due: tuple[float, ...]
    """Each tranche's due date in force at the data date (`sim.analysis.revised`)."""
    schedule: tuple[np.ndarray, np.ndarray]
    """(due times, units due) of delivery on plan (`sim.analysis.money.due_schedule`)."""
    end: np.ndarray
    """The end of the horizon's last day, as a one-time grid."""
    planned: dict[tuple[float, float], float] = field(default_factory=dict, compare=False)
    """(GPUs per unit due, share billed) -> revenue on plan in the horizon, to the cent."""


_PLANS: IdentityCache[ContractPlan] = IdentityCache()


def contract_plan(scenario: Scenario, name: str) -> ContractPlan:
    """The plan of contract ``name`` of ``scenario`` (worked out on first use; kept while
    the contract, the horizon and the status objects it was worked out from live)."""
    contract = scenario.contracts[name]
    owners: tuple[Any, ...] = (contract, scenario.scenario)
    if scenario.status is not None:
        owners += (scenario.status,)
    return _PLANS.get(owners, lambda: _plan(scenario, name), (name,))


def _plan(scenario: Scenario, name: str) -> ContractPlan:
    info = scenario.scenario
    start = info.start
    written = all_tranches(scenario.contracts[name])
    end = np.array([to_days(info.end, start) + 1.0])
    end.flags.writeable = False  # shared by every run of the contract
    schedule = due_schedule(scenario.contracts[name], start)
    for array in schedule:
        array.flags.writeable = False
    return ContractPlan(
        due=tuple(to_days(t.due, start) for t in written),
        revised_due=tuple(
            to_days(revised_due(scenario, name, i), start) for i in range(len(written))
        ),
        schedule=schedule,
        end=end,
    )


def revenue_on_plan(scenario: Scenario, name: str, per_unit: float, billed: float) -> float:
    """Revenue in the horizon, to the cent, of contract ``name`` delivered on plan (every
    tranche on its due date) billing ``billed`` of its ``per_unit`` GPUs per unit, as
    `sim.analysis.kpis.actual_and_planned` bills it; kept in the contract's plan."""
    return _on_plan(scenario, name, contract_plan(scenario, name), per_unit, billed)


def _on_plan(
    scenario: Scenario, name: str, plan: ContractPlan, per_unit: float, billed: float
) -> float:
    found = plan.planned.get((per_unit, billed))
    if found is not None:
        return found
    due_t, due_u = plan.schedule
    contract = scenario.contracts[name]
    start = scenario.scenario.start
    planned = billing(contract, start, due_t, due_u, due_u * per_unit * billed, per_unit)
    value = usd(planned.cumulative(plan.end)[0])
    if len(plan.planned) < PLANNED_MEMO:
        plan.planned[(per_unit, billed)] = value
    return value


def billed_share(units: np.ndarray, gpus: np.ndarray, per_unit: float) -> float:
    """The share of the delivered units' GPUs (``per_unit`` GPUs a unit) that bills: 1 for
    a contract with no GPUs per unit or no deliveries."""
    delivered = float(units.sum()) * per_unit
    return float(gpus.sum()) / delivered if delivered else 1.0


def lost_to_slips(
    scenario: Scenario,
    name: str,
    counted: tuple[np.ndarray, np.ndarray, np.ndarray],
    per_unit: float,
    actual: Billing | None = None,
) -> float:
    """Revenue lost to slips of contract ``name`` in the horizon, to the cent: its revenue
    had every tranche been delivered on its due date, billing the same share of its GPUs as
    the run (so that it counts slips only), less the revenue it earned. From its
    ``counted`` deliveries (times, units, GPUs in time order), ``per_unit`` GPUs per unit
    due, and their billing (``actual``, when the caller has it); the revenue on plan kept in
    its plan."""
    plan = contract_plan(scenario, name)
    times, units, gpus = counted
    if actual is None:
        contract = scenario.contracts[name]
        actual = billing(contract, scenario.scenario.start, times, units, gpus, per_unit)
    planned = _on_plan(scenario, name, plan, per_unit, billed_share(units, gpus, per_unit))
    return usd(planned - usd(actual.cumulative(plan.end)[0]))
