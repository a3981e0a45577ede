"""Shared test helpers: the story scenario, building small scenarios from dicts, paths.

Test modules import from here, never from `conftest` or from each other."""

from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sim.engine import Random, apply_status, build_plan, simulate
from sim.engine.realize import Streams, realization
from sim.engine.recorder import Recorder
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
EXAMPLE = SCENARIOS / "example.yaml"

STORY: dict[str, Any] = {
    "scenario": {"name": "story", "start": "2026-01-01", "end": "2026-12-31", "step": "day"},
    "sites": {
        "s": {
            "grid": [{"name": "g", "mw": 10, "energized": "2026-01-01"}],
            "crews": {"count": 1, "racks_per_week": 7, "lot_racks": 7},
            "halls": {
                "h": {
                    "it_mw": 2,
                    "gross_mw": 3,
                    "construction": {"start": "2026-01-01", "duration": "30d"},
                    "commissioning": "10d",
                }
            },
        }
    },
    "platforms": {"p": {"gpus_per_rack": 72, "it_kw_per_rack": 100, "burn_in": "3d"}},
    "deliveries": {
        "d": {"platform": "p", "site": "s", "tranches": [{"date": "2026-01-21", "racks": 14}]}
    },
    "contracts": {
        "c": {
            "kind": "gpu_cloud",
            "site": "s",
            "price_usd_per_gpu_hour": 1.0,
            "term": "1y",
            "tranches": [{"racks": 14, "due": "2026-03-01"}],
        }
    },
}
"""One grid phase, one hall, one delivery, one crew: every date is computable by hand."""


def scenario_from(base: dict[str, Any], **changes: Any) -> Scenario:
    """A validated scenario from ``base`` with key-path changes, written with double
    underscores because they are keyword arguments: ``sites__s__crews__count=2``."""
    data = copy.deepcopy(base)
    for dotted, value in changes.items():
        node = data
        parts = dotted.split("__")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return Scenario.model_validate(data)


EXAMPLE_PLOTS = [
    "north.png",
    "portfolio.png",
    "revenue.png",
    "south.png",
    "transition_north.png",
    "transition_south.png",
]
"""The charts `dcsim run` draws for the example scenario."""


def unwritable_folder(tmp_path: Path) -> Path:
    """A results folder no one may create: under a read-only folder, or under sysfs for
    root (who writes anywhere a mode allows; sysfs refuses even root)."""
    if os.geteuid() == 0:
        parent = Path("/sys")
    else:
        parent = tmp_path / "locked"
        parent.mkdir()
        parent.chmod(0o500)
    return parent / "dcsim-results"


def dcsim_path() -> str:
    """The installed `dcsim` console script, next to this interpreter."""
    found = shutil.which("dcsim", path=str(Path(sys.executable).parent)) or shutil.which("dcsim")
    if found is None:
        pytest.fail("the dcsim console script is not installed; run `pip install -e '.[test]'`")
    return found


def dcsim(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `dcsim` entry point; deprecation warnings from sim are errors."""
    return subprocess.run(
        [dcsim_path(), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning:sim"},
    )


def processes_mentioning(marker: str) -> list[str]:
    """Command lines of live processes that mention ``marker`` (e.g. a unique out path)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline and proc.name.isdigit():
            found.append(f"{proc.name}: {cmdline}")
    return found


def children(pid: int | str = "self") -> list[int]:
    """The processes ``pid`` forked and has not reaped, zombies included.

    A thread may end between listing ``/proc/<pid>/task`` and reading its ``children``,
    and the process itself may end meanwhile: what has gone has no children to report."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue  # the thread ended meanwhile
    return found


@cache
def synthetic() -> ModuleType:
    """bench/synthetic.py, the generator of large portfolios, as a module."""
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "bench" / "synthetic.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def simulated(scenario: Scenario, streams: Streams | None) -> tuple[Scenario, Recorder]:
    """``scenario`` realized and simulated: the plan run (``streams`` None), else the
    replication those streams draw; its concrete scenario and what the engine recorded."""
    concrete, _, copied = realization(scenario, streams)
    plan = apply_status(build_plan(concrete, copied), concrete)
    return concrete, simulate(plan, Random(streams) if streams is not None else None)
