"""Checks of the `search:` block that the schema cannot make: each variable's key path leads
somewhere in the scenario, the objective names a variable or a KPI, and each constraint names
a contract, a tranche or a KPI that exists. (Each value of a variable is checked where it
goes when the search starts, by `sim.workbench.space`.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sim.errors import did_you_mean
from sim.scenario.checks import Finding
from sim.scenario.schema import Scenario
from sim.scenario.variants import parse_path

PORTFOLIO_KPIS = (
    "revenue_usd",
    "gpu_months",
    "peak_facility_mw",
    "idle_mw_days",
    "rack_days_waiting",
    "cash_usd",
    "cost_usd",
    "npv_usd",
)
"""The KPIs an objective or a `kpi` constraint may name, besides `<contract>.revenue_usd` and
`<contract>.npv_usd`: the portfolio KPIs of `sim.analysis.kpis` (a test keeps them equal; the
scenario stage cannot import the analysis stage)."""
CONTRACT_KPIS = ("revenue_usd", "npv_usd")


def kpi_names(scenario: Scenario) -> list[str]:
    """Every KPI a search may optimise or bound."""
    return [*PORTFOLIO_KPIS, *(f"{c}.{k}" for c in scenario.contracts for k in CONTRACT_KPIS)]


def check(scenario: Scenario) -> list[Finding]:
    """Findings for the search block (none without one)."""
    return [] if scenario.search is None else list(_search(scenario))


def _search(scenario: Scenario) -> Iterator[Finding]:
    search = scenario.search
    assert search is not None
    data = scenario.model_dump()
    for key in search.variables:
        problem = _missing(data, key)
        if problem is not None:
            yield Finding(("search", "variables", key), *problem)
    target = search.objective.target
    which = "minimize" if search.objective.minimize is not None else "maximize"
    kpis = kpi_names(scenario)
    if target in search.variables:
        if search.variables[target].choice is not None:
            yield Finding(
                ("search", "objective", which),
                f"`{target}` is a choice; its values have no order to {which}",
                "optimise a KPI, or make the variable an `integer` or `dates` range",
            )
    elif target not in kpis:
        yield Finding(
            ("search", "objective", which),
            f"`{target}` is neither a variable of the search nor a KPI",
            did_you_mean(target, [*search.variables, *kpis]),
        )
    for i, constraint in enumerate(search.constraints):
        where = ("search", "constraints", i)
        if constraint.on_time is not None:
            problem = _tranche(scenario, constraint.on_time)
            if problem is not None:
                yield Finding((*where, "on_time"), *problem)
        elif constraint.kpi is not None and constraint.kpi not in kpis:
            yield Finding(
                (*where, "kpi"), f"no KPI `{constraint.kpi}`", did_you_mean(constraint.kpi, kpis)
            )


def _missing(data: dict[str, Any], key: str) -> tuple[str, str] | None:
    """(message, hint) when ``key`` does not lead to a value of the scenario."""
    path = parse_path(key)
    if path is None:
        return (f"`{key}` is not a key path", "write keys joined by dots, list items as [n]")
    node: Any = data
    for depth, part in enumerate(path):
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                size = len(node) if isinstance(node, list) else 0
                return (f"`{key}` does not exist: it has {size} items", "use an existing index")
        elif not isinstance(node, dict) or part not in node:
            here = ".".join(str(p) for p in path[:depth]) or "the top level"
            choices = list(node) if isinstance(node, dict) else []
            return (f"`{key}` does not exist (no `{part}` in {here})", did_you_mean(part, choices))
        node = node[part]
    return None


def _tranche(scenario: Scenario, name: str) -> tuple[str, str] | None:
    """(message, hint) when ``name`` is neither a contract nor `<contract>.tranche_N`."""
    contract, _, tranche = name.partition(".")
    if contract not in scenario.contracts:
        return (f"no contract `{contract}`", did_you_mean(contract, list(scenario.contracts)))
    if not tranche:
        return None
    count = len(scenario.contracts[contract].tranches)
    number = tranche.removeprefix("tranche_")
    if not number.isdigit() or not 1 <= int(number) <= count:
        return (
            f"no tranche `{tranche}` in contract `{contract}`",
            f"write {contract}.tranche_N with N from 1 to {count}, or the contract alone",
        )
    return None
