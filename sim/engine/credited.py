"""A contract ledger that starts from recorded acceptances (a status update's tranche
`accepted` of a GPU contract): the recorded units count on their dates, and as many units
accepted later in the halls are not counted again.

A recorded acceptance of a tranche that names a hall counts as that hall's units and is
matched by that hall's later acceptances; one of a tranche naming no hall fills the tranches
naming no hall and is matched by any hall's acceptances (after the hall's own credit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.engine.ledger import Ledger
from sim.engine.vocabulary import Stage
from sim.units import Days


@dataclass
class CreditedLedger(Ledger):
    credit: dict[str | None, float] = field(default_factory=dict)
    """Hall (None: any hall) -> units recorded as accepted that hall acceptances have not yet
    matched."""

    def record(self, t: Days, units: float, gpus_per_unit: float, hall: str | None) -> None:
        """Units of the contract recorded as accepted at ``t`` (``hall``: the tranche's)."""
        self.credit[hall] = self.credit.get(hall, 0.0) + units
        super().deliver(t, units, gpus_per_unit, hall, Stage.RECORDED)

    def deliver(
        self, t: Days, units: float, gpus_per_unit: float, hall: str | None, stage: Stage
    ) -> None:
        left = units
        for key in dict.fromkeys([hall, None]):
            matched = min(left, self.credit.get(key, 0.0))
            if matched > 0.0:
                self.credit[key] -= matched
                left -= matched
        if left > 0:
            super().deliver(t, left, gpus_per_unit, hall, stage)
