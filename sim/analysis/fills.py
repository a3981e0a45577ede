"""When a run's contracts were filled and delivered: the engine's fill and unit records
grouped by contract in one pass each (a portfolio of thousands of contracts must not scan
every record per contract)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np

from sim.engine.recorder import Recorder
from sim.scenario.amendments import windows
from sim.scenario.schema import Contract
from sim.scenario.topology import tranches


def fill_times(recorder: Recorder) -> dict[str, dict[int, float]]:
    """Contract -> tranche number -> when the engine's ledger recorded it filled (one pass)."""
    out: dict[str, dict[int, float]] = {}
    for t, name, number in recorder.fills:
        out.setdefault(name, {})[number] = t
    return out


def tranche_fills(
    contract: Contract, filled: Mapping[int, float], end: dt.date = dt.date.max
) -> tuple[list[float | None], float | None]:
    """When each tranche of ``contract`` was filled (in file order, then those added by
    amendments; None if never) and when the whole contract was (every tranche filled, but
    those an amendment removed before they were, or adds only after the horizon ``end``),
    from its `fill_times` (`sim.engine.ledger`)."""
    fills: list[float | None] = [filled.get(i + 1) for i in range(len(tranches(contract)))]
    done = [t for t in fills if t is not None]
    owed = [
        t
        for t, w in zip(fills, windows(contract), strict=True)
        if t is not None or (w.closes is None and (w.opens is None or w.opens <= end))
    ]
    return fills, (max(done) if done and len(done) == len(owed) else None)


def deliveries(recorder: Recorder) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Contract -> (times, units, GPUs) of the units counted for it, in time order."""
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for t, name, units, gpus in recorder.units:
        rows.setdefault(name, []).append((t, units, gpus))
    out = {}
    for name, mine in rows.items():
        a = np.array(mine, dtype=float).reshape(-1, 3)
        a = a[np.argsort(a[:, 0], kind="stable")]
        out[name] = (a[:, 0], a[:, 1], a[:, 2])
    return out


NO_DELIVERIES = (np.zeros(0), np.zeros(0), np.zeros(0))
