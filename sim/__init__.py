"""dcsim: a discrete-event simulator for phased data-center capacity roll-outs.

    import sim
    result = sim.run(sim.load("scenarios/example.yaml"))
    result.timeline   # pandas DataFrame

Heavy modules (pandas, matplotlib, the engine) load on first use, so `import sim` and
`dcsim validate` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sim.errors import Problem, ScenarioError
    from sim.loader import load, load_file
    from sim.runner import Result, run
    from sim.schema import Scenario

_LAZY = {
    "load": "sim.loader",
    "load_file": "sim.loader",
    "Scenario": "sim.schema",
    "ScenarioError": "sim.errors",
    "Problem": "sim.errors",
    "run": "sim.runner",
    "Result": "sim.runner",
}

__all__ = [
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load",
    "load_file",
    "run",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
