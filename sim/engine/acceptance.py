"""Customer acceptance during a run: units ready wait for the customer, per lot, per tranche
or per hall, then are accepted after the contract's acceptance duration.

Only accepted units count: they fill the contract's tranches (the ledger), bill and come
online. With a status update, nothing unrecorded is accepted before the data date.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from sim.engine.ledger import due_order
from sim.engine.plan import ContractPlan
from sim.engine.rollout import AcceptancePlan
from sim.engine.vocabulary import Stage
from sim.units import QUANTITY_EPS, Days

Accept = Callable[[Stage], None]
"""Accepts one block of ready units (called at the moment of acceptance with the stage that
set that moment)."""
Block = tuple[Accept, Stage]
"""A block of ready units waiting: how to accept it, and the stage that set its readiness."""


class Acceptor:
    """The units of one contract waiting for acceptance."""

    def __init__(self, env: simpy.Environment, contract: ContractPlan, not_before: Days | None):
        self.env = env
        self.not_before = not_before
        order = due_order(contract)  # readiness is counted contract-wide
        plans = dict(zip(contract.tranches, contract.acceptance, strict=True))
        self._plans: list[AcceptancePlan] = [plans[t] for t in order]
        self._thresholds: list[float] = []
        total = 0.0
        for tranche in order:
            total += tranche.units
            self._thresholds.append(total)
        self.ready_units = 0.0
        self._next = 0  # the tranche being filled, in fill order
        self._pool: list[Block] = []
        self._halls: dict[str, list[Block]] = {}
        self._hall_wait: dict[str, Days] = {}

    def _current(self) -> AcceptancePlan:
        return self._plans[min(self._next, len(self._plans) - 1)]

    def _advance(self) -> bool:
        """Count tranches now wholly ready; True when at least one became so."""
        moved = False
        while self._next < len(self._thresholds) and (
            self.ready_units >= self._thresholds[self._next] - QUANTITY_EPS
        ):
            self._next += 1
            moved = True
        return moved

    def counted(self, units: float) -> None:
        """Units accepted outside this acceptor (a recorded acceptance) still fill tranches."""
        self.ready_units += units
        self._advance()

    def ready(self, hall: str, units: float, accept: Accept, stage: Stage) -> None:
        """``units`` of ``hall`` are ready, at a time ``stage`` set; ``accept`` accepts them
        when the customer does."""
        plan = self._current()
        beyond = self._next >= len(self._thresholds)
        self.ready_units += units
        filled = self._advance()
        if plan.per == "lot" or beyond:
            self._release([(accept, stage)], plan.duration)
        elif plan.per == "tranche":
            self._pool.append((accept, stage))
            if filled:
                pool, self._pool = self._pool, []
                self._release(pool, plan.duration)
        else:
            self._halls.setdefault(hall, []).append((accept, stage))
            self._hall_wait[hall] = max(self._hall_wait.get(hall, 0.0), plan.duration)

    def hall_complete(self, hall: str) -> None:
        """Every unit of ``hall`` is ready: a per-hall acceptance can start."""
        pool = self._halls.pop(hall, [])
        if pool:
            self._release(pool, self._hall_wait.pop(hall))

    def _release(self, blocks: list[Block], duration: Days) -> None:
        self.env.process(self._accept_later(blocks, duration))

    def _accept_later(self, blocks: list[Block], duration: Days):  # type: ignore[no-untyped-def]
        """Accept ``blocks`` (in the order they were ready) ``duration`` from now. The last
        block's readiness released them all: the others waited for it, held by the
        customer's acceptance of the whole tranche or hall."""
        t = self.env.now + duration
        if self.not_before is not None:
            t = max(t, self.not_before)
        yield self.env.timeout(t - self.env.now)
        for i, (accept, stage) in enumerate(blocks):
            accept(stage if i == len(blocks) - 1 else Stage.ACCEPTANCE)
