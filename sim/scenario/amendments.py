"""A contract as amended: every tranche it ever has (those written, then those amendments
add, in amendment order), when each is in force, and the terms in force from each amendment.

An amendment takes effect on its `date`: what is billed before it follows the old terms.
A tranche it adds is in force from that date (due at its `due`, or on the amendment date if
that is later); a tranche it removes takes no more units from that date, and what of it was
not delivered by then is no longer owed. The engine, the money and the reports all read a
contract's tranches through here, so they agree on which tranche is which (added tranches
are numbered after the written ones).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sim.scenario.schema import Contract
from sim.scenario.schema.contract import ColocationContract, ColoTranche, GpuTranche


@dataclass(frozen=True)
class Window:
    """When a tranche is in force: from ``opens`` (None: as written) until ``closes``
    (None: never removed)."""

    opens: dt.date | None = None
    closes: dt.date | None = None


@dataclass(frozen=True)
class Terms:
    """The terms in force from ``begin`` (None: the contract as written)."""

    begin: dt.date | None
    term: float
    """Billing term of each unit, in days."""
    value_usd: float | None
    """A new total value set on ``begin`` (the written value for the first terms)."""
    price: float | None
    """A new price per GPU-hour (GPU cloud) or first-year rent per MW (colocation)."""
    in_force: tuple[int, ...]
    """Tranches (positions in `all_tranches`) in force from ``begin``."""


def all_tranches(contract: Contract) -> list[GpuTranche | ColoTranche]:
    """The tranches written, then those each amendment adds, in order."""
    out: list[GpuTranche | ColoTranche] = list(contract.tranches)
    for amendment in contract.amendments:
        out += amendment.add_tranches
    return out


def windows(contract: Contract) -> list[Window]:
    """When each tranche of `all_tranches` is in force."""
    opens: list[dt.date | None] = [None] * len(contract.tranches)
    closes: list[dt.date | None] = [None] * len(contract.tranches)
    for amendment in contract.amendments:
        for index in amendment.remove_tranches:
            if index < len(closes) and closes[index] is None:
                closes[index] = amendment.date
        opens += [amendment.date] * len(amendment.add_tranches)
        closes += [None] * len(amendment.add_tranches)
    return [Window(o, c) for o, c in zip(opens, closes, strict=True)]


def terms(contract: Contract) -> list[Terms]:
    """The contract's terms as written, then from each amendment's date (later amendments
    on the same date override earlier ones)."""
    price = (
        contract.rent_usd_per_mw_year
        if isinstance(contract, ColocationContract)
        else contract.price_usd_per_gpu_hour
    )
    in_force = list(range(len(contract.tranches)))
    out = [Terms(None, contract.term, contract.value_usd, price, tuple(in_force))]
    added = len(contract.tranches)
    for amendment in contract.amendments:
        removed = set(amendment.remove_tranches)
        in_force = [i for i in in_force if i not in removed]
        in_force += list(range(added, added + len(amendment.add_tranches)))
        added += len(amendment.add_tranches)
        new_price = (
            amendment.rent_usd_per_mw_year  # type: ignore[union-attr]
            if isinstance(contract, ColocationContract)
            else amendment.price_usd_per_gpu_hour  # type: ignore[union-attr]
        )
        term = amendment.term if amendment.term is not None else out[-1].term
        out.append(Terms(amendment.date, term, amendment.value_usd, new_price, tuple(in_force)))
    return out
