"""What a run's money tables share, worked out once from its records: each contract's
deliveries and how they bill, and each site's installation campaign.

A run builds its money on more than one grid (the timeline at its step, and the monthly
cash flows behind the NPVs; a Monte Carlo replication the same two). None of this depends on
the grid, so it is worked out once per run, and each grid only evaluates it at its times
(`sim.analysis.timeline.compute_arrays`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.analysis.crewcost import campaigns
from sim.analysis.money import Billing, Dropped, Prepayment, billing, owed_schedule, prepayment
from sim.engine.recorder import Recorder
from sim.scenario.schema import Contract, Scenario
from sim.scenario.topology import due_gpus_per_unit


@dataclass(frozen=True)
class ContractRun:
    """One contract in one run: its counted deliveries, in recording order, and what bills."""

    name: str
    contract: Contract
    times: np.ndarray
    units: np.ndarray
    gpus: np.ndarray
    dropped: Dropped
    """Tranches an amendment removed (`Recorder.dropped`)."""
    owed: tuple[np.ndarray, np.ndarray]
    """(times, changes) of the units owed (`sim.analysis.money.owed_schedule`)."""
    gpus_per_unit: float
    billing: Billing
    counted: tuple[np.ndarray, np.ndarray, np.ndarray]
    """(times, units, GPUs) in time order, as `sim.analysis.fills.deliveries` sorts them:
    the same arrays when they were recorded in time order."""
    billed: Billing
    """What bills from ``counted``: `billing` when ``counted`` are the same arrays (the KPIs'
    revenue lost to slips)."""
    prepaid: Prepayment | None
    """Its prepayments (`sim.analysis.money.prepayment`; None: it has none)."""


@dataclass(frozen=True)
class RunMoney:
    """The grid-free parts of a run's money tables."""

    contracts: list[ContractRun]
    """In the scenario's order."""
    campaigns: dict[str, tuple[float, float]]
    """Site -> its installation campaign (`sim.analysis.crewcost.campaigns`)."""

    @cached_property
    def units(self) -> Steps:
        """Every contract's changes of the units owed (rows 0 to k - 1, in the contracts'
        order), then its deliveries (rows k to 2k - 1), its row's number beside each."""
        owed = [c.owed for c in self.contracts]
        return _steps([*owed, *((c.times, c.units) for c in self.contracts)])


Steps = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(times, row numbers, amounts) of several step functions' changes, one row each, each
row's changes in their own order: what `sim.analysis.contractarrays` sums on a grid."""


def _steps(rows: list[tuple[np.ndarray, np.ndarray]]) -> Steps:
    numbers = np.repeat(np.arange(len(rows), dtype=np.int64), [len(t) for t, _ in rows])
    if not rows:
        return np.zeros(0), numbers, np.zeros(0)
    return np.concatenate([t for t, _ in rows]), numbers, np.concatenate([a for _, a in rows])


def run_money(scenario: Scenario, recorder: Recorder) -> RunMoney:
    """The contracts' deliveries and billing, and the sites' campaigns, of one run."""
    start = scenario.scenario.start
    by_contract: dict[str, list[tuple[float, float, float]]] = {n: [] for n in scenario.contracts}
    for when, name, units, gpus in recorder.units:
        by_contract[name].append((when, units, gpus))
    dropped_by = recorder.dropped_by_contract()
    contracts = []
    for name, contract in scenario.contracts.items():
        rows = np.array(by_contract[name], dtype=float).reshape(-1, 3)
        t, u, g = rows[:, 0], rows[:, 1], rows[:, 2]
        dropped = dropped_by.get(name, [])
        per_unit = due_gpus_per_unit(scenario, name)
        bills = billing(contract, start, t, u, g, per_unit)
        counted, billed = (t, u, g), bills
        if (np.diff(t) < 0).any():  # a stable sort, as `deliveries` does
            order = np.argsort(t, kind="stable")
            counted = (t[order], u[order], g[order])
            billed = billing(contract, start, *counted, per_unit)
        owed = owed_schedule(contract, start, dropped)
        prepaid = prepayment(contract, start, t, u, per_unit, dropped)
        contracts.append(
            ContractRun(
                name, contract, t, u, g, dropped, owed, per_unit, bills, counted, billed, prepaid
            )
        )
    return RunMoney(contracts, campaigns(recorder, list(scenario.sites)))
