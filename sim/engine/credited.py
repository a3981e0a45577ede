"""A contract ledger that starts from recorded acceptances (a status update's tranche
`accepted` of a GPU contract): the recorded units count on their dates, and as many units
accepted later in the halls are not counted again."""

from __future__ import annotations

from dataclasses import dataclass

from sim.engine.ledger import Ledger
from sim.units import Days


@dataclass
class CreditedLedger(Ledger):
    credit: float = 0.0
    """Units recorded as accepted that hall acceptances have not yet matched."""

    def record(self, t: Days, units: float, gpus_per_unit: float) -> None:
        """Units of the contract recorded as accepted at ``t``."""
        self.credit += units
        super().deliver(t, units, gpus_per_unit)

    def deliver(self, t: Days, units: float, gpus_per_unit: float) -> None:
        matched = min(units, self.credit)
        self.credit -= matched
        if units - matched > 0:
            super().deliver(t, units - matched, gpus_per_unit)
