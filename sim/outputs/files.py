"""Write a run folder atomically: tables, summary, resolved scenario, manifest and plots.

Everything is written into a temporary sibling folder which is renamed into place only when
complete, so an interrupted or failed write never leaves a half-written result
(`sim.outputs.folders`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

import sim
from sim.errors import UsageError
from sim.gcpause import paused_gc
from sim.outputs.csvtext import write_csv
from sim.outputs.folders import OutputError as OutputError  # where callers have found them
from sim.outputs.folders import is_run_folder as is_run_folder
from sim.outputs.folders import results_folder, write_atomically
from sim.outputs.report import comparison_report, run_report
from sim.scenario.topology import tranches

if TYPE_CHECKING:
    from sim.compare import Comparison
    from sim.montecarlo.replications import MonteCarlo
    from sim.outputs.plots.chartworker import ChartWorker
    from sim.outputs.plots.drawing import Job
    from sim.result import Result
    from sim.scenario.schema import Scenario


def default_out(result: Result) -> Path:
    return results_folder(result.scenario)


def write_run(
    result: Result,
    out: str | Path | None = None,
    *,
    force: bool = False,
    excel: bool = False,
    charts: ChartWorker | None = None,
) -> Path:
    """Write ``result`` to ``out`` and return the path. Without ``out``, it goes to
    ``results/<scenario name>`` and replaces an earlier dcsim run there. With ``excel``, the
    folder also holds the workbook ``<scenario name>.xlsx`` (`sim.outputs.excel`). The
    charts are drawn here, on every core (`draw_all`), or by ``charts``, a chart worker
    started before the run (`dcsim run` starts one), while the other files are written."""
    from sim.result import Result

    if not isinstance(result, Result):
        raise UsageError(f"write_run takes the result of sim.run (got {type(result).__name__})")
    target = Path(out) if out is not None else default_out(result)

    def fill(folder: Path) -> None:
        with paused_gc():  # many short-lived objects (YAML nodes), next to a large result
            _write_files(result, folder, charts)
        if excel:
            from sim.outputs.excel import write_workbook

            write_workbook(result, folder / f"{result.scenario.scenario.name}.xlsx")

    return write_atomically(target, force, fill, replace_run=out is None)


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter where PyYAML has it: the same text as `yaml.safe_dump`, in a fraction of
the time (the resolved scenario of 10,000 sites is half a million values)."""


def _write_files(result: Result, folder: Path, worker: ChartWorker | None) -> None:
    from sim.outputs.plots.drawing import draw_all
    from sim.outputs.plots.run import run_jobs

    mc = result.monte_carlo
    charts = run_jobs(result, folder / "plots")
    if mc is not None:
        charts += _monte_carlo_charts(mc, folder / "plots")
    try:
        if worker is not None and not worker.draw(charts):  # drawn while the files are written
            worker = None  # too large to send: drawn here
        write_table(result.timeline, folder / "timeline.csv", folder / "timeline.parquet")
        write_csv(as_dates(result.contracts), folder / "contracts.csv")
        write_csv(as_dates(result.events), folder / "events.csv")
        summary = dict(result.summary)
        if mc is not None:
            summary["monte_carlo"] = mc.summary
            _write_monte_carlo(mc, folder)
        _write_json(folder / "summary.json", summary)
        resolved = result.scenario.model_dump(mode="json", exclude_none=True)
        (folder / "scenario.yaml").write_text(
            "# The resolved scenario of this run (defaults filled in); dcsim can run it as is.\n"
            + yaml.dump(resolved, Dumper=_DUMPER, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        _write_json(folder / "manifest.json", manifest(result))
        if worker is None:
            draw_all(charts)  # the plan run's and the Monte Carlo study's together, on every core
        else:
            worker.wait()
    except BaseException:
        if worker is not None:
            worker.stop()  # before the folder it draws into is removed
        raise
    overrides = result.source.overrides if result.source is not None else []
    _write_json(folder / "overrides.json", [o.as_dict() for o in overrides])
    (folder / "report.html").write_text(run_report(result, folder), encoding="utf-8")


def _write_monte_carlo(mc: MonteCarlo, folder: Path) -> None:
    write_table(mc.percentiles, folder / "percentiles.csv", folder / "percentiles.parquet")
    mc.replications.to_parquet(folder / "replications.parquet", index=False)
    write_csv(as_dates(mc.on_time), folder / "on_time.csv")
    write_csv(mc.drivers, folder / "drivers.csv")
    write_csv(mc.tornado, folder / "tornado.csv")
    write_csv(mc.criticality, folder / "criticality.csv")


def _monte_carlo_charts(mc: MonteCarlo, plots: Path) -> list[Job]:
    """The Monte Carlo study's charts, to draw with the run's."""
    from sim.outputs.plots.bands import monte_carlo_jobs
    from sim.outputs.plots.drawing import in_new_figure
    from sim.outputs.plots.tornado import plot_tornado

    charts = monte_carlo_jobs(
        mc.scenario.scenario.name,
        mc.percentiles,
        mc.replications,
        mc.on_time,
        mc.drivers,
        plots,
        mc.scenario.status.as_of if mc.scenario.status is not None else None,
    )
    name, n = mc.scenario.scenario.name, len(mc.replications)
    title = f"{name}: what each input moves, in days and dollars ({n} replications)"
    return [*charts, (in_new_figure, (plot_tornado, mc.tornado, title, plots / "tornado.png"))]


def manifest(result: Result) -> dict[str, Any]:
    source = result.source
    return {
        "dcsim_version": sim.__version__,
        "input_file": source.file if source else None,
        "input_sha256": source.sha256 if source else None,
        "input_files": source.files if source else [],
        "variant": source.variant if source else None,
        "variants": source.variants if source else [],
        "overrides": [o.as_dict() for o in source.overrides] if source else [],
        "seed": result.seed,
        "replications": len(result.monte_carlo.replications) if result.monte_carlo else 0,
        "step": result.scenario.scenario.step,
        "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "python": platform.python_version(),
    }


def write_comparison(
    comparison: Comparison, out: str | Path, *, force: bool = False, replace: bool = False
) -> Path:
    """Write a comparison folder: the KPI table, each run's overrides and summary, overlay
    plots, a Gantt chart and the report. With ``replace``, an earlier dcsim folder there is
    replaced (the default place)."""
    return write_atomically(
        Path(out), force, lambda folder: _comparison_files(comparison, folder), replace_run=replace
    )


def _comparison_files(comparison: Comparison, folder: Path) -> None:
    from sim.outputs.plots.comparison import RunView, plot_comparison

    write_csv(comparison.table, folder / "comparison.csv")
    if comparison.tranches is not None:
        write_csv(comparison.tranches, folder / "tranches.csv")
    if comparison.risk is not None:
        write_csv(comparison.risk, folder / "risk.csv")
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
            _dues(r.scenario),
            r.monte_carlo.percentiles if r.monte_carlo else None,
            r.monte_carlo.on_time if r.monte_carlo else None,
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


ROW_GROUP_ROWS = 1 << 20
"""Rows of each Parquet row group (pyarrow's default): the tables are converted to Arrow a
row group at a time."""


def write_table(frame: pd.DataFrame, csv: Path, parquet: Path | None = None) -> None:
    """A large table as CSV (and Parquet), through Arrow's C++ writers: several times
    faster than pandas' CSV writer on timelines of many sites. Converted to Arrow a row
    group at a time, not all at once (a copy of the whole timeline: 1 GB at 10,000 sites);
    the files are the same as from one conversion."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    csv_writer: Any = None
    parquet_writer: Any = None
    with contextlib.ExitStack() as stack:
        for lo in range(0, max(len(frame), 1), ROW_GROUP_ROWS):
            part = as_dates(frame.iloc[lo : lo + ROW_GROUP_ROWS])
            table = pa.Table.from_pandas(part, preserve_index=False)
            if csv_writer is None:
                options = pa_csv.WriteOptions(quoting_style="needed")
                csv_writer = stack.enter_context(
                    pa_csv.CSVWriter(csv, table.schema, write_options=options)
                )
                if parquet is not None:
                    parquet_writer = stack.enter_context(pq.ParquetWriter(parquet, table.schema))
            csv_writer.write_table(table)
            if parquet_writer is not None:
                parquet_writer.write_table(table, row_group_size=ROW_GROUP_ROWS)


def as_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its datetime64 columns as `datetime.date` objects (NaT as None), as the
    files have always held them: ISO dates in CSV, Arrow `date32` in Parquet."""
    columns = [c for c in frame.columns if frame[c].dtype.kind == "M"]
    if not columns:
        return frame
    out = frame.copy(deep=False)
    for column in columns:
        codes, dates = pd.factorize(frame[column])  # a few distinct dates, many rows
        days = np.array([d.date() for d in dates] + [None], dtype=object)
        out[column] = days[codes]  # code -1 (NaT) picks the None at the end
    return out


def _dues(scenario: Scenario) -> list[tuple[str, int, dt.date]]:
    """(contract, tranche number, due date) for every contract tranche."""
    out: list[tuple[str, int, dt.date]] = []
    for c, spec in scenario.contracts.items():
        out += [(c, i + 1, t.due) for i, t in enumerate(tranches(spec))]
    return out


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
