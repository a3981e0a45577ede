"""Write a run folder atomically: tables, summary, resolved scenario, manifest and plots.

Everything is written into a temporary sibling folder which is renamed into place only when
complete, so an interrupted or failed write never leaves a half-written result.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

import sim
from sim.outputs.report import comparison_report, run_report

if TYPE_CHECKING:
    from sim.compare import Comparison
    from sim.montecarlo.replications import MonteCarlo
    from sim.result import Result


class OutputError(Exception):
    """The run folder cannot be written where asked (exists, or not writable)."""


def default_out(result: Result) -> Path:
    return Path("results") / result.scenario.scenario.name


def write_run(result: Result, out: str | Path | None = None, *, force: bool = False) -> Path:
    """Write ``result`` to ``out`` (default ``results/<scenario name>``) and return the path."""
    target = Path(out) if out is not None else default_out(result)
    return write_atomically(target, force, lambda folder: _write_files(result, folder))


def write_atomically(target: Path, force: bool, fill: Callable[[Path], None]) -> Path:
    """Create ``target`` with ``fill(folder)``, all or nothing."""
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target} exists and is not a folder; choose another --out")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise OutputError(
            f"{target} already holds files; use --force to replace it, or choose another --out"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    staging.mkdir()
    try:
        fill(staging)
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _write_files(result: Result, folder: Path) -> None:
    from sim.outputs.plots.run import plot_run

    timeline = result.timeline
    write_table(timeline, folder / "timeline.csv", folder / "timeline.parquet")
    result.contracts.to_csv(folder / "contracts.csv", index=False, float_format="%.6f")
    result.events.to_csv(folder / "events.csv", index=False, float_format="%.6f")
    summary = dict(result.summary)
    mc = result.monte_carlo
    if mc is not None:
        summary["monte_carlo"] = mc.summary
        _write_monte_carlo(mc, folder)
    _write_json(folder / "summary.json", summary)
    resolved = result.scenario.model_dump(mode="json", exclude_none=True)
    (folder / "scenario.yaml").write_text(
        "# The resolved scenario of this run (defaults filled in); dcsim can run it as is.\n"
        + yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    _write_json(folder / "manifest.json", manifest(result))
    plot_run(result, folder / "plots")
    if result.source is not None and result.source.variant is not None:
        _write_json(folder / "overrides.json", [o.as_dict() for o in result.source.overrides])
    (folder / "report.html").write_text(run_report(result, folder), encoding="utf-8")


def _write_monte_carlo(mc: MonteCarlo, folder: Path) -> None:
    from sim.outputs.plots.bands import plot_monte_carlo

    write_table(mc.percentiles, folder / "percentiles.csv", folder / "percentiles.parquet")
    mc.replications.to_parquet(folder / "replications.parquet", index=False)
    mc.on_time.to_csv(folder / "on_time.csv", index=False, float_format="%.6f")
    mc.drivers.to_csv(folder / "drivers.csv", index=False, float_format="%.6f")
    plot_monte_carlo(
        mc.scenario.scenario.name,
        mc.percentiles,
        mc.replications,
        mc.on_time,
        mc.drivers,
        folder / "plots",
    )


def manifest(result: Result) -> dict[str, Any]:
    source = result.source
    return {
        "dcsim_version": sim.__version__,
        "input_file": source.file if source else None,
        "input_sha256": source.sha256 if source else None,
        "input_files": source.files if source else [],
        "variant": source.variant if source else None,
        "overrides": [o.as_dict() for o in source.overrides] if source else [],
        "seed": result.seed,
        "replications": len(result.monte_carlo.replications) if result.monte_carlo else 0,
        "step": result.scenario.scenario.step,
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "python": platform.python_version(),
    }


def write_comparison(comparison: Comparison, out: str | Path, *, force: bool = False) -> Path:
    """Write a comparison folder: the KPI table, each run's overrides and summary, overlay
    plots, a Gantt chart and the report."""
    return write_atomically(Path(out), force, lambda folder: _comparison_files(comparison, folder))


def _comparison_files(comparison: Comparison, folder: Path) -> None:
    from sim.outputs.plots.comparison import RunView, plot_comparison

    comparison.table.to_csv(folder / "comparison.csv", index=False, float_format="%.6f")
    _write_json(
        folder / "overrides.json",
        {
            name: [o.as_dict() for o in r.source.overrides] if r.source else []
            for name, r in comparison.results.items()
        },
    )
    _write_json(
        folder / "summaries.json",
        {
            name: {**r.summary, **({"monte_carlo": r.monte_carlo.summary} if r.monte_carlo else {})}
            for name, r in comparison.results.items()
        },
    )
    views = {
        name: RunView(
            r.timeline,
            r.events,
            [
                (c, i + 1, t.due)
                for c, spec in r.scenario.contracts.items()
                for i, t in enumerate(spec.tranches)
            ],
            r.monte_carlo.percentiles if r.monte_carlo else None,
        )
        for name, r in comparison.results.items()
    }
    plot_comparison(f"{comparison.base}: rollout schedules compared", views, folder / "plots")
    base = comparison.results[comparison.base]
    _write_json(
        folder / "manifest.json",
        {
            **manifest(base),
            "compared": list(comparison.results),
        },
    )
    (folder / "report.html").write_text(comparison_report(comparison, folder), encoding="utf-8")


def write_table(frame: pd.DataFrame, csv: Path, parquet: Path | None = None) -> None:
    """A large table as CSV (and Parquet), through Arrow's C++ writers: several times
    faster than pandas' CSV writer on timelines of many sites."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    pa_csv.write_csv(table, csv, pa_csv.WriteOptions(quoting_style="needed"))
    if parquet is not None:
        pq.write_table(table, parquet)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
