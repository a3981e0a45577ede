"""The package structure: the pipeline's stages import one way, never in a circle, never
each other's private names, and no module grows past 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

SIM = ROOT / "sim"

STAGES = [
    ("sim.units", "sim.errors", "sim.gcpause", "sim.pools", "sim.progress", "sim.identitycache"),
    ("sim.scenario",),
    ("sim.calibration",),
    ("sim.engine",),
    ("sim.analysis",),
    ("sim.montecarlo",),
    ("sim.result", "sim.since"),
    ("sim.runner",),
    ("sim.compare",),
    ("sim.workbench",),
    ("sim.outputs",),
    ("sim.cli", "sim.cli_compare", "sim.cli_workbench", "sim.cliargs", "sim.__main__"),
]
"""The pipeline from the bottom up: a module may import its own stage and the stages below."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> int:
    for level, prefixes in enumerate(STAGES):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    raise AssertionError(f"{module} belongs to no stage of the pipeline; add it to STAGES")


def imports_of(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) for every `import`/`from ... import` of sim, at any
    depth (functions and TYPE_CHECKING blocks included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [alias.name for alias in node.names]
            if node.module == "sim":
                found += [(f"sim.{n}", [], node.lineno) for n in names]
            elif node.module.startswith("sim."):
                found.append((node.module, names, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("sim.")]
    return found


SOURCES = sorted(p for p in SIM.rglob("*.py") if p.name != "__init__.py" or p.parent != SIM)
TESTS = sorted((ROOT / "tests").glob("*.py"))


def test_every_module_belongs_to_a_stage() -> None:
    for path in SOURCES:
        stage_of(module_name(path))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down_the_pipeline(path: Path) -> None:
    here = module_name(path)
    for module, _, line in imports_of(path):
        if module in ("sim", "sim.__init__"):
            continue
        assert stage_of(module) <= stage_of(here), (
            f"{path.relative_to(ROOT)}:{line} imports {module}, a later stage of the pipeline"
        )


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in ``graph`` (a list of nodes, first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def module_graph() -> dict[str, set[str]]:
    known = {module_name(p): p for p in SOURCES}
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = set()
        for module, names, _ in imports_of(path):
            for candidate in (*(f"{module}.{n}" for n in names), module):
                if candidate in known and candidate != name:
                    targets.add(candidate)
                    break
        graph[name] = targets
    return graph


def test_no_import_cycle_between_modules() -> None:
    cycle = find_cycle(module_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_checks_can_fail() -> None:
    """The cycle finder finds a planted cycle, and a later stage ranks above an earlier one."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert stage_of("sim.outputs.files") > stage_of("sim.result") > stage_of("sim.engine.site")
    with pytest.raises(AssertionError, match="no stage"):
        stage_of("sim.nowhere")


@pytest.mark.parametrize("path", SOURCES + TESTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_name_crosses_a_module(path: Path) -> None:
    for module, names, line in imports_of(path):
        private = [n for n in names if n.startswith("_")]
        assert not private, (
            f"{path.relative_to(ROOT)}:{line} imports {private} from {module}: make it public "
            "or test through the public function"
        )


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_under_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines < 400, f"{path.relative_to(ROOT)} has {lines} lines: split it by job"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_touches_pyplot(path: Path) -> None:
    """Figures use matplotlib's object API on the Agg canvas: pyplot's global state would
    leak between runs in one process (a notebook) and between forked workers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [
        f"{n.module}.{a.name}"
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        for a in n.names
    ]
    assert not [name for name in names if "pyplot" in name], path
