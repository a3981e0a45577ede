"""Write a sweep's or a search's folder (atomically, like a run's), and what they print.

A sweep folder holds `sweep.csv` (one row per point), `plots/sweep.png` and `manifest.json`;
a search folder holds `search.csv` (every point run: the trade-off seen), `search.json` (the
best point, how sure it is, the method and the time taken), `plots/search.png` and
`manifest.json`.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sim
from sim.outputs.folders import write_atomically
from sim.outputs.formats import money

if TYPE_CHECKING:
    from sim.scenario.loader import Loaded
    from sim.workbench.search import SearchResult
    from sim.workbench.sweep import Sweep


def _manifest(source: Loaded | None, seed: int, replications: int, **extra: Any) -> dict[str, Any]:
    return {
        "dcsim_version": sim.__version__,
        "input_file": source.file if source else None,
        "input_sha256": source.sha256 if source else None,
        "input_files": source.files if source else [],
        "overrides": [o.as_dict() for o in source.overrides] if source else [],
        "seed": seed,
        "replications": replications,
        **extra,
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "python": platform.python_version(),
    }


def _json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def write_sweep(
    result: Sweep,
    out: str | Path,
    *,
    source: Loaded | None = None,
    force: bool = False,
    replace: bool = False,
) -> Path:
    """Write the sweep's table, plot and manifest to ``out``."""
    from sim.outputs.plots.sweep import plot_sweep

    def fill(folder: Path) -> None:
        result.table.to_csv(folder / "sweep.csv", index=False, float_format="%.6f")
        axes = [a.path for a in result.axes]
        plot_sweep(f"{result.name}: sweep", axes, result.table, folder / "plots" / "sweep.png")
        design = {a.path: [str(v) for v in a.values] for a in result.axes}
        _json(
            folder / "manifest.json",
            _manifest(source, result.seed, result.replications, design=design),
        )

    return write_atomically(Path(out), force, fill, replace_run=replace)


def search_summary(result: SearchResult) -> dict[str, Any]:
    """The JSON-ready answer of a search: the best point and how sure it is."""
    spec = result.spec
    return {
        "scenario": result.name,
        "best": result.best,
        **({} if result.best is not None else {"closest": result.closest}),
        "objective": {
            ("minimize" if spec.objective.sense > 0 else "maximize"): spec.objective.target,
            "value": _objective(result),
        },
        "feasible_if": spec.feasible_if,
        "constraints_at_best" if result.best is not None else "constraints_at_closest": [
            e.as_dict() for e in result.certainty
        ],
        "method": result.method,
        "space_size": result.space_size,
        "points_run": len(result.table),
        "replications": result.replications,
        "seed": result.seed,
        "seconds": round(result.seconds, 2),
    }


def write_search(
    result: SearchResult,
    out: str | Path,
    *,
    source: Loaded | None = None,
    force: bool = False,
    replace: bool = False,
) -> Path:
    """Write the search's trade-off table, answer, plot and manifest to ``out``."""
    from sim.outputs.plots.sweep import plot_search

    targets = [c.target for c in result.spec.constraints if c.on_time is not None]

    def fill(folder: Path) -> None:
        result.table.to_csv(folder / "search.csv", index=False, float_format="%.6f")
        _json(folder / "search.json", search_summary(result))
        title = f"{result.name}: search, {result.spec.objective.target}"
        objective = result.spec.objective
        xlabel = f"{'minimise' if objective.sense > 0 else 'maximise'}: {objective.target}"
        plot = folder / "plots" / "search.png"
        plot_search(title, result.table, result.best, targets, plot, xlabel)
        _json(folder / "manifest.json", _manifest(source, result.seed, result.replications))

    return write_atomically(Path(out), force, fill, replace_run=replace)


def sweep_lines(result: Sweep, folder: Path, elapsed: float) -> str:
    """The console summary of a sweep: where it wrote, then a line per point."""
    lines = [f"{result.name}: swept {len(result.table)} points: wrote {folder}/ in {elapsed:.2f} s"]
    keys = [a.path for a in result.axes]
    chances = [c for c in result.table.columns if c.endswith(".p_on_time")]
    for row in result.table.to_dict("records"):
        point = ", ".join(f"{k}={row[k]}" for k in keys)
        if chances:
            worst = min(chances, key=lambda c: row[c])
            figure = f"worst P(on time) {row[worst]:.0%} ({worst.removesuffix('.p_on_time')})"
            figure += f", mean revenue ${row['revenue_usd.mean'] / 1e6:,.1f}M"
        else:
            figure = f"plan revenue ${row['plan.revenue_usd'] / 1e6:,.1f}M"
        lines.append(f"  {point}: {figure}")
    return "\n".join(lines)


def _objective(result: SearchResult) -> Any:
    """The objective at the best point as a planner reads it: a variable's own value (a
    date as a date), or the KPI's mean."""
    if result.best is None:
        return None
    target = result.spec.objective.target
    if target in result.best:
        value = result.best[target]
        return value.isoformat() if isinstance(value, dt.date) else value
    return result.objective


def search_lines(result: SearchResult, folder: Path) -> str:
    """The console summary of a search: the answer, how sure, how it was found."""
    found = (
        f"{len(result.table)} of {result.space_size} points run ({result.method}, "
        f"{result.replications} replications each, seed {result.seed}) in {result.seconds:.1f} s"
    )
    lines = [f"{result.name}: search: wrote {folder}/; {found}"]
    if result.best is None:
        closest = ", ".join(f"{k}={v}" for k, v in (result.closest or {}).items())
        lines.append(f"  no point run meets every constraint; the closest is {closest}:")
    else:
        point = ", ".join(f"{k}={v}" for k, v in result.best.items())
        target, value = result.spec.objective.target, _objective(result)
        shown = money(value) if target.endswith("_usd") and target not in result.best else value
        lines.append(f"  best: {point} ({target} = {shown})")
    for e in result.certainty:
        if e.n:
            lines.append(
                f"    {e.name}: P = {e.estimate:.1%} ± {e.std_error:.1%} (95% Wilson "
                f"{e.low:.1%}-{e.high:.1%}, {e.successes}/{e.n}); target {e.target:.0%}: "
                + ("holds" if e.holds else "fails")
            )
        else:
            lines.append(
                f"    {e.name}: mean {e.estimate:,.6g}; " + ("holds" if e.holds else "fails")
            )
    return "\n".join(lines)
