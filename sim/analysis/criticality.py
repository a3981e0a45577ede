"""The criticality index: which pipeline stage set each contract tranche's fill date.

The engine notes, for every tranche it fills, the stage that set the time of the units that
filled it (`sim.engine.vocabulary.Stage`; the rule is in docs/criticality.md). One run gives
one stage per tranche (or `not_filled` when the tranche is not filled in the horizon); over
Monte Carlo replications, the share of replications for each stage is the tranche's
criticality index, and the shares of a tranche add up to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import pandas as pd

from sim.engine.recorder import Recorder
from sim.engine.vocabulary import Stage
from sim.scenario.schema import Scenario
from sim.scenario.topology import tranches

NOT_FILLED = "not_filled"
"""A tranche not filled in the horizon: no stage set its date."""
STAGES = [*(str(s) for s in Stage), NOT_FILLED]
"""Every value a tranche's critical stage can take, in pipeline order."""
COLUMNS = ["contract", "tranche", "stage", "share"]


def tranche_key(contract: str, number: int) -> str:
    return f"{contract}.tranche_{number}"


def critical_stages(scenario: Scenario, recorder: Recorder) -> dict[str, str]:
    """``<contract>.tranche_<n>`` -> the stage that set its fill date in this run, for every
    tranche of every contract (`NOT_FILLED` when the run did not fill it)."""
    critical = recorder.critical
    return {
        key: str(critical.get(at, NOT_FILLED))
        for name, contract in scenario.contracts.items()
        for key, at in _keys(name, len(tranches(contract)))
    }


@lru_cache(maxsize=4096)
def _keys(contract: str, n: int) -> tuple[tuple[str, tuple[str, int]], ...]:
    """(`tranche_key`, the engine's key) of each of ``n`` tranches of ``contract``."""
    return tuple((tranche_key(contract, i), (contract, i)) for i in range(1, n + 1))


def criticality_table(scenario: Scenario, runs: Sequence[dict[str, str]]) -> pd.DataFrame:
    """Per contract tranche and stage (every stage, in pipeline order): the share of
    ``runs`` (one `critical_stages` per replication) in which that stage set the tranche's
    fill date."""
    rows = []
    n = len(runs)
    for name, contract in scenario.contracts.items():
        for i in range(1, len(tranches(contract)) + 1):
            key = tranche_key(name, i)
            counts = {stage: 0 for stage in STAGES}
            for run in runs:
                counts[run[key]] += 1
            rows += [
                {"contract": name, "tranche": i, "stage": stage, "share": count / n if n else 0.0}
                for stage, count in counts.items()
            ]
    return pd.DataFrame(rows, columns=COLUMNS)


def criticality_summary(table: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """JSON-ready: contract -> `tranche_<n>` -> stage -> share (stages with a share only)."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    columns = (table[c].tolist() for c in COLUMNS)
    for contract, tranche, stage, share in zip(*columns, strict=True):
        if share > 0:
            shares = out.setdefault(str(contract), {}).setdefault(f"tranche_{tranche}", {})
            shares[str(stage)] = float(share)
    return out
