"""dcsim: a discrete-event simulator for phased data-center capacity roll-outs.

    import sim
    result = sim.run(sim.load("scenarios/example.yaml"))
    result.timeline   # pandas DataFrame

Heavy modules (pandas, matplotlib, the engine) load on first use, so `import sim` and
`dcsim validate` stay fast.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sim.compare import compare
    from sim.errors import Problem, ScenarioError
    from sim.outputs.files import write_run
    from sim.result import Result
    from sim.runner import run
    from sim.scenario.loader import load, load_file
    from sim.scenario.schema import Scenario
    from sim.workbench.search import search
    from sim.workbench.sweep import sweep

_LAZY = {
    "load": "sim.scenario.loader",
    "load_file": "sim.scenario.loader",
    "Scenario": "sim.scenario.schema",
    "ScenarioError": "sim.errors",
    "Problem": "sim.errors",
    "run": "sim.runner",
    "Result": "sim.result",
    "write_run": "sim.outputs.files",
    "compare": "sim.compare",
    "sweep": "sim.workbench.sweep",
    "search": "sim.workbench.search",
}

__all__ = [
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "load",
    "load_file",
    "run",
    "search",
    "sweep",
    "write_run",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found directly from now on
    return value


class _Package(types.ModuleType):
    """`sim.compare` is the function, though `sim/compare.py` is also a module (as `sweep`
    and `search` will be): importing such a module, which binds it on its package, must not
    replace the function of the same name."""

    def __setattr__(self, name: str, value: Any) -> None:
        if _LAZY.get(name) == f"sim.{name}" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
